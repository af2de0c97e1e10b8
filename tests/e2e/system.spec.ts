import { expect, test } from '@playwright/test';
import { E2E_ADMIN, signIn, signInAsAdmin } from './helpers.ts';

test('the readiness check runs as a workflow, shows its result, and links to its run in Temporal Web', async ({ page, context }) => {
  await signInAsAdmin(page);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'System', exact: true }).click();
  await page.getByRole('button', { name: 'Run readiness check' }).click();

  const row = page.getByTestId('readiness-checks').locator('tbody tr').first();
  await expect(row.getByTestId('readiness-status')).toHaveText('passed');
  await expect(row).toContainText('PostgreSQL 18');
  await expect(row).toContainText('Temporal server 1.');
  await expect(row).toContainText(E2E_ADMIN.email);

  const link = row.getByTestId('temporal-link');
  const href = await link.getAttribute('href');
  const match = href?.match(/^http:\/\/localhost:\d+\/namespaces\/default\/workflows\/(readiness-check-[0-9a-f-]+)\/[0-9a-f-]+\/history$/);
  expect(match, `unexpected Temporal Web link ${href}`).not.toBeNull();

  await page.screenshot({ path: 'test-results/screens/system.png', fullPage: true });
  // Temporal Web itself (served by the dev server) shows the run.
  const temporalWeb = await context.newPage();
  await temporalWeb.goto(href!);
  await expect(temporalWeb.getByText(match![1]!).first()).toBeVisible({ timeout: 30_000 });
  await expect(temporalWeb.getByText('Completed').first()).toBeVisible();
  // Its payloads are encrypted (ADR 0016). The dev server points Temporal Web at the console's codec
  // server, which refuses it without the console's cookie: the ciphertext shows (binary/encrypted), no result.
  await expect(temporalWeb.getByText('"YmluYXJ5L2VuY3J5cHRlZA==",').first()).toBeVisible();
  await expect(temporalWeb.getByText(/migrations applied/)).toHaveCount(0);
  await temporalWeb.screenshot({ path: 'test-results/screens/temporal-web.png' });

  // With the browser's codec setting that sends the console's session cookie (once per browser: README,
  // Security), Temporal Web shows them decoded by the console.
  const decoding = await context.newPage();
  await decoding.addInitScript((endpoint) => {
    localStorage.setItem('endpoint', JSON.stringify(endpoint));
    localStorage.setItem('includeCredentials', 'true');
    localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
  }, new URL('/codec', page.url()).toString());
  await decoding.goto(href!);
  await expect(decoding.getByText(/PostgreSQL 18\.\d+, \d+ migrations applied/).first()).toBeVisible({ timeout: 30_000 });
  await decoding.screenshot({ path: 'test-results/screens/temporal-web-decoded.png' });
});

test('sign-ins, failed sign-ins, sign-outs and the readiness check are in the audit trail', async ({ page }) => {
  await signIn(page, E2E_ADMIN.email, 'a-wrong-password-for-the-audit');
  await expect(page.getByRole('alert')).toBeVisible();
  await signInAsAdmin(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signInAsAdmin(page);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit', exact: true }).click();
  const table = page.getByTestId('audit-events');
  await expect(table.locator('tr', { hasText: 'auth.sign_in' }).filter({ hasText: 'success' }).first()).toContainText(E2E_ADMIN.email);
  await expect(table.locator('tr', { hasText: 'auth.sign_in' }).filter({ hasText: 'wrong password' }).first()).toBeVisible();
  await expect(table.locator('tr', { hasText: 'job.completed' }).first()).toContainText('success');
  await expect(table.locator('tr', { hasText: 'auth.sign_out' }).first()).toContainText(E2E_ADMIN.email);
  await expect(table).not.toContainText('a-wrong-password-for-the-audit');
  // Filters come from the URL (trimmed); a bad one is named next to its field over an empty list.
  await page.goto('/audit?action=%20auth.sign_out%20');
  await expect(table.locator('tbody tr').first()).toContainText('auth.sign_out');
  await expect(table.locator('tr', { hasText: 'auth.sign_in' })).toHaveCount(0);
  await page.goto('/audit?from=2026-01-31T09:00&to=2026-01-01T09:00');
  await expect(page.getByText('to must not be before from')).toBeVisible();
  await expect(table.locator('tbody tr')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/screens/audit.png', fullPage: true });
});
