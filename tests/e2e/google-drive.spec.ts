// Issue 13's "done when" for Google Drive, in Chromium: an MSP admin lets a customer use Google Drive on
// its permissions page; the customer's company admin creates a live connection, connects it through the
// consent flow of the local authorization server (tests/stand-ins/, started by global-setup.ts), tests it,
// and runs files.list from the connection page, seeing Live results from the loopback Drive API.
import { expect, test } from '@playwright/test';
import { customerAllowed, openNewConnection } from './connections-helpers.ts';

test('a company admin connects Google Drive through the consent flow, tests it and lists files Live', async ({ page, browser, baseURL }) => {
  const customer = await customerAllowed(page, browser, 'Drive', { key: 'google_drive', name: 'Google Drive', action: 'files.list' });
  await openNewConnection(customer, 'google_drive', 'Drive', baseURL);

  // To the authorization server on loopback (it consents for its test account at once) and back.
  await customer.getByRole('button', { name: 'Connect Google Drive' }).click();
  await expect(customer.getByTestId('connection-status')).toHaveText('connected');
  await expect(customer.getByTestId('credentials')).toContainText('•••••••• (ends …');
  await expect(customer.getByRole('button', { name: 'Reconnect Google Drive' })).toBeVisible();

  await customer.getByRole('button', { name: 'Test connection' }).click();
  await expect(customer.getByTestId('last-test')).toContainText('Live: Google Drive answered');

  const run = customer.getByRole('form', { name: 'Run an action' });
  await run.getByLabel('Action').selectOption('files.list');
  await run.getByLabel('Input (JSON)').fill('{"pageSize": 2, "limit": 5}');
  await run.getByRole('button', { name: 'Run' }).click();
  await expect(customer.getByTestId('action-source')).toHaveText('Live');
  await expect(customer.getByTestId('action-files').getByRole('listitem')).toHaveCount(5);
  await expect(customer.getByTestId('action-files')).toContainText('Report 1.pdf');

  // files.get is not allowed by the organization's permission: the policy engine says so.
  await run.getByLabel('Action').selectOption('files.get');
  await run.getByLabel('Input (JSON)').fill('{"fileId": "file-1"}');
  await run.getByRole('button', { name: 'Run' }).click();
  await expect(customer.getByRole('alert')).toContainText('does not allow files.get');
});
