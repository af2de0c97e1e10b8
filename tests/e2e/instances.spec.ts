// Issue 16 in the browser: the Instances page's columns (drift and attached capabilities among them), its
// filters, search and bulk "Check health", and the home
// dashboard's counts matching the records, for an MSP admin and for a customer's company admin. The
// customer's world is scripted straight into the product's database (tests/e2e/global-setup.ts).
import crypto from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { and, count, eq, sql } from 'drizzle-orm';
import { createDb, type Db } from '../../db/client.ts';
import { capabilities, capabilityAttachments, instances, jobs, nodes, organizations } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { signIn, signInAsAdmin } from './helpers.ts';

const suffix = Date.now().toString(36);
const ORG = `Fleet ${suffix}`;
const COMPANY_ADMIN = { email: `fleet-admin-${suffix}@customer.test`, password: 'fleet-password-0123' };
let db: Db;
/** The built-in catalogue entry attached to alpha. */
let attachedName: string;

test.beforeAll(async () => {
  db = createDb(process.env.E2E_DATABASE_URL!, { max: 2 });
  const [org] = await db.insert(organizations).values({ name: ORG, kind: 'customer' }).returning();
  const organizationId = org!.id;
  await createUser(db, { ...COMPANY_ADMIN, name: 'Fleet Admin', role: 'company_admin', organizationId });
  // edge-a has an enrolled agent (a key no agent holds: its jobs wait for it); edge-b has none.
  const [a] = await db
    .insert(nodes)
    .values({ organizationId, name: `edge-a-${suffix}`, status: 'online', agentPublicKey: generateKeyPair().publicKey, enrolledAt: new Date() })
    .returning();
  const [b] = await db
    .insert(nodes)
    .values({ organizationId, name: `edge-b-${suffix}`, status: 'stale' })
    .returning();
  const managed = { state: 'managed' as const, containerIds: ['a'.repeat(64), 'b'.repeat(64)], bundleVersion: '2026.9.6' };
  const scripted = await db
    .insert(instances)
    .values([
      { organizationId, nodeId: a!.id, name: 'alpha', ...managed, port: 18789, health: { healthy: true, gateway: { state: 'running' }, cli: { state: 'running' } } },
      {
        organizationId,
        nodeId: a!.id,
        name: 'beta',
        ...managed,
        port: 18790,
        health: { healthy: false, gateway: { state: 'exited' }, cli: { state: 'running' } },
        // Its gateway's tools were changed by hand since the last apply.
        appliedToolsHash: 'a'.repeat(64),
        reportedToolsHash: 'b'.repeat(64),
        driftedSince: new Date(Date.now() - 3_600_000),
      },
      { organizationId, nodeId: b!.id, name: 'gamma', state: 'discovered', containerIds: ['c'.repeat(64)], reasons: ['image'] },
      { organizationId, nodeId: b!.id, name: 'delta', ...managed, port: 18789 },
    ])
    .returning();
  const [tool] = await db.select().from(capabilities).where(eq(capabilities.kind, 'tool')).orderBy(capabilities.key).limit(1);
  attachedName = tool!.name;
  await db.insert(capabilityAttachments).values({ instanceId: scripted.find((i) => i.name === 'alpha')!.id, capabilityId: tool!.id });
  const job = (state: 'failed' | 'waiting_for_approval', extra: Partial<typeof jobs.$inferInsert>) =>
    db
      .insert(jobs)
      .values({ type: 'restart_openclaw', organizationId, nodeId: a!.id, workflowId: `e2e-${crypto.randomUUID()}`, state, params: { instanceName: 'beta' }, ...extra });
  await job('failed', { failureReason: 'node offline', completedAt: new Date(Date.now() - 3_600_000) });
  await job('waiting_for_approval', { approvalPolicy: { approverRoles: ['msp_admin', 'msp_operator'], forbidSelfApproval: false } });
});
test.afterAll(async () => {
  await db?.$client.end();
});

const rows = (page: Page) => page.getByTestId('instances').locator('tbody tr');
const shown = async (page: Page) => (await rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-instance')))).sort();

test('the Instances page filters by organization, node, state and health, searches names, and checks the selected ones', async ({ page }) => {
  await signInAsAdmin(page);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Instances', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Instances' })).toBeVisible();
  const filters = page.getByRole('form', { name: 'Filter instances' });
  const show = async (set: Record<string, string>) => {
    for (const [label, value] of Object.entries(set)) {
      const field = filters.getByLabel(label);
      if (label === 'Name') await field.fill(value);
      else await field.selectOption({ label: value });
    }
    await filters.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/\/instances\?/);
  };

  await show({ Organization: ORG });
  await expect.poll(() => shown(page)).toEqual(['alpha', 'beta', 'delta', 'gamma']);
  const alpha = page.locator('tr[data-instance="alpha"]');
  await expect(alpha).toContainText(`edge-a-${suffix}`);
  await expect(alpha).toContainText('2026.9.6');
  await expect(alpha.getByTestId('instance-health')).toHaveText('healthy');
  await expect(alpha.getByTestId('instance-capabilities')).toHaveText(attachedName);
  await expect(page.locator('tr[data-instance="beta"]').getByTestId('instance-capabilities')).toHaveText('none attached');
  await expect(alpha.getByRole('link', { name: 'Capabilities of alpha' })).toHaveAttribute('href', /\/instances\/[0-9a-f-]+\/capabilities$/);
  await expect(alpha.getByRole('link', { name: 'Logs of alpha' })).toHaveAttribute('href', /\/instances\/[0-9a-f-]+\/logs$/);

  await show({ State: 'discovered' });
  await expect.poll(() => shown(page)).toEqual(['gamma']);
  await show({ State: 'Any', Health: 'unhealthy' });
  await expect.poll(() => shown(page)).toEqual(['beta']);
  await show({ Health: 'unknown' });
  await expect.poll(() => shown(page)).toEqual(['delta', 'gamma']);
  await show({ Health: 'Any', 'Tools drifted': 'yes' });
  await expect.poll(() => shown(page)).toEqual(['beta']);
  await expect(page.locator('tr[data-instance="beta"]')).toContainText('tools drifted');
  await show({ 'Tools drifted': 'no' });
  await expect.poll(() => shown(page)).toEqual(['alpha', 'delta', 'gamma']);
  await show({ 'Tools drifted': 'Any', Node: `edge-a-${suffix}` });
  await expect.poll(() => shown(page)).toEqual(['alpha', 'beta']);
  await show({ Node: 'All nodes', Name: 'ELT' });
  await expect.poll(() => shown(page)).toEqual(['delta']);
  await show({ Name: 'nothing-like-this' });
  await expect(page.getByTestId('empty-state').getByText('Nothing matches these filters.')).toBeVisible();

  // Check health of two managed instances: one starts, one is refused with its reason (its node has no agent).
  await show({ Name: '' });
  await expect.poll(() => shown(page)).toEqual(['alpha', 'beta', 'delta', 'gamma']);
  await expect(page.getByRole('checkbox', { name: 'Select gamma' })).toHaveCount(0); // discovered: adopt it first
  await page.getByRole('checkbox', { name: 'Select alpha' }).check();
  await page.getByRole('checkbox', { name: 'Select delta' }).check();
  await page.getByRole('button', { name: 'Check health of selected' }).click();
  const outcome = page.getByTestId('health-checks');
  await expect(outcome).toContainText('Started 1 health check: alpha');
  await expect(outcome).toContainText(`delta: Node edge-b-${suffix} has no working agent.`);
  await outcome.getByRole('link', { name: 'alpha' }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]+$/);
});

/** The counts a dashboard tile shows, by row label. */
async function tile(page: Page, testId: string, labels: string[]) {
  const out: Record<string, number> = {};
  for (const label of labels) out[label] = Number(await page.getByTestId(`${testId}-${label.replaceAll(' ', '-')}`).textContent());
  return out;
}

test('the home dashboard counts the records: every organization or one for MSP staff, their own for a company admin', async ({ page, browser, baseURL }) => {
  await signInAsAdmin(page);
  await page.getByRole('link', { name: 'Anthropy Works', exact: true }).click();
  // Every organization: the same as the records say (the page follows them every few seconds).
  const nodeCounts = async () => {
    const byStatus = await db.select({ status: nodes.status, n: count() }).from(nodes).groupBy(nodes.status);
    return Object.fromEntries(['online', 'stale', 'offline', 'pending'].map((s) => [s, byStatus.find((r) => r.status === s)?.n ?? 0]));
  };
  await expect(async () => {
    expect(await tile(page, 'dashboard-nodes', ['online', 'stale', 'offline', 'pending'])).toEqual(await nodeCounts());
  }).toPass({ timeout: 15_000 });
  const [managed] = await db.select({ n: count() }).from(instances).where(eq(instances.state, 'managed'));
  const [failed] = await db
    .select({ n: count() })
    .from(jobs)
    .where(and(eq(jobs.state, 'failed'), sql`coalesce(${jobs.completedAt}, ${jobs.updatedAt}) >= now() - interval '24 hours'`));
  expect((await tile(page, 'dashboard-instances', ['managed'])).managed).toBe(managed!.n);
  expect((await tile(page, 'dashboard-jobs', ['failed in 24 h']))['failed in 24 h']).toBe(failed!.n);

  // One organization: exactly its scripted records.
  const chooser = page.getByRole('form', { name: 'Dashboard organization' });
  await chooser.getByLabel('Organization').selectOption({ label: ORG });
  await chooser.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/\?organizationId=/); // the URL changes once the counts of the organization have loaded…
  // …and the page shows them a moment later (it renders the organization's charts too).
  await expect.poll(() => tile(page, 'dashboard-nodes', ['online', 'stale', 'offline', 'pending'])).toEqual({ online: 1, stale: 1, offline: 0, pending: 0 });
  const instanceTile = ['managed', 'discovered', 'healthy', 'unhealthy', 'drifted'];
  expect(await tile(page, 'dashboard-instances', instanceTile)).toEqual({ managed: 3, discovered: 1, healthy: 1, unhealthy: 1, drifted: 1 });
  const jobsTile = ['waiting for my approval', 'failed in 24 h'];
  expect(await tile(page, 'dashboard-jobs', jobsTile)).toEqual({ 'waiting for my approval': 1, 'failed in 24 h': 1 });
  // A count opens the list it counts.
  await page.getByTestId('dashboard-instances').getByRole('link', { name: 'unhealthy' }).click();
  await expect.poll(() => shown(page)).toEqual(['beta']);
  await page.goBack();
  await page.getByTestId('dashboard-instances').getByRole('link', { name: 'drifted' }).click();
  await expect.poll(() => shown(page)).toEqual(['beta']);

  // The customer's company admin: their organization only, and no approvals of their own to give.
  const context = await browser.newContext({ baseURL });
  const customer = await context.newPage();
  await signIn(customer, COMPANY_ADMIN.email, COMPANY_ADMIN.password);
  await expect(customer.getByTestId('console-view')).toHaveText('Company admin view');
  await expect(customer.getByRole('form', { name: 'Dashboard organization' })).toHaveCount(0);
  expect(await tile(customer, 'dashboard-instances', instanceTile)).toEqual({ managed: 3, discovered: 1, healthy: 1, unhealthy: 1, drifted: 1 });
  expect(await tile(customer, 'dashboard-jobs', jobsTile)).toEqual({ 'waiting for my approval': 0, 'failed in 24 h': 1 });
  await customer.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Instances', exact: true }).click();
  await expect.poll(() => shown(customer)).toEqual(['alpha', 'beta', 'delta', 'gamma']);
  await context.close();
});
