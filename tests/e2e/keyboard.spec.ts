// Issue 16's keyboard bar: the console is usable without a mouse. Every step here is a key press (Tab,
// arrows, Enter, typing); the mouse is never used, and each assertion checks where the focus is.
import crypto from 'node:crypto';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { seriousViolations } from './axe.ts';
import { E2E_ADMIN } from './helpers.ts';

/** Press Tab until `target` has the focus (at most `max` presses); fails naming the target otherwise. */
async function tabTo(page: Page, target: Locator, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${target} never got the focus after ${max} presses of Tab`);
}

test('signing in, moving between pages, filling a form, opening a row and switching organization take only the keyboard', async ({ page }) => {
  await page.goto('/login');
  await tabTo(page, page.getByLabel('Email'));
  await page.keyboard.type(E2E_ADMIN.email);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.keyboard.type(E2E_ADMIN.password);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('signed-in-role')).toHaveText('MSP admin');

  // The first Tab shows the skip link; following it puts the focus on the page's content, past the navigation.
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#content')).toBeFocused();

  // Following a navigation link lands the focus on the new page's heading, not on a link that is gone.
  const nav = page.getByRole('navigation', { name: 'Console' });
  await page.getByRole('link', { name: 'Anthropy Works' }).focus();
  await tabTo(page, nav.getByRole('link', { name: 'Nodes', exact: true }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Nodes' })).toBeFocused();

  // A refused form puts the focus on the field to fix; fixing it and pressing Enter creates the node.
  const form = page.getByRole('form', { name: 'Create node' });
  const organization = form.locator('select[name="organizationId"]');
  await tabTo(page, organization);
  await page.keyboard.press('ArrowDown'); // the first organization, past the disabled prompt
  await expect(organization).not.toHaveValue('');
  await page.keyboard.press('Tab');
  await expect(form.getByRole('textbox', { name: /^Name/ })).toBeFocused();
  await page.keyboard.type('-not-a-name-');
  await page.keyboard.press('Enter');
  await expect(form.getByRole('textbox', { name: /^Name/ })).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByRole('textbox', { name: /^Name/ })).toBeFocused();
  const name = `kb-${crypto.randomBytes(3).toString('hex')}`;
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toContainText(`Created ${name}`);

  // The new node's row opens from the keyboard.
  await page.getByRole('heading', { level: 1, name: 'Nodes' }).focus();
  await tabTo(page, page.getByTestId('nodes').getByRole('link', { name }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name })).toBeFocused();

  // The organization switcher: choose with the arrows, open with Enter on its button; no navigation while choosing.
  const switcher = page.getByRole('form', { name: 'Organization switcher' });
  await page.getByRole('link', { name: 'Anthropy Works' }).focus();
  await tabTo(page, switcher.getByLabel('Switch organization'));
  const before = page.url();
  await page.keyboard.press('ArrowDown');
  const chosen = await switcher.getByLabel('Switch organization').evaluate((s: HTMLSelectElement) => s.selectedOptions[0]!.text);
  expect(page.url()).toBe(before);
  await page.keyboard.press('Tab');
  await expect(switcher.getByRole('button', { name: 'Open' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: chosen })).toBeVisible();
});

test('a page that fails inside the console says so in the one error page and keeps the navigation', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E_ADMIN.email);
  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-role')).toHaveText('MSP admin');

  const response = await page.goto(`/nodes/${crypto.randomUUID()}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId('error-page').getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Jobs', exact: true })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // Signed out, the same page has no navigation to keep.
  await page.context().clearCookies();
  const gone = await page.goto('/no-such-page');
  expect(gone?.status()).toBe(404);
  await expect(page.getByTestId('error-page')).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Console' })).toHaveCount(0);
});
