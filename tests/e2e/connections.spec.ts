// Issue 13 in the browser: an MSP admin creates a customer's connections from its organization page, sets
// a credential through the one-time form (a password field, never echoed back), is told which non-secret
// field a live test needs before anything is called, runs a demo connection to "connected", and disables
// and deletes it.
import { expect, test } from '@playwright/test';
import { testedDemoDrive } from './connections-helpers.ts';
import { signInAsAdmin } from './helpers.ts';

test('connections of a customer: create, one-time credentials, test, disable, delete', async ({ page }) => {
  await signInAsAdmin(page);
  await page.goto('/organizations');
  const name = `Conn ${Date.now()}`;
  await page.getByRole('form', { name: 'Create organization' }).getByLabel('New customer organization').fill(name);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByTestId('organizations').getByRole('link', { name, exact: true }).click();
  await page.getByRole('main').getByRole('link', { name: 'Connections' }).click();
  await expect(page.getByRole('heading', { name: 'Connections' })).toBeVisible();

  const create = page.getByRole('form', { name: 'Create connection' });
  await create.getByLabel('Provider').selectOption('composio');
  await create.getByLabel('Name', { exact: true }).fill('Composio');
  await create.getByRole('button', { name: 'Create connection' }).click();
  await page.getByRole('status').getByRole('link', { name: 'Composio' }).click();
  await expect(page.getByTestId('connection-status')).toHaveText('pending');
  await expect(page.getByTestId('credentials')).toHaveText('Not set');

  const secret = 'ck_e2e_do-not-echo-9876';
  const form = page.getByRole('form', { name: 'Set credentials' });
  await expect(form.getByLabel('apiKey')).toHaveAttribute('type', 'password');
  await form.getByLabel('apiKey').fill(secret);
  await form.getByRole('button', { name: 'Save credentials' }).click();
  await expect(page.getByTestId('credentials')).toHaveText('•••••••• (ends …9876)');
  await expect(page.getByRole('form', { name: 'Set credentials' }).getByLabel('apiKey')).toHaveValue('');
  expect(await page.content()).not.toContain('do-not-echo');

  await page.getByRole('button', { name: 'Test connection' }).click();
  // No connected account yet: the field is named, Composio is not called, nothing changes.
  await expect(page.getByRole('form', { name: 'Set credentials' })).toContainText('Composio has no Composio connected account: set metadata.connectedAccountId');
  await expect(page.getByTestId('last-test')).toHaveText('Never tested');
  await expect(page.getByTestId('connection-status')).toHaveText('pending');

  // A demo connection to Google Drive: tested, it is connected and says where its answers come from.
  await testedDemoDrive(page, 'Drive (demo)', name);
  await expect(page.getByTestId('last-test')).toContainText('Demo: Demo mode');
  await expect(page.getByTestId('linked-capabilities')).toContainText('Google Drive');

  await page.getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByTestId('connection-status')).toHaveText('disabled');
  await page.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('heading', { name: 'Connections' })).toBeVisible();
  await expect(page.getByTestId('connections')).toContainText('Composio');
  await expect(page.getByTestId('connections')).not.toContainText('Drive (demo)');
});
