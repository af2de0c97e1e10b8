// The steps the live connection specs share: an MSP admin makes a customer organization and lets it use a
// provider's capability; the customer's company admin signs in (a browser context of their own) and
// creates a live connection, whose page shows the redirect URI to register with the OAuth client.
import { expect, type Browser, type Page } from '@playwright/test';
import { createDb } from '../../db/client.ts';
import { createUser } from '../../db/users.ts';
import { signIn, signInAsAdmin } from './helpers.ts';

/** The catalogue entry's key and name, and the one action the organization may run. */
export interface AllowedCapability {
  key: string;
  name: string;
  action: string;
}

/**
 * As the MSP admin: an organization "<label> <suffix>" and its permission for the capability; then the
 * page of its company admin ("<label> Admin"), signed in.
 */
export async function customerAllowed(page: Page, browser: Browser, label: string, capability: AllowedCapability): Promise<Page> {
  const suffix = Date.now().toString(36);
  const organization = `${label} ${suffix}`;
  const companyAdmin = { email: `${label.toLowerCase()}-admin-${suffix}@customer.test`, password: `${label.toLowerCase()}-password-0123`, name: `${label} Admin` };
  await signInAsAdmin(page);
  await page.goto('/organizations');
  await page.getByRole('form', { name: 'Create organization' }).getByLabel('New customer organization').fill(organization);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByTestId('organizations').getByRole('link', { name: organization, exact: true }).click();
  await page.waitForURL(/\/organizations\/[0-9a-f-]{36}$/);
  const organizationId = new URL(page.url()).pathname.split('/').pop()!;
  await page.getByRole('link', { name: 'Permissions' }).click();
  const permission = page.getByTestId('permissions').locator(`tr[data-key="${capability.key}"]`).getByRole('form');
  await permission.getByRole('checkbox', { name: 'Enabled' }).check();
  await permission.getByRole('checkbox', { name: capability.action }).check();
  await permission.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText(`Saved the permission for ${capability.name} (its own).`);

  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  await createUser(db, { ...companyAdmin, role: 'company_admin', organizationId });
  await db.$client.end();

  const customer = await (await browser.newContext()).newPage();
  await signIn(customer, companyAdmin.email, companyAdmin.password);
  await expect(customer.getByTestId('console-view')).toHaveText('Company admin view');
  return customer;
}

/** As the company admin: a live connection to `provider`, and its page, which shows the console's callback as the redirect URI. */
export async function openNewConnection(customer: Page, provider: string, name: string, baseURL: string | undefined): Promise<void> {
  await customer.goto('/connections');
  const create = customer.getByRole('form', { name: 'Create connection' });
  await create.getByLabel('Provider').selectOption(provider);
  await create.getByLabel('Name', { exact: true }).fill(name);
  await create.getByRole('button', { name: 'Create connection' }).click();
  await customer.getByRole('status').getByRole('link', { name }).click();
  await expect(customer.getByTestId('redirect-uri')).toHaveText(new URL('/connections/oauth/callback', baseURL).toString());
}

/** As the company admin: a demo Google Drive connection "Shared Drive", tested (connected); answers its id. */
export async function demoDriveConnection(customer: Page): Promise<string> {
  await customer.goto('/connections');
  const create = customer.getByRole('form', { name: 'Create connection' });
  await create.getByLabel('Provider').selectOption('google_drive');
  await create.getByLabel('Name', { exact: true }).fill('Shared Drive');
  await create.getByLabel('Mode').selectOption('demo');
  await create.getByRole('button', { name: 'Create connection' }).click();
  await customer.getByRole('status').getByRole('link', { name: 'Shared Drive' }).click();
  await customer.getByRole('button', { name: 'Test connection' }).click();
  await expect(customer.getByTestId('connection-status')).toHaveText('connected');
  return customer.url().split('/connections/')[1]!;
}
