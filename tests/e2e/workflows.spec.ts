// Issue 14's definitions in the browser: an MSP admin imports a workflow for a customer through its demo
// Drive connection, sees the steps and each one's policy verdict (blocked until the customer is granted
// Google Drive), is told which step and field of a bad document is wrong, duplicates and archives it.
import { expect, test } from '@playwright/test';
import { testedDemoDrive } from './connections-helpers.ts';
import { signInAsAdmin } from './helpers.ts';
import { driveListStep } from '../jest/sample-steps.ts';

test('workflow definitions: import, steps with policy verdicts, errors naming step and field, duplicate, archive', async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto('/organizations');
  const org = `Flow ${Date.now()}`;
  await page.getByRole('form', { name: 'Create organization' }).getByLabel('New customer organization').fill(org);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByTestId('organizations').getByRole('link', { name: org, exact: true })).toBeVisible();

  const connectionId = await testedDemoDrive(page, 'Shared Drive', org);

  const list = driveListStep(connectionId, { folderId: 'shared' });
  const tell = { id: 'tell', name: 'Tell the office', kind: 'notify', message: 'First file: {{ steps.list.output.files.0.name }}' };
  const doc = (steps: unknown[]) => JSON.stringify({ format: 'anthropy-works.workflow-definition', formatVersion: 1, name: 'List and tell', steps });

  await page.goto('/workflows');
  const importForm = page.getByRole('form', { name: 'Import workflow' });
  await importForm.getByLabel('Organization').selectOption({ label: org });
  await importForm.getByLabel('Document').fill(doc([tell, list]));
  await importForm.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('import-errors')).toContainText('definition.steps.0.message: step "tell" refers to step "list" which comes later');

  await page.getByRole('form', { name: 'Import workflow' }).getByLabel('Organization').selectOption({ label: org });
  await page
    .getByRole('form', { name: 'Import workflow' })
    .getByLabel('Document')
    .fill(doc([list, tell]));
  await page.getByRole('form', { name: 'Import workflow' }).getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('heading', { name: 'List and tell' })).toBeVisible();
  const steps = page.getByTestId('workflow-steps');
  await expect(steps).toContainText('google_drive: files.list through Shared Drive');
  // The customer was never granted Google Drive: the policy engine says so, naming its rule.
  await expect(page.getByTestId('step-verdict').first()).toContainText(`blocked by permission.missing: ${org} has no permission for Google Drive.`);
  await expect(page.getByTestId('step-verdict').nth(1)).toContainText('Records its message on the run');
  await expect(page.getByTestId('workflow-versions').locator('tbody tr')).toHaveCount(1);

  await page.getByRole('button', { name: 'Duplicate' }).click();
  await expect(page.getByRole('heading', { name: 'Copy of List and tell' })).toBeVisible();
  await page.getByRole('button', { name: 'Archive' }).click();
  await expect(page.getByRole('button', { name: 'Unarchive' })).toBeVisible();
  await page.goto('/workflows');
  await expect(page.getByTestId('workflows')).toContainText('List and tell');
  await expect(page.getByTestId('workflows')).not.toContainText('Copy of List and tell');
});
