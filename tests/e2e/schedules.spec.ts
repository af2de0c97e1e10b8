// Issue 15 in the browser: a company admin schedules a nightly Drive listing (a bad cron expression is
// refused on its field), sees its next times at 02:00 in the organization's time zone (set by the MSP
// admin; the schedule names none, so its calendar is read there too), runs it now (the run
// appears in the schedule's runs and completes, its listing Demo), and pauses it. A company user of the
// approver group its runs ask approves them in advance from the schedule's page (a standing approval).
import { expect, test } from '@playwright/test';
import { createDb } from '../../db/client.ts';
import { approverGroupMembers, approverGroups } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import { driveListStep } from '../jest/sample-steps.ts';
import { customerAllowed, testedDemoDrive } from './connections-helpers.ts';
import { signIn } from './helpers.ts';

test('schedules: create (errors on the field), next times in the time zone, run now, the runs list, pause', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const customer = await customerAllowed(page, browser, 'Nightly', { key: 'google_drive', name: 'Google Drive', action: 'files.list' });

  const connectionId = await testedDemoDrive(customer, 'Shared Drive');
  // The MSP admin sets the customer's time zone on its page (bad text refused on the field).
  await page.goto(page.url().replace(/\/permissions$/, ''));
  const zone = page.getByRole('form', { name: 'Time zone' });
  await zone.getByLabel(/^Time zone/).fill('Mars/Olympus');
  await zone.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('form', { name: 'Time zone' })).toContainText('timeZone must be an IANA time zone such as Europe/Berlin');
  await page
    .getByRole('form', { name: 'Time zone' })
    .getByLabel(/^Time zone/)
    .fill('Europe/Berlin');
  await page.getByRole('form', { name: 'Time zone' }).getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('form', { name: 'Time zone' }).getByLabel(/^Time zone/)).toHaveValue('Europe/Berlin');

  await customer.goto('/workflows');
  const doc = { format: 'anthropy-works.workflow-definition', formatVersion: 1, name: 'Drive listing', steps: [driveListStep(connectionId, { pageSize: 5 })] };
  await customer.getByRole('form', { name: 'Import workflow' }).getByLabel('Document').fill(JSON.stringify(doc));
  await customer.getByRole('form', { name: 'Import workflow' }).getByRole('button', { name: 'Import' }).click();
  await customer.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);

  await customer.getByRole('link', { name: 'Schedules' }).click();
  const form = customer.getByRole('form', { name: 'New schedule' });
  await form.getByLabel('Workflow').selectOption({ index: 1 });
  await form.getByLabel('Name').fill('Nightly listing');
  await form.getByLabel('Cron expression').fill('61 2 * * *');
  await form.getByRole('button', { name: 'Create schedule' }).click();
  await expect(customer.getByRole('form', { name: 'New schedule' })).toContainText('spec.expression is not valid: the minute field allows 0–59');

  const again = customer.getByRole('form', { name: 'New schedule' });
  await again.getByLabel('Workflow').selectOption({ index: 1 });
  await again.getByLabel('Name').fill('Nightly listing');
  await again.getByLabel('Cron expression').fill('0 2 * * *');
  await again.getByRole('button', { name: 'Create schedule' }).click();
  await customer.waitForURL(/\/schedules\/[0-9a-f-]{36}$/);
  await expect(customer.getByRole('heading', { name: 'Nightly listing' })).toBeVisible();
  await expect(customer.getByTestId('schedule-state')).toHaveText('active');
  const upcoming = customer.getByTestId('schedule-upcoming').getByRole('listitem');
  await expect(upcoming).toHaveCount(5);
  for (const item of await upcoming.all()) await expect(item).toHaveText(/ 02:00:00 Europe\/Berlin$/);

  await customer.getByRole('button', { name: 'Run now' }).click();
  const runs = customer.getByTestId('schedule-runs');
  await expect(async () => {
    await customer.reload();
    await expect(runs.getByRole('row')).toHaveCount(2);
    await expect(runs).toContainText('completed');
  }).toPass({ timeout: 30_000 });
  await runs.getByRole('link', { name: 'Run' }).click();
  await expect(customer.getByText('Demo').first()).toBeVisible();
  await customer.goBack();

  await customer.getByRole('button', { name: 'Pause' }).click();
  await expect(customer.getByTestId('schedule-state')).toHaveText('paused');
  await expect(customer.getByRole('button', { name: 'Resume' })).toBeVisible();
  await customer.goto('/schedules');
  const listed = customer.getByTestId('schedules').getByRole('row', { name: /Nightly listing/ });
  await expect(listed).toContainText('paused');
  // At a glance: its last run (completed), no next run while paused, its Temporal Schedule.
  await expect(listed.getByRole('link', { name: 'completed' })).toBeVisible();
  await expect(listed.getByRole('link', { name: 'Temporal' })).toHaveAttribute('href', /\/schedules\/schedule-[0-9a-f-]+$/);
});

test('a company user of the approver group opens the schedule, approves its next runs in advance, and a run then goes through without waiting', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const customer = await customerAllowed(page, browser, 'Standing', { key: 'google_drive', name: 'Google Drive', action: 'files.list' });
  const organizationId = (await customer.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Organization', exact: true }).getAttribute('href'))!
    .split('/')
    .pop()!;

  // A company user, the one member of the organization's "Night approvers".
  const suffix = Date.now().toString(36);
  const approver = { email: `standing-user-${suffix}@customer.test`, password: 'standing-user-password-0123', name: 'Night Approver' };
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  const user = await createUser(db, { ...approver, role: 'company_user', organizationId });
  const [group] = await db.insert(approverGroups).values({ organizationId, name: 'Night approvers' }).returning();
  await db.insert(approverGroupMembers).values({ groupId: group!.id, userId: user.id });
  await db.$client.end();

  // The company admin schedules a definition whose one step waits for that group's approval.
  await customer.goto('/workflows');
  const doc = {
    format: 'anthropy-works.workflow-definition',
    formatVersion: 1,
    name: 'Night check',
    steps: [
      {
        id: 'look',
        name: 'Look at the night report',
        kind: 'wait_for_person',
        message: 'Read the report first',
        confirmation: { approvalsNeeded: 1, approverGroupIds: [group!.id], expiresInHours: 1 },
      },
    ],
  };
  await customer.getByRole('form', { name: 'Import workflow' }).getByLabel('Document').fill(JSON.stringify(doc));
  await customer.getByRole('form', { name: 'Import workflow' }).getByRole('button', { name: 'Import' }).click();
  await customer.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);
  await customer.goto('/schedules');
  const form = customer.getByRole('form', { name: 'New schedule' });
  await form.getByLabel('Workflow').selectOption({ index: 1 }); // its only definition
  await form.getByLabel('Name').fill('Every night');
  await form.getByLabel('Cron expression').fill('0 3 * * *');
  await form.getByRole('button', { name: 'Create schedule' }).click();
  await customer.waitForURL(/\/schedules\/[0-9a-f-]{36}$/);
  const schedulePath = new URL(customer.url()).pathname;

  // The approver signs in, finds the schedule in their navigation, sees whom its runs ask and approves the next two.
  const person = await (await browser.newContext()).newPage();
  await signIn(person, approver.email, approver.password);
  await person.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Schedules', exact: true }).click();
  await person.getByTestId('schedules').getByRole('link', { name: 'Every night' }).click();
  await expect(person).toHaveURL(new RegExp(`${schedulePath}$`));
  await expect(person.getByRole('button', { name: 'Pause' })).toHaveCount(0); // they see it; they do not manage it
  await expect(person.getByText('Look at the night report: 1 approval by an approver group')).toBeVisible();
  const advance = person.getByRole('form', { name: 'Approve runs in advance' });
  await advance.getByLabel('For this many runs').fill('2');
  await advance.getByRole('button', { name: 'Approve in advance' }).click();
  const standing = person.getByTestId('standing-approvals');
  await expect(standing.getByRole('row', { name: new RegExp(approver.email) })).toContainText('0 of 2');

  // The next run records that approval when its step asks, and completes without anyone waiting.
  await customer.reload();
  await customer.getByRole('button', { name: 'Run now' }).click();
  const runs = customer.getByTestId('schedule-runs');
  await expect(async () => {
    await customer.reload();
    await expect(runs).toContainText('completed');
  }).toPass({ timeout: 30_000 });
  await person.reload();
  await expect(standing.getByRole('row', { name: new RegExp(approver.email) })).toContainText('1 of 2');
});
