// Issue 12 in the browser: the catalogue (filters, a custom entry added, disabled and deleted), and an
// organization's permissions matrix: the MSP admin takes `restart` away from a customer's OpenClaw
// lifecycle permission, and the check form then answers with the rule that blocks it.
import { expect, test } from '@playwright/test';
import { signInAsAdmin } from './helpers.ts';

test('the catalogue lists entries with their risks, filters them, and an MSP admin adds, disables and deletes one', async ({ page }) => {
  await signInAsAdmin(page);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Capabilities' }).click();
  await expect(page.getByRole('heading', { name: 'Capabilities' })).toBeVisible();
  const table = page.getByTestId('capabilities');
  const runtime = table.locator('tr[data-key="openclaw.runtime"]');
  await expect(runtime).toContainText('exec');
  await expect(runtime).toContainText('critical');

  const filters = page.getByRole('form', { name: 'Filter capabilities' });
  await filters.getByLabel('Kind').selectOption('pack');
  await filters.getByRole('button', { name: 'Filter' }).click();
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.locator('tr[data-key="pack.read_only_assistant"]')).toContainText('openclaw.fs: read');
  await page.goto('/capabilities');

  const add = page.getByRole('form', { name: 'Add a capability' });
  await add.getByLabel('Key', { exact: true }).fill('acme.crm');
  await add.getByLabel('Name', { exact: true }).fill('Acme CRM');
  await add.getByLabel(/^Actions, one per line/).fill('contacts.list low List the contacts\ncontacts.delete extreme Delete one');
  await add.getByRole('button', { name: 'Add' }).click();
  await expect(page.getByRole('alert')).toContainText('risk must be one of low, medium, high, critical');
  await expect(table.locator('tr[data-key="acme.crm"]')).toHaveCount(0);

  await add.getByLabel('Key', { exact: true }).fill('acme.crm');
  await add.getByLabel('Name', { exact: true }).fill('Acme CRM');
  await add.getByLabel(/^Actions, one per line/).fill('contacts.list low List the contacts\ncontacts.delete critical Delete one');
  await add.getByRole('button', { name: 'Add' }).click();
  await expect(page.getByRole('status')).toHaveText('Added Acme CRM to the catalogue.');
  const crm = table.locator('tr[data-key="acme.crm"]');
  await expect(crm).toContainText('Custom (1.0.0)');

  await crm.getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByRole('status')).toHaveText('Acme CRM is disabled.');
  await expect(crm).toContainText('disabled');
  await crm.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('status')).toHaveText('Deleted Acme CRM.');
  await expect(crm).toHaveCount(0);
  // A built-in entry can be disabled but has no Delete button.
  await expect(runtime.getByRole('button', { name: 'Delete' })).toHaveCount(0);
});

test('the permissions matrix takes restart away from a customer, and the check form names the rule', async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto('/organizations');
  const name = `Perm ${Date.now()}`;
  await page.getByRole('form', { name: 'Create organization' }).getByLabel('New customer organization').fill(name);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByTestId('organizations').getByRole('link', { name, exact: true }).click();
  await page.getByRole('link', { name: 'Permissions' }).click();
  await expect(page.getByRole('heading', { name: `Permissions of ${name}` })).toBeVisible();

  const lifecycle = page.getByTestId('permissions').locator('tr[data-key="openclaw.lifecycle"]');
  await expect(lifecycle).toContainText('Built-in default');
  const check = page.getByRole('form', { name: 'Check an action' });
  await check.getByLabel('Capability').selectOption('openclaw.lifecycle');
  await check.getByLabel('Action').fill('restart');
  await check.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('verdict')).toContainText('needs confirmation');

  const form = lifecycle.getByRole('form');
  await form.getByRole('checkbox', { name: 'restart' }).uncheck();
  await form.getByLabel('Runs per hour').fill('20');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved the permission for OpenClaw lifecycle (its own).');
  await expect(lifecycle).toContainText('Own permission');
  await expect(lifecycle.getByRole('checkbox', { name: 'restart' })).not.toBeChecked();

  await check.getByLabel('Capability').selectOption('openclaw.lifecycle');
  await check.getByLabel('Action').fill('restart');
  await check.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('verdict')).toContainText('blocked by action.not_allowed');
  await expect(page.getByTestId('verdict')).toContainText(`${name}’s permission for OpenClaw lifecycle does not allow restart.`);

  await check.getByLabel('Capability').selectOption('google_drive');
  await check.getByLabel('Action').fill('files.list');
  await check.getByRole('button', { name: 'Check' }).click();
  await expect(page.getByTestId('verdict')).toContainText('blocked by permission.missing');
});
