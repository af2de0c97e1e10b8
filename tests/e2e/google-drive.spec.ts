// Issue 13's "done when" for Google Drive, in Chromium: an MSP admin lets a customer use Google Drive on
// its permissions page; the customer's company admin creates a live connection, connects it through the
// consent flow of the local authorization server (tests/stand-ins/, started by global-setup.ts), tests it,
// and runs files.list from the connection page, seeing Live results from the loopback Drive API.
import { expect, test } from '@playwright/test';
import { createDb } from '../../db/client.ts';
import { createUser } from '../../db/users.ts';
import { signIn, signInAsAdmin } from './helpers.ts';

const suffix = Date.now().toString(36);
const ORG = `Drive ${suffix}`;
const COMPANY_ADMIN = { email: `drive-admin-${suffix}@customer.test`, password: 'drive-password-0123' };

test('a company admin connects Google Drive through the consent flow, tests it and lists files Live', async ({ page, browser, baseURL }) => {
  await signInAsAdmin(page);
  await page.goto('/organizations');
  await page.getByRole('form', { name: 'Create organization' }).getByLabel('New customer organization').fill(ORG);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByTestId('organizations').getByRole('link', { name: ORG, exact: true }).click();
  await page.waitForURL(/\/organizations\/[0-9a-f-]{36}$/);
  const organizationId = new URL(page.url()).pathname.split('/').pop()!;
  await page.getByRole('link', { name: 'Permissions' }).click();
  const drive = page.getByTestId('permissions').locator('tr[data-key="google_drive"]').getByRole('form');
  await drive.getByRole('checkbox', { name: 'Enabled' }).check();
  await drive.getByRole('checkbox', { name: 'files.list' }).check();
  await drive.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved the permission for Google Drive (its own).');

  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  await createUser(db, { ...COMPANY_ADMIN, name: 'Drive Admin', role: 'company_admin', organizationId });
  await db.$client.end();

  const customer = await (await browser.newContext()).newPage();
  await signIn(customer, COMPANY_ADMIN.email, COMPANY_ADMIN.password);
  await expect(customer.getByTestId('console-view')).toHaveText('Company admin view');
  await customer.goto('/connections');
  const create = customer.getByRole('form', { name: 'Create connection' });
  await create.getByLabel('Provider').selectOption('google_drive');
  await create.getByLabel('Name', { exact: true }).fill('Drive');
  await create.getByRole('button', { name: 'Create connection' }).click();
  await customer.getByRole('status').getByRole('link', { name: 'Drive' }).click();
  await expect(customer.getByTestId('redirect-uri')).toHaveText(new URL('/connections/oauth/callback', baseURL).toString());

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
