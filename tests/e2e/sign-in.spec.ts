import { expect, test } from '@playwright/test';
import { E2E_ADMIN, signIn, signInAsAdmin } from './helpers.ts';

test('a visitor is sent to the sign-in page', async ({ page }) => {
  await page.goto('/system');
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Fsystem$/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

test('a wrong password shows one generic error and no session', async ({ page, context }) => {
  await signIn(page, E2E_ADMIN.email, 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText('Email or password is incorrect.');
  await signIn(page, 'nobody@example.com', 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText('Email or password is incorrect.');
  expect((await context.cookies()).find((c) => c.name === 'aw_session')).toBeUndefined();
});

test('an empty or malformed email is named on its field', async ({ page }) => {
  await signIn(page, 'not-an-email', 'x');
  await expect(page.getByText('Enter a valid email address.')).toBeVisible();
  await signIn(page, '', '');
  await expect(page.getByText('Enter your email address.')).toBeVisible();
  await expect(page.getByText('Enter your password.')).toBeVisible();
});

test('the admin signs in, sees the console shell, and signs out', async ({ page, context }) => {
  await signInAsAdmin(page);
  const nav = page.getByRole('navigation', { name: 'Console' });
  for (const section of ['Organizations', 'Nodes', 'Instances', 'Jobs', 'Capabilities', 'Connections', 'Workflows', 'Audit', 'System']) {
    await expect(nav.getByRole('link', { name: section, exact: true })).toBeVisible();
  }
  await expect(nav.getByRole('link', { name: /Temporal Web/ })).toHaveAttribute('href', /^http:\/\/localhost:\d+$/);
  await expect(page.getByTestId('signed-in-user')).toContainText(E2E_ADMIN.email);

  const cookie = (await context.cookies()).find((c) => c.name === 'aw_session');
  expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });

  await expect(page.getByTestId('console-view')).toHaveText('MSP view');
  await nav.getByRole('link', { name: 'Instances', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Instances' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect((await context.cookies()).find((c) => c.name === 'aw_session')).toBeUndefined();
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
});
