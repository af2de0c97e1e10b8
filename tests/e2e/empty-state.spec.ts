// Issue 16's consistent empty state: a new customer's company admin opens each list of their console
// before anything exists, and every one answers with the same empty state (the shared component: what is
// missing and what to do about it), never a bare table or a sentence of its own; a list filtered to
// nothing says that nothing matches and offers to clear the filters.
import { expect, test } from '@playwright/test';
import { createDb } from '../../db/client.ts';
import { organizations } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import { signIn } from './helpers.ts';

const suffix = Date.now().toString(36);
const person = { email: `empty-admin-${suffix}@customer.test`, password: 'empty-password-0123' };

test.beforeAll(async () => {
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  const [org] = await db
    .insert(organizations)
    .values({ name: `Empty ${suffix}`, kind: 'customer' })
    .returning();
  await createUser(db, { ...person, name: 'Empty Admin', role: 'company_admin', organizationId: org!.id });
  await db.$client.end();
});

test('every list of a new customer’s console shows the one empty state', async ({ page }) => {
  await signIn(page, person.email, person.password);
  await expect(page.getByTestId('console-view')).toHaveText('Company admin view');
  const lists = {
    '/nodes': 'No nodes yet.',
    '/instances': 'No OpenClaw instance yet.',
    '/jobs': 'No jobs yet.',
    '/schedules': 'No schedules yet.',
    '/connections': 'No connections yet.',
    '/approvals': 'Nothing waits for your approval.',
    '/approver-groups': 'No approver groups yet.',
    '/account/tokens': 'You have no API tokens yet.',
  };
  for (const [path, missing] of Object.entries(lists)) {
    await page.goto(path);
    const empty = page.getByTestId('empty-state');
    await expect(empty, path).toHaveCount(1);
    await expect(empty.locator('.empty-title'), path).toHaveText(missing);
    await expect(page.locator('main table tbody tr'), `${path} shows no table rows`).toHaveCount(0);
  }

  // Filtered to nothing: the same place says so, with the way back.
  await page.goto('/jobs?state=failed');
  await expect(page.getByTestId('empty-state').locator('.empty-title')).toHaveText('Nothing matches these filters.');
  await page.getByTestId('empty-state').getByRole('link', { name: 'Clear the filters' }).click();
  await expect(page).toHaveURL(/\/jobs$/);
  await expect(page.getByTestId('empty-state').locator('.empty-title')).toHaveText('No jobs yet.');
});
