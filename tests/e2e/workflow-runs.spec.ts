// Issue 14's runs in the browser: a company admin puts two colleagues in an approver group, imports
// "list the shared folder, then wait for two approvers", simulates it (outputs say Simulated) and runs
// it. The requester gets no approval form; each approver finds the run in their Approvals inbox (a count
// in the navigation), types the phrase on the run's page, and sees 1 of 2; the second completes the run,
// whose steps show the Demo listing and both approvers.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { createDb } from '../../db/client.ts';
import { approverGroups, users } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import { driveListStep } from '../jest/sample-steps.ts';
import { customerAllowed, testedDemoDrive } from './connections-helpers.ts';
import { signIn } from './helpers.ts';
import { approveFromInbox, simulateThenCancel } from './jobs-helpers.ts';

const password = 'approver-password-0123';

/** A company user of the customer's organization, signed in in a browser context of their own. */
async function colleague(browser: Browser, organizationId: string, email: string): Promise<Page> {
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  await createUser(db, { email, password, name: email.split('@')[0]!, role: 'company_user', organizationId });
  await db.$client.end();
  const page = await (await browser.newContext()).newPage();
  await signIn(page, email, password);
  return page;
}

test('a workflow run waits for two approvers of a group, through the Approvals inbox, and completes', async ({ page, browser }) => {
  test.setTimeout(180_000);
  const customer = await customerAllowed(page, browser, 'Runs', { key: 'google_drive', name: 'Google Drive', action: 'files.list' });
  const suffix = Date.now().toString(36);

  // A demo Drive connection, tested.
  const connectionId = await testedDemoDrive(customer, 'Shared Drive');

  // Two colleagues in the group "Approvers".
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  const [me] = await db
    .select()
    .from(users)
    .where(eq(users.email, (await customer.getByTestId('signed-in-user').locator('div').first().textContent())!));
  const organizationId = me!.organizationId;
  const emails = [`first-${suffix}@customer.test`, `second-${suffix}@customer.test`];
  const approvers = [await colleague(browser, organizationId, emails[0]!), await colleague(browser, organizationId, emails[1]!)];
  await customer.goto('/approver-groups');
  const newGroup = customer.getByRole('form', { name: 'New approver group' });
  await newGroup.getByLabel('Name').fill('Approvers');
  await newGroup.getByRole('button', { name: 'Create' }).click();
  for (const email of emails) {
    const add = customer.getByRole('form', { name: 'Add a member to Approvers' });
    await add.getByRole('combobox').selectOption({ label: email });
    await add.getByRole('button', { name: 'Add' }).click();
    await expect(customer.getByTestId('members-Approvers')).toContainText(email);
  }
  const [group] = await db.select().from(approverGroups).where(eq(approverGroups.organizationId, organizationId));
  await db.$client.end();

  // The definition: list, then two of the group look.
  const wait = {
    id: 'ok',
    name: 'Two approvers look',
    kind: 'wait_for_person',
    message: 'Check the list',
    confirmation: { approvalsNeeded: 2, approverGroupIds: [group!.id], onExpiry: 'fail' },
  };
  await customer.goto('/workflows');
  await customer
    .getByRole('form', { name: 'Import workflow' })
    .getByLabel('Document')
    .fill(
      JSON.stringify({ format: 'anthropy-works.workflow-definition', formatVersion: 1, name: 'List and approve', steps: [driveListStep(connectionId, { pageSize: 3 }), wait] }),
    );
  await customer.getByRole('form', { name: 'Import workflow' }).getByRole('button', { name: 'Import' }).click();
  await expect(customer.getByRole('heading', { name: 'List and approve' })).toBeVisible();
  const definitionUrl = customer.url();

  // Simulate: the listing says Simulated, and the simulation waits for the same approvals.
  await simulateThenCancel(customer);

  // The run: Demo data, then the wait. The requester is not an approver here.
  await customer.goto(definitionUrl);
  await customer.getByRole('button', { name: 'Run version 1' }).click();
  await expect(customer.getByTestId('job-state')).toHaveText('waiting for approval', { timeout: 60_000 });
  await expect(customer.getByTestId('run-step-list').getByTestId('output-source')).toHaveText('Demo');
  await expect(customer.getByRole('form', { name: 'Approve' })).toHaveCount(0);
  const runUrl = customer.url();

  await approveFromInbox(approvers, runUrl, 'Workflow run');
  await customer.goto(runUrl);
  await expect(customer.getByTestId('job-state')).toHaveText('completed', { timeout: 60_000 });
  await expect(customer.getByTestId('run-step-ok')).toContainText(`${emails[0]}, ${emails[1]}`);
  await approvers[0]!.goto('/approvals');
  await expect(approvers[0]!.getByTestId('nav-count-approvals')).toHaveCount(0);
  // The definition's page lists its runs: the cancelled simulation and the run.
  await customer.goto(definitionUrl);
  await expect(customer.getByTestId('workflow-runs').locator('tbody tr')).toHaveCount(2);
});
