// Issue 14's "done when", in Chromium, on the real parts: an MSP admin lets Acme use Google Drive's
// files.list and restart its gateway after two approvals of the "Acme approvers" group (no
// self-approval), and deploys that gateway for Acme on the `local` node. Acme's company admin connects
// Drive through the consent flow of the local authorization server, builds "list the Acme shared folder,
// then restart the Acme gateway", simulates it and runs it: the Drive step lists the local Drive server's
// files (Live); the restart waits in its own job for two of the group; the requester, though in the
// group, may not approve; one approval shows 1 of 2; the second restarts the real container and completes
// the run. The MSP admin then removes files.list from Acme's permission: the next run stops at step 1
// with action.not_allowed. Last, "check the Acme gateway and restart it if unhealthy" (a health check, then
// a restart that runs only if it found the gateway unhealthy): healthy, the restart is skipped with why;
// with its container stopped behind the console's back, the next run restarts it after two approvals.
// (Killing every process while a run waits is tests/integration/workflow-run-durability.test.ts.)
import Dockerode from 'dockerode';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { ensureBundleImage } from '../../agent-worker/openclaw/image.ts';
import { createDb } from '../../db/client.ts';
import { approverGroups, connections, instances, users } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import { freePort } from '../../infra/ports.ts';
import { loadConfig } from '../../infra/config.ts';
import { customerAllowed, openNewConnection } from './connections-helpers.ts';
import { seriousViolations } from './axe.ts';
import { signIn } from './helpers.ts';
import { approveFromInbox, approveInBrowser, untilCompleted, simulateThenCancel } from './jobs-helpers.ts';

const docker = new Dockerode({ socketPath: process.env.E2E_LOCAL_DOCKER_SOCKET });
const password = 'acme-approver-password-0123';

// A long test: a locator that finds nothing should fail in seconds, not at the test's end.
test.use({ actionTimeout: 30_000 });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  await ensureBundleImage(docker, { cacheDir: loadConfig().cacheDir });
});

/** A company user of Acme, signed in in a browser context of their own. */
async function colleague(browser: Browser, organizationId: string, email: string): Promise<Page> {
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  await createUser(db, { email, password, name: email.split('@')[0]!, role: 'company_user', organizationId });
  await db.$client.end();
  const page = await (await browser.newContext()).newPage();
  await signIn(page, email, password);
  return page;
}

test('a company admin builds, simulates and runs "list the Acme shared folder, then restart the Acme gateway" with two approvers, then restarts it only when unhealthy', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(480_000);
  const suffix = Date.now().toString(36);
  const customer = await customerAllowed(page, browser, 'Acme', { key: 'google_drive', name: 'Google Drive', action: 'files.list' });
  const permissionsUrl = page.url();

  // A live Drive connection, through the consent flow and tested.
  await openNewConnection(customer, 'google_drive', 'Acme Drive', baseURL);
  await customer.getByRole('button', { name: 'Connect Google Drive' }).click();
  await customer.getByRole('button', { name: 'Test connection' }).click();
  await expect(customer.getByTestId('connection-status')).toHaveText('connected');

  // "Acme approvers": two colleagues, and the company admin themself (who still may not approve their own run).
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  const adminEmail = (await customer.getByTestId('signed-in-user').locator('div').first().textContent())!;
  const [me] = await db.select().from(users).where(eq(users.email, adminEmail));
  const organizationId = me!.organizationId;
  const emails = [`first-${suffix}@acme.test`, `second-${suffix}@acme.test`];
  const approvers = [await colleague(browser, organizationId, emails[0]!), await colleague(browser, organizationId, emails[1]!)];
  await customer.goto('/approver-groups');
  const newGroup = customer.getByRole('form', { name: 'New approver group' });
  await newGroup.getByLabel('Name').fill('Acme approvers');
  await newGroup.getByRole('button', { name: 'Create' }).click();
  for (const email of [...emails, adminEmail]) {
    const add = customer.getByRole('form', { name: 'Add a member to Acme approvers' });
    await add.getByRole('combobox').selectOption({ label: email });
    await add.getByRole('button', { name: 'Add' }).click();
    await expect(customer.getByTestId('members-Acme approvers')).toContainText(email);
  }

  // The MSP admin deploys the Acme gateway on the local node, for Acme (under the permission as it is)…
  const gateway = `acme-gw-${suffix}`;
  await page.goto('/nodes');
  await page.getByTestId('nodes').getByRole('link', { name: 'local', exact: true }).click();
  const deploy = page.getByRole('form', { name: 'Deploy OpenClaw' });
  await deploy.getByLabel('For').selectOption(organizationId);
  await deploy.getByLabel('Instance name').fill(gateway);
  await deploy.getByLabel('Gateway port').fill(String(await freePort()));
  await deploy.getByRole('button', { name: 'Request deployment' }).click();
  await approveInBrowser(page);
  await untilCompleted(page);
  // …then makes restarting Acme's gateways need two of "Acme approvers", never the requester.
  await page.goto(permissionsUrl);
  const lifecycle = page.getByTestId('permissions').locator('tr[data-key="openclaw.lifecycle"]').getByRole('form');
  await lifecycle.getByRole('checkbox', { name: 'Enabled' }).check();
  for (const action of ['health', 'restart']) await lifecycle.getByRole('checkbox', { name: new RegExp(`^${action} `) }).check();
  await lifecycle.getByRole('checkbox', { name: 'Acme approvers approve' }).check();
  await lifecycle.getByRole('checkbox', { name: 'No self-approval' }).check();
  await lifecycle.getByLabel('Approvals needed (different people)').fill('2');
  await lifecycle.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved the permission for OpenClaw');

  const [instance] = await db.select().from(instances).where(eq(instances.name, gateway));
  expect(instance).toMatchObject({ organizationId, state: 'managed' });
  const [group] = await db.select().from(approverGroups).where(eq(approverGroups.organizationId, organizationId));
  await db.$client.end();

  // The company admin builds the definition.
  const definitionUrl = await buildDefinition(customer, { organizationId, gateway, groupId: group!.id });

  // Simulate: Drive says Simulated, the restart waits for the same approvals in the run, and nothing restarts.
  await simulateThenCancel(customer);

  // Run: the Drive step lists the local Drive server's shared folder, Live.
  await customer.goto(definitionUrl);
  await customer.getByRole('button', { name: 'Run version 1' }).click();
  await expect(customer.getByTestId('run-step-list').getByTestId('output-source')).toHaveText('Live', { timeout: 60_000 });
  await expect(customer.getByTestId('run-step-list')).toContainText('Report 1.pdf');
  await expect(customer.getByTestId('run-step-list').getByTestId('step-took')).toHaveText(/^\d+\.\d s$/);
  const runUrl = customer.url();
  // The restart is a job of its own, waiting for its approvals; the requester gets no approval form.
  await customer.getByTestId('run-step-restart').getByRole('link', { name: 'its job' }).click();
  await expect(customer.getByTestId('job-state')).toHaveText('waiting for approval', { timeout: 60_000 });
  await expect(customer.getByRole('form', { name: 'Approve' })).toHaveCount(0);
  await expect(customer.getByTestId('own-request')).toContainText('forbids approving your own request');
  const restartUrl = customer.url();

  await approveFromInbox(approvers, restartUrl, 'Restart gateway');
  await customer.goto(restartUrl);
  await untilCompleted(customer);
  await expect(customer.getByTestId('job-result')).toContainText(/answered again after [\d.]+ s of downtime/);
  await customer.goto(runUrl);
  await expect(customer.getByTestId('job-state')).toHaveText('completed', { timeout: 60_000 });
  await expect(customer.getByTestId('run-step-restart')).toContainText(`${emails[0]}, ${emails[1]}`);
  expect(await seriousViolations(customer), 'a completed run with its steps').toEqual([]);

  // The MSP admin removes files.list from Acme's Drive permission: the next run stops at step 1.
  await page.goto(permissionsUrl);
  const drive = page.getByTestId('permissions').locator('tr[data-key="google_drive"]').getByRole('form');
  await drive.getByRole('checkbox', { name: 'files.list' }).uncheck();
  await drive.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Saved the permission for Google Drive');
  await customer.goto(definitionUrl);
  await customer.getByRole('button', { name: 'Run version 1' }).click();
  await expect(customer.getByTestId('job-state')).toHaveText('failed', { timeout: 60_000 });
  await expect(customer.getByTestId('failure-reason')).toContainText('step 1 (List the Acme shared folder) is blocked by action.not_allowed');
  await expect(customer.getByTestId('run-step-list')).toContainText('blocked');

  // "Restart the unhealthy ones": a health check of the gateway, then its restart only if it is unhealthy.
  const checkUrl = await buildCheckThenRestart(customer, instance!.id);
  await expect(customer.getByTestId('workflow-steps').getByTestId('step-condition')).toHaveText('only if steps.check.output.health.healthy is false');
  // Healthy: the restart is skipped, saying why, and nobody is asked.
  await customer.getByRole('button', { name: 'Run version 1' }).click();
  await expect(customer.getByTestId('job-state')).toHaveText('completed', { timeout: 90_000 });
  await expect(customer.getByTestId('run-step-restart')).toContainText('skipped');
  await expect(customer.getByTestId('run-step-restart')).toContainText('runs only if steps.check.output.health.healthy is false, and it is true');
  await expect(customer.getByTestId('run-summary')).toContainText('1 of 2 steps completed, 1 skipped.');
  expect(await seriousViolations(customer), 'a run with a skipped step').toEqual([]);
  // The gateway stops behind the console's back: the next run finds it unhealthy and restarts it after two approvals.
  await docker.getContainer(instance!.containerIds[0]!).stop({ t: 1 });
  await customer.goto(checkUrl);
  await customer.getByRole('button', { name: 'Run version 1' }).click();
  await expect(customer.getByTestId('run-step-restart').getByRole('link', { name: 'its job' })).toBeVisible({ timeout: 90_000 });
  await expect(customer.getByTestId('run-step-check')).toContainText('"healthy": false');
  const unhealthyRunUrl = customer.url();
  await customer.getByTestId('run-step-restart').getByRole('link', { name: 'its job' }).click();
  await expect(customer.getByTestId('job-state')).toHaveText('waiting for approval', { timeout: 60_000 });
  await approveFromInbox(approvers, customer.url(), 'Restart gateway');
  await customer.goto(unhealthyRunUrl);
  await expect(customer.getByTestId('job-state')).toHaveText('completed', { timeout: 120_000 });
  await expect(customer.getByTestId('run-step-restart')).toContainText('runs only if steps.check.output.health.healthy is false, and it is false');
  expect((await docker.getContainer(instance!.containerIds[0]!).inspect()).State.Running).toBe(true);
});

/** "Check the gateway, restart it if unhealthy", built in the editor: a health check, then a restart that runs only if the check found it unhealthy. */
async function buildCheckThenRestart(customer: Page, instanceId: string): Promise<string> {
  await customer.goto('/workflows');
  await customer.getByRole('link', { name: 'New workflow' }).click();
  const editor = customer.getByRole('form', { name: 'Workflow editor' });
  const step = (n: number) => customer.getByTestId(`editor-step-${n}`);
  await editor.getByLabel('Name', { exact: true }).fill('Restart the Acme gateway if unhealthy');
  await editor.getByLabel('Kind of step').selectOption('instance_action');
  for (const [n, [id, action]] of [
    ['check', 'health'],
    ['restart', 'restart'],
  ].entries()) {
    await editor.getByRole('button', { name: 'Add step' }).click();
    await step(n + 1)
      .getByLabel('Step name')
      .fill(action === 'health' ? 'Check the gateway' : 'Restart it if unhealthy');
    await step(n + 1)
      .getByLabel('Id (for references)')
      .fill(id!);
    await step(n + 1)
      .getByLabel('Lifecycle action')
      .selectOption(action!);
    await step(n + 1)
      .getByLabel('Instance')
      .selectOption(instanceId);
  }
  const condition = step(2).getByTestId('step-condition');
  await condition.getByRole('checkbox', { name: 'Run this step only if' }).check();
  await condition.getByLabel('Output of step').selectOption('check');
  await condition.getByLabel('Path in its output').fill('health.healthy');
  await condition.getByLabel('Value').fill('false');
  expect(await seriousViolations(customer), 'the editor with a step’s condition').toEqual([]);
  await editor.getByRole('button', { name: 'Save version 1' }).click();
  await expect(customer.getByRole('heading', { name: 'Restart the Acme gateway if unhealthy', exact: true })).toBeVisible();
  return customer.url();
}

/** The definition, built in the editor (no JSON): Drive's files.list on the shared folder, then a restart confirmed by two of the group. Returns its page's URL. */
async function buildDefinition(customer: Page, o: { organizationId: string; gateway: string; groupId: string }): Promise<string> {
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  const [connection] = await db.select().from(connections).where(eq(connections.organizationId, o.organizationId));
  const [instance] = await db.select().from(instances).where(eq(instances.name, o.gateway));
  await db.$client.end();
  await customer.goto('/workflows');
  await customer.getByRole('link', { name: 'New workflow' }).click();
  const editor = customer.getByRole('form', { name: 'Workflow editor' });
  const step = (n: number) => customer.getByTestId(`editor-step-${n}`);
  await editor.getByLabel('Name', { exact: true }).fill('Acme folder and gateway');

  await editor.getByRole('button', { name: 'Add step' }).click();
  await step(1).getByLabel('Step name').fill('List the Acme shared folder');
  await step(1).getByLabel('Id (for references)').fill('list');
  await step(1).getByLabel('Capability').selectOption({ label: 'Google Drive' });
  await step(1).getByLabel('Action').selectOption('files.list');
  await step(1).getByLabel('Connection').selectOption(connection!.id);
  await step(1).getByTestId('step-input').getByLabel('folderId').fill('folder-1');
  await step(1).getByTestId('step-input').getByLabel('pageSize').fill('5');

  await editor.getByLabel('Kind of step').selectOption('instance_action');
  await editor.getByRole('button', { name: 'Add step' }).click();
  await step(2).getByLabel('Step name').fill('Restart the Acme gateway');
  await step(2).getByLabel('Id (for references)').fill('restart');
  await step(2).getByLabel('Lifecycle action').selectOption('restart');
  await step(2).getByLabel('Instance').selectOption(instance!.id);
  const confirmation = step(2).getByTestId('step-confirmation');
  await confirmation.getByRole('checkbox', { name: 'Ask for a stricter confirmation' }).check();
  await confirmation.getByLabel('Approvals needed').fill('2');
  await confirmation.getByRole('checkbox', { name: 'Acme approvers' }).check();

  // Before saving, the editor has asked the policy engine by itself (Check policy asks on demand: tests/e2e/workflow-editor.spec.ts).
  await expect(step(1).getByTestId('step-verdict')).toContainText('Policy now: allowed');
  await expect(step(2).getByTestId('step-verdict')).toContainText('Policy now: needs confirmation');
  expect(await seriousViolations(customer), 'the editor with two steps and their verdicts').toEqual([]);
  await editor.getByRole('button', { name: 'Save version 1' }).click();
  await expect(customer.getByRole('heading', { name: 'Acme folder and gateway', exact: true })).toBeVisible();
  return customer.url();
}
