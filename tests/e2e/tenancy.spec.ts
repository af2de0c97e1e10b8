// Issue 3's "done when", in the browser: an MSP admin creates two customers and invites a company admin
// into each; each company admin accepts, sees only their own organization in the console and through
// the API with a personal token; a company user gets the user view.
import { expect, request as apiRequest, test, type Browser, type Page } from '@playwright/test';
import { signInAsAdmin } from './helpers.ts';

const suffix = Date.now().toString(36);
const customers = [`Northwind ${suffix}`, `Contoso ${suffix}`];
const PASSWORD = 'company-password-123';

async function invite(page: Page, organization: string, email: string, role: string): Promise<string> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People', exact: true }).click();
  // The form narrows the roles to the chosen organization once React has hydrated the page; coming back
  // from an earlier invitation, the form is a new one (keyed by the invitation) once the link is gone.
  await page.waitForLoadState('networkidle');
  await expect(page.getByTestId('invitation-link')).toHaveCount(0);
  const form = page.getByRole('form', { name: 'Invite a person' });
  const organizationSelect = form.getByLabel('Organization');
  if (await organizationSelect.count()) {
    await organizationSelect.selectOption({ label: organization });
    await expect(organizationSelect.locator('option:checked')).toHaveText(organization);
  }
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Role').selectOption({ label: role });
  await form.getByRole('button', { name: 'Create invitation' }).click();
  const link = (await page.getByTestId('invitation-link').textContent())!;
  expect(link).toMatch(/^http:\/\/localhost:\d+\/invite\/[\w-]{40,}$/);
  return link;
}

async function accept(browser: Browser, baseURL: string, link: string, organization: string, name: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto(link);
  await expect(page.getByRole('heading', { name: `Join ${organization}` })).toBeVisible();
  await page.getByLabel('Name').fill(name);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.locator('input[name="passwordConfirm"]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(page.getByTestId('signed-in-user')).toContainText('@customer.test');
  return page;
}

const navLinks = async (page: Page) => page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();

test('two customers, two company admins: each sees only their own organization, in the console and the API', async ({ page, browser, baseURL }) => {
  await signInAsAdmin(page);
  await expect(page.getByTestId('console-view')).toHaveText('MSP view');
  const ids: string[] = [];
  for (const name of customers) {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Organizations', exact: true }).click();
    await page.getByLabel('New customer organization').fill(name);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByRole('status')).toHaveText(`Created ${name}.`);
    ids.push((await page.getByTestId('organizations').getByRole('link', { name, exact: true }).getAttribute('href'))!.split('/').pop()!);
  }
  // The shell's switcher lists both for MSP staff.
  await expect(page.getByLabel('Switch organization').locator('option')).toContainText(customers);

  const links = [];
  for (const [i, name] of customers.entries()) links.push(await invite(page, name, `admin${i}-${suffix}@customer.test`, 'Company admin'));

  for (const [i, name] of customers.entries()) {
    const admin = await accept(browser, baseURL!, links[i]!, name, `Admin of ${name}`);
    await expect(admin.getByTestId('console-view')).toHaveText('Company admin view');
    expect(await navLinks(admin)).not.toContain('Organizations');
    await admin.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Organization', exact: true }).click();
    await expect(admin.getByRole('heading', { name, exact: true })).toBeVisible();
    // The other customer does not exist for them.
    const other = ids[1 - i]!;
    expect((await admin.goto(`/organizations/${other}`))!.status()).toBe(404);
    await expect(admin.getByRole('heading', { name: 'Not found' })).toBeVisible();
    expect((await admin.goto(`/people?organizationId=${other}`))!.status()).toBe(404);

    // A personal API token acts with the same scope.
    await admin.goto('/account/tokens');
    await admin.getByLabel('Token name').fill('e2e');
    await admin.getByRole('button', { name: 'Create token' }).click();
    const token = (await admin.getByTestId('new-token').textContent())!.trim();
    expect(token).toMatch(/^awpat_[a-z2-7]+$/);
    const api = await apiRequest.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
    const organizations = (await (await api.get('/api/v1/organizations')).json()) as { items: { name: string }[] };
    expect(organizations.items.map((o) => o.name)).toEqual([name]);
    expect((await api.get(`/api/v1/organizations/${other}`)).status()).toBe(404);
    const people = (await (await api.get('/api/v1/people')).json()) as { items: { organizationId: string }[] };
    expect(people.items.length).toBeGreaterThan(0);
    expect(people.items.every((p) => p.organizationId === ids[i])).toBe(true);
    expect((await api.get(`/api/v1/audit-events?organizationId=${other}`)).status()).toBe(404);
    await api.dispose();

    if (i === 0) {
      // The company admin invites a company user, who gets the user view.
      const userLink = await invite(admin, name, `user-${suffix}@customer.test`, 'Company user');
      const user = await accept(browser, baseURL!, userLink, name, 'A company user');
      await expect(user.getByTestId('console-view')).toHaveText('User view');
      expect(await navLinks(user)).toEqual(['Anthropy Works', 'Jobs', 'Approvals', 'Connections', 'Workflows', 'Schedules', 'Tools', 'Account']);
      await user.screenshot({ path: 'test-results/screens/user-view.png' });
      expect((await user.goto('/audit'))!.status()).toBe(403);
      await expect(user.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
      expect((await user.goto(`/organizations/${ids[1]}`))!.status()).toBe(404);
    }
    await admin.goto('/');
    await admin.screenshot({ path: `test-results/screens/company-admin-view-${i}.png` });
  }
  await page.goto('/people');
  await page.screenshot({ path: 'test-results/screens/msp-people.png', fullPage: true });
});

test('an expired or reused invitation link is refused with a clear message', async ({ page, browser, baseURL }) => {
  await signInAsAdmin(page);
  const link = await invite(page, 'Shared infrastructure', `operator-${suffix}@customer.test`, 'MSP operator');
  const first = await accept(browser, baseURL!, link, 'Shared infrastructure', 'New operator');
  await expect(first.getByTestId('console-view')).toHaveText('MSP view');
  const again = await (await browser.newContext({ baseURL })).newPage();
  expect((await again.goto(link))!.status()).toBe(410);
  await expect(again.getByText('This invitation has already been used.')).toBeVisible();
  await expect(again.getByRole('button', { name: 'Accept invitation' })).toHaveCount(0);
});
