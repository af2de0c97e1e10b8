// Live updates in Chromium (ADR 0018): a company admin's workflow run starts waiting for an MSP approval
// in one browser, and the MSP admin's Approvals count in another browser's navigation shows it within
// 2 s without a reload, on a page that polls nothing (no loader request in a quiet 3 s before). With
// EventSource taken away, the same count follows by polling, and the page throws no error. The nodes,
// instances, jobs, runs and approvals pages, and a node's own page, follow their records the same way.
import crypto from 'node:crypto';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { createDb } from '../../db/client.ts';
import { instances, jobs, nodes, schedules, workflowDefinitions, workflowVersions } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import { signIn, signInAsAdmin } from './helpers.ts';
import { customerWithNode } from './records.ts';

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

test('a node’s page follows its status and its instances’ health without a reload, and keeps a half-typed edit', async ({ page }) => {
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  try {
    const { organizationId, nodeId } = await customerWithNode(db, 'Watched');
    const [instance] = await db
      .insert(instances)
      .values({ organizationId, nodeId, name: 'watched-gw', state: 'managed', containerIds: ['d'.repeat(64)], port: 18789 })
      .returning();
    await signInAsAdmin(page);
    await page.goto(`/nodes/${nodeId}`);
    await expect(page.locator('html')).toHaveAttribute('data-live', 'events');
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    const notes = page.getByRole('form', { name: 'Edit node' }).getByLabel('Notes');
    await notes.fill('half-typed');

    await db.update(nodes).set({ status: 'stale', updatedAt: new Date() }).where(eq(nodes.id, nodeId));
    await expect(page.getByTestId('node').locator('.badge')).toHaveText('stale', { timeout: 3_000 });
    await db
      .update(instances)
      .set({ health: { healthy: false, gateway: { state: 'exited' }, cli: { state: 'running' } }, updatedAt: new Date() })
      .where(eq(instances.id, instance!.id));
    await expect(page.getByTestId('instance-detail')).toContainText('not healthy: gateway exited', { timeout: 3_000 });

    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expect(notes).toHaveValue('half-typed'); // the status change did not reset the form being typed in
  } finally {
    await db.$client.end();
  }
});

test('the nodes, instances, jobs, runs and approvals pages follow their records by the stream, not by polling', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const suffix = Date.now().toString(36);
  const person = { email: `live-pages-${suffix}@customer.test`, password: 'live-password-0123' };
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  try {
    const { organizationId, organizationName: orgName, nodeId } = await customerWithNode(db, 'Live pages', suffix);
    const owner = await createUser(db, { ...person, name: 'Live Pages Admin', role: 'company_admin', organizationId });
    const [instance] = await db
      .insert(instances)
      .values({ organizationId, nodeId: nodeId, name: 'live-gw', state: 'managed', containerIds: ['c'.repeat(64)], port: 18789, health: { healthy: true } })
      .returning();
    const job = async (type: string, state: 'running' | 'waiting_for_approval', params: Record<string, unknown>) =>
      (
        await db
          .insert(jobs)
          .values({
            type,
            organizationId,
            nodeId: nodeId,
            workflowId: `live-${crypto.randomUUID()}`,
            state,
            params,
            approvalPolicy: { approverRoles: ['msp_admin', 'msp_operator'], forbidSelfApproval: false },
          })
          .returning()
      )[0]!.id;
    // A workflow with one version, and a schedule of it.
    const [definition] = await db
      .insert(workflowDefinitions)
      .values({ organizationId, name: `Live run ${suffix}` })
      .returning();
    const [version] = await db
      .insert(workflowVersions)
      .values({
        definitionId: definition!.id,
        number: 1,
        name: `Live run ${suffix}`,
        description: '',
        steps: [{ id: 'tell', name: 'Tell', kind: 'notify', message: 'Hello' }],
        contentHash: crypto.randomBytes(32).toString('hex'),
      })
      .returning();
    await db.update(workflowDefinitions).set({ currentVersionId: version!.id }).where(eq(workflowDefinitions.id, definition!.id));
    const [schedule] = await db
      .insert(schedules)
      .values({
        organizationId,
        definitionId: definition!.id,
        name: `Live nightly ${suffix}`,
        spec: { kind: 'interval', everySeconds: 86_400, offsetSeconds: 0 },
        createdBy: owner.id,
      })
      .returning();
    const runParams = { definitionId: definition!.id, definitionName: `Live run ${suffix}`, versionNumber: 1 };
    const restart = await job('restart_gateway', 'running', { instanceName: 'live-gw' });
    const run = await job('workflow_run', 'running', runParams);

    /**
     * Opens the page on the stream, changes a record and expects the page to show it without reloading.
     * `quiet`: first, a while in which the page asks for nothing (it does not poll); only for a person who
     * hears nothing but this test's records (the customer's company admin: other specs' records are not theirs).
     */
    const follows = async (on: Page, path: string, change: () => Promise<unknown>, shown: () => Promise<void>, quiet: boolean) => {
      const loads = countLoaderRequests(on);
      await on.goto(path);
      await expect(on.locator('html'), path).toHaveAttribute('data-live', 'events');
      await on.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
      if (quiet) {
        const before = loads.count();
        await on.waitForTimeout(4_000); // past the page's polling interval (3 s)
        expect(loads.count(), `${path} polled`).toBe(before);
      }
      await change();
      await shown();
      expect(await on.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), `${path} reloaded`).toBe(true);
    };

    const customer = await (await browser.newContext()).newPage();
    await signIn(customer, person.email, person.password);
    await expect(customer.getByTestId('console-view')).toHaveText('Company admin view');
    await follows(
      customer,
      '/nodes',
      () => db.update(nodes).set({ status: 'stale' }).where(eq(nodes.id, nodeId)),
      () => expect(customer.getByTestId('node-status')).toHaveText('stale', { timeout: 3_000 }),
      true,
    );
    await follows(
      customer,
      '/instances',
      () =>
        db
          .update(instances)
          .set({ health: { healthy: false } })
          .where(eq(instances.id, instance!.id)),
      () => expect(customer.getByTestId('instance-health')).toHaveText('unhealthy', { timeout: 3_000 }),
      true,
    );
    await follows(
      customer,
      '/jobs?type=restart_gateway',
      () => db.update(jobs).set({ state: 'failed', completedAt: new Date() }).where(eq(jobs.id, restart)),
      () => expect(customer.getByTestId('jobs').locator('tbody tr')).toContainText('failed', { timeout: 3_000 }),
      true,
    );
    await follows(
      customer,
      '/jobs?type=workflow_run',
      () => db.update(jobs).set({ state: 'completed', completedAt: new Date() }).where(eq(jobs.id, run)),
      () => expect(customer.getByTestId('jobs').locator('tbody tr')).toContainText('completed', { timeout: 3_000 }),
      true,
    );
    // A workflow's and a schedule's own lists of runs: a run's state, and a run that starts.
    await follows(
      customer,
      `/workflows/${definition!.id}`,
      () => db.update(jobs).set({ state: 'failed', completedAt: new Date() }).where(eq(jobs.id, run)),
      () => expect(customer.getByTestId('workflow-runs').locator('tbody tr')).toContainText('failed', { timeout: 3_000 }),
      true,
    );
    await follows(
      customer,
      `/schedules/${schedule!.id}`,
      () => job('workflow_run', 'running', { ...runParams, scheduleId: schedule!.id }),
      () => expect(customer.getByTestId('schedule-runs').locator('tbody tr')).toHaveCount(1, { timeout: 3_000 }),
      true,
    );
    await customer.context().close();

    // The inbox is the MSP's (only MSP staff approve node jobs), who hears every organization's jobs.
    await signInAsAdmin(page);
    await follows(
      page,
      '/approvals',
      () => job('restart_gateway', 'waiting_for_approval', { instanceName: 'live-gw' }),
      () => expect(page.getByTestId('approvals')).toContainText(orgName, { timeout: 3_000 }),
      false,
    );
  } finally {
    await db.$client.end();
  }
});

test('a stream that drops reconnects by itself, reloads what it may have missed, and then hears changes again', async ({ page }) => {
  const db = createDb(process.env.E2E_DATABASE_URL!, { max: 1 });
  try {
    const { organizationId, nodeId } = await customerWithNode(db, 'Dropped');
    await signInAsAdmin(page);
    // Each stream the page opens now says it is ready and ends at once, as a proxy or a restarted web process would end it.
    let dropped = 0;
    await page.route('**/events', (route) => {
      dropped++;
      return route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' }, body: 'retry: 300\nevent: ready\ndata: {}\n\n' });
    });
    const loads = countLoaderRequests(page);
    await page.goto(`/nodes?organizationId=${organizationId}`);
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await expect.poll(() => dropped, { message: 'the browser opened the stream again by itself' }).toBeGreaterThanOrEqual(3);
    // A reconnection cannot know what changed meanwhile: the page reloads its data (the `resync`), not the document.
    await expect.poll(() => loads.count()).toBeGreaterThan(0);

    // The web process answers again: the next reconnection is a real stream, which stays open, and a change
    // shows without a reload.
    let opened = 0;
    page.on('request', (r) => void (new URL(r.url()).pathname === '/events' && opened++));
    await page.unroute('**/events');
    await expect.poll(() => opened, { message: 'a reconnection reached the web process' }).toBeGreaterThan(0);
    await page.waitForTimeout(1_000);
    const streams = opened;
    await db.update(nodes).set({ status: 'stale' }).where(eq(nodes.id, nodeId));
    await expect(page.getByTestId('node-status')).toHaveText('stale', { timeout: 3_000 });
    await expect(page.locator('html')).toHaveAttribute('data-live', 'events');
    expect(opened).toBe(streams); // one real stream, held open
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  } finally {
    await db.$client.end();
  }
});
