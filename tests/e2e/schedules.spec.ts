// Issue 15 in the browser: a company admin schedules a nightly Drive listing (a bad cron expression is
// refused on its field), sees its next times at 02:00 in the organization's time zone (set by the MSP
// admin; the schedule names none, so its calendar is read there too), runs it now (the run
// appears in the schedule's runs and completes, its listing Demo), and pauses it.
import { expect, test } from '@playwright/test';
import { driveListStep } from '../jest/sample-steps.ts';
import { customerAllowed, testedDemoDrive } from './connections-helpers.ts';

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
