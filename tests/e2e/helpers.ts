import { expect, type Page } from '@playwright/test';

export const E2E_ADMIN = { email: 'admin@example.com', password: 'e2e-admin-password-0123' };

export async function signIn(page: Page, email = E2E_ADMIN.email, password = E2E_ADMIN.password) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function signInAsAdmin(page: Page) {
  await signIn(page);
  await expect(page.getByTestId('signed-in-role')).toHaveText('MSP admin');
}
