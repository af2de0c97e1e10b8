// Live updates in Chromium (ADR 0018): a company admin's workflow run starts waiting for an MSP approval
// in one browser, and the MSP admin's Approvals count in another browser's navigation shows it within
// 2 s without a reload, on a page that polls nothing (no loader request in a quiet 3 s before). With
// EventSource taken away, the same count follows by polling, and the page throws no error.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { createDb } from '../../db/client.ts';
import { createUser } from '../../db/users.ts';
import { signIn, signInAsAdmin } from './helpers.ts';

const definition = (name: string) =>
  JSON.stringify({
    format: 'anthropy-works.workflow-definition',
    formatVersion: 1,
    name,
    steps: [{ id: 'look', name: 'Someone at the MSP looks', kind: 'wait_for_person', message: 'Have a look' }],
  });

/** As the MSP admin: a new customer organization; then its company admin's page, signed in. */
async function customerAdmin(admin: Page, browser: Browser, label: string): Promise<Page> {
  const suffix = Date.now().toString(36);
  await admin.goto('/organizations');
  await admin.getByRole('form', { name: 'Create organization' }).getByLabel('New customer organization').fill(`${label} ${suffix}`);
  await admin.getByRole('button', { name: 'Create' }).click();
  await admin
    .getByTestId('organizations')
    .getByRole('link', { name: `${label} ${suffix}`, exact: true })
    .click();
  await admin.waitForURL(/\/organizations\/[0-9a-f-]{36}$/);
  const organizationId = new URL(admin.url()).pathname.split('/').pop()!;
  const email = `${label.toLowerCase()}-${suffix}@customer.test`;
  const password = 'live-password-0123';
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  await createUser(db, { email, password, name: `${label} Admin`, role: 'company_admin', organizationId });
  await db.$client.end();
  const customer = await (await browser.newContext()).newPage();
  await signIn(customer, email, password);
  await expect(customer.getByTestId('console-view')).toHaveText('Company admin view');
  return customer;
}

/** As the company admin: imports a one-step definition that waits for an MSP approval, and returns the Run button. */
async function importWaitingWorkflow(customer: Page, name: string) {
  await customer.goto('/workflows');
  const form = customer.getByRole('form', { name: 'Import workflow' });
  await form.getByLabel('Document').fill(definition(name));
  await form.getByRole('button', { name: 'Import' }).click();
  await expect(customer.getByRole('heading', { name })).toBeVisible();
  return customer.getByRole('button', { name: 'Run version 1' });
}

const approvalsCount = async (page: Page) => {
  const badge = page.getByTestId('nav-count-approvals');
  return (await badge.count()) ? Number(await badge.textContent()) : 0;
};

/** Loader requests (React Router's `.data` fetches) the page makes from now on. */
function countLoaderRequests(page: Page): { count: () => number } {
  let n = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.endsWith('.data')) n++;
  });
  return { count: () => n };
}

test('an approval requested in one browser shows in the other browser’s Approvals count within 2 s, without polling', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  const runButton = await importWaitingWorkflow(await customerAdmin(page, browser, 'Live'), 'Live approval');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // The MSP admin on a page that shows no jobs: only the navigation listens.
  await page.goto('/organizations');
  await expect(page.locator('html')).toHaveAttribute('data-live', 'events');
  const before = await approvalsCount(page);
  const loads = countLoaderRequests(page);
  await page.waitForTimeout(3_000);
  expect(loads.count()).toBe(0); // nothing polls: a count that changes below was told, not fetched on a timer

  const customerPage = runButton.page();
  await runButton.click();
  await expect(customerPage.getByTestId('job-state')).toHaveText('waiting for approval', { timeout: 60_000 });
  await expect(page.getByTestId('nav-count-approvals')).toHaveText(String(before + 1), { timeout: 2_000 });
  expect(page.url()).toMatch(/\/organizations$/); // no navigation, no reload
  expect(errors).toEqual([]);

  // Cancelling it takes it out of the count as promptly.
  await customerPage.getByRole('form', { name: 'Cancel job' }).getByRole('button').click();
  await expect(customerPage.getByTestId('job-state')).toHaveText('cancelled');
  await expect(page.getByTestId('nav-count-approvals')).toHaveCount(before ? 1 : 0, { timeout: 2_000 });
});

test('without EventSource the console polls instead, and throws no error', async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext();
  await context.addInitScript(() => {
    delete (window as { EventSource?: unknown }).EventSource;
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await signInAsAdmin(page);
  const runButton = await importWaitingWorkflow(await customerAdmin(page, browser, 'Polled'), 'Polled approval');
  const customer = runButton.page();

  await page.goto('/approvals');
  await expect(page.locator('html')).toHaveAttribute('data-live', 'polling');
  const before = await approvalsCount(page);
  await runButton.click();
  await expect(customer.getByTestId('job-state')).toHaveText('waiting for approval', { timeout: 60_000 });
  // The inbox polls every 5 s: the count follows within a couple of ticks.
  await expect(page.getByTestId('nav-count-approvals')).toHaveText(String(before + 1), { timeout: 12_000 });
  await customer.getByRole('form', { name: 'Cancel job' }).getByRole('button').click();
  await expect(customer.getByTestId('job-state')).toHaveText('cancelled');
  expect(errors).toEqual([]);
});
