// Issue 16's done-when for the home dashboard, in Chromium: after a scripted day of activity (nodes going
// stale and offline as the node status sweep records it, a failed job, a failed run, a scheduled run nobody
// approved, approvals decided and one waiting), the dashboard's counts, lists and charts match the records.
// The charts are read through their text alternative (each chart's "Numbers" table) and compared with
// numbers this test works out itself from the records (status at each day's end, percentile_cont's
// interpolation, time to decision) and with GET /api/v1/dashboard/charts. A node going offline while the
// page is open shows without a reload (live updates), and the page passes axe-core for each role.
//
// The week is written straight into the product's database, backdated, the way the product records it:
// a node's status on its row and each change in the audit trail (`node.status`, as the monitor writes).
import crypto from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { and, count, eq, gte, sql } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.ts';
import { createDb, type Db } from '../../db/client.ts';
import { jobs, nodes, organizations, schedules, workflowDefinitions, type JobApproval, type NodeStatus } from '../../db/schema.ts';
import { createUser } from '../../db/users.ts';
import { recordNodeStatusChange } from '../jest/node-status-change.ts';
import { seriousViolations } from './axe.ts';
import { signIn, signInAsAdmin } from './helpers.ts';

// The days are UTC days: the browser says so through its `tz` cookie.
test.use({ timezoneId: 'UTC' });

const suffix = Date.now().toString(36);
const companyAdmin = { email: `dash-admin-${suffix}@customer.test`, password: 'dash-password-0123' };
const companyUser = { email: `dash-user-${suffix}@customer.test`, password: 'dash-password-0123' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T = Date.now();
const ago = (ms: number) => new Date(T - ms);

let db: Db;
let organizationId: string;
let adminId: string;
/** Every node's scripted life: created when, and its status changes (from, to, at). */
const lives = new Map<string, { name: string; createdAt: Date; changes: { from: NodeStatus; to: NodeStatus; at: Date }[] }>();
const ids = {} as Record<'edge1' | 'edge2' | 'edge3' | 'failedJob' | 'waiting' | 'failedRun' | 'schedule' | 'failedSchedule', string>;

/** A status change as the node status sweep records it (activities/nodes.ts): the row, and the audited change at its time. */
async function changeStatus(nodeId: string, from: NodeStatus, to: NodeStatus, at: Date) {
  await db.update(nodes).set({ status: to, updatedAt: new Date() }).where(eq(nodes.id, nodeId));
  await recordNodeStatusChange(db, { organizationId, nodeId, from, to, reason: `scripted: ${to}` }, at);
  lives.get(nodeId)!.changes.push({ from, to, at });
}

async function node(name: string, createdAt: Date) {
  const [row] = await db
    .insert(nodes)
    .values({ organizationId, name: `${name}-${suffix}`, status: 'pending', createdAt })
    .returning();
  lives.set(row!.id, { name, createdAt, changes: [] });
  return row!.id;
}

/** A job of the script; `opened`: when its approval request opened (audited as the kernel does). */
async function job(values: Partial<typeof jobs.$inferInsert> & { type: string; state: (typeof jobs.$inferInsert)['state'] }, opened?: Date) {
  const [row] = await db
    .insert(jobs)
    .values({ organizationId, workflowId: `dash-${crypto.randomUUID()}`, params: {}, ...values })
    .returning();
  if (opened)
    await recordAudit(db, {
      actorType: 'workflow',
      actorLabel: `job ${values.type}`,
      organizationId,
      action: 'job.waiting_for_approval',
      targetType: 'job',
      targetId: row!.id,
      outcome: 'success',
      at: opened,
    });
  return row!.id;
}

const decision = (opened: Date, afterSeconds: number, outcome: 'approved' | 'rejected'): JobApproval => ({
  at: new Date(opened.getTime() + afterSeconds * 1000).toISOString(),
  by: 'admin@example.com',
  role: 'msp_admin',
  via: 'console',
  outcome,
  userId: adminId,
});

test.beforeAll(async () => {
  db = createDb(process.env.E2E_DATABASE_URL!, { max: 2 });
  const [org] = await db
    .insert(organizations)
    .values({ name: `Dashboard ${suffix}`, kind: 'customer' })
    .returning();
  organizationId = org!.id;
  const owner = await createUser(db, { ...companyAdmin, name: 'Dash Admin', role: 'company_admin', organizationId });
  const user = await createUser(db, { ...companyUser, name: 'Dash User', role: 'company_user', organizationId });
  adminId = (await db.execute<{ id: string }>(sql`select id from users where email = 'admin@example.com'`))[0]!.id;

  // The fleet's week: edge-1 online, stale and then offline two days ago, back yesterday; edge-2 online
  // for six days and stale for the last half hour; edge-3 created three days ago and never enrolled.
  ids.edge1 = await node('edge-1', ago(10 * DAY));
  await changeStatus(ids.edge1, 'pending', 'online', ago(9 * DAY));
  await changeStatus(ids.edge1, 'online', 'stale', ago(2 * DAY + 3 * HOUR));
  await changeStatus(ids.edge1, 'stale', 'offline', ago(2 * DAY + 2 * HOUR));
  await changeStatus(ids.edge1, 'offline', 'online', ago(DAY));
  ids.edge2 = await node('edge-2', ago(6 * DAY));
  await changeStatus(ids.edge2, 'pending', 'online', ago(6 * DAY - HOUR));
  await changeStatus(ids.edge2, 'online', 'stale', ago(HOUR / 2));
  ids.edge3 = await node('edge-3', ago(3 * DAY));

  // Jobs: restarts that ended (20, 30, 50 s) and one that failed two hours ago after 40 s; one too old to count.
  const restart = { type: 'restart_gateway', nodeId: ids.edge1, params: { instanceName: 'claw' } };
  for (const [seconds, endedAgo] of [
    [20, DAY],
    [30, 3 * DAY],
    [50, 5 * DAY],
  ] as const)
    await job({ ...restart, state: 'completed', createdAt: ago(endedAgo + seconds * 1000), completedAt: ago(endedAgo) });
  ids.failedJob = await job({
    ...restart,
    state: 'failed',
    createdAt: ago(2 * HOUR + 40_000),
    completedAt: ago(2 * HOUR),
    failureReason: 'the gateway did not answer /healthz',
  });
  await job({ ...restart, state: 'completed', createdAt: ago(9 * DAY + 10_000), completedAt: ago(9 * DAY) });
  // A deployment approved 4 minutes after its request, done an hour later; a restart rejected after 3 hours.
  const deployOpened = ago(6 * HOUR);
  await job(
    { type: 'deploy_openclaw', nodeId: ids.edge2, state: 'completed', createdAt: deployOpened, completedAt: ago(5 * HOUR), approvals: [decision(deployOpened, 240, 'approved')] },
    deployOpened,
  );
  const rejectOpened = ago(DAY + 2 * HOUR);
  await job({ ...restart, state: 'rejected', createdAt: rejectOpened, completedAt: ago(DAY - HOUR), approvals: [decision(rejectOpened, 10_800, 'rejected')] }, rejectOpened);
  // One waits for an MSP approver, two hours left.
  ids.waiting = await job(
    {
      ...restart,
      state: 'waiting_for_approval',
      approvalExpiresAt: new Date(T + 2 * HOUR),
      approvalPolicy: { approverRoles: ['msp_admin', 'msp_operator'], forbidSelfApproval: false },
    },
    ago(10 * 60_000),
  );

  // Workflow runs: one completed (60 s), one the company user started that failed (90 s), and one a schedule
  // started that nobody approved (expired).
  const [definition] = await db
    .insert(workflowDefinitions)
    .values({ organizationId, name: `Daily sync ${suffix}` })
    .returning();
  const run = { type: 'workflow_run', params: { definitionId: definition!.id, definitionName: `Daily sync ${suffix}` } };
  await job({ ...run, state: 'completed', createdAt: ago(DAY + 60_000), completedAt: ago(DAY) });
  ids.failedRun = await job({
    ...run,
    state: 'failed',
    requestedBy: user.id,
    createdAt: ago(5 * HOUR + 90_000),
    completedAt: ago(5 * HOUR),
    failureReason: 'step 2 (Upload): the connection needs reconnecting',
  });
  const [schedule] = await db
    .insert(schedules)
    .values({ organizationId, definitionId: definition!.id, name: `Every morning ${suffix}`, spec: { kind: 'cron', expression: '0 6 * * *' }, createdBy: owner.id })
    .returning();
  ids.schedule = schedule!.id;
  ids.failedSchedule = await job({
    ...run,
    params: { ...run.params, scheduleId: schedule!.id },
    state: 'expired',
    createdAt: ago(3 * HOUR + 60_000),
    completedAt: ago(3 * HOUR),
    failureReason: 'step 1 (Approve): nobody approved within 3600 s',
  });
});
test.afterAll(async () => {
  await db?.$client.end();
});

// ---------------------------------------------------------------- the numbers, worked out from the records
const STATUSES = ['online', 'stale', 'offline', 'pending'] as const;
const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** Each node's status at the end of each of the last 7 UTC days (today: now), as the dashboard says it counts. */
function expectedNodeWeek(now: number) {
  const today = Date.parse(`${utcDay(new Date(now))}T00:00:00Z`);
  return Array.from({ length: 7 }, (_, i) => {
    const start = today - (6 - i) * DAY;
    const end = Math.min(start + DAY, now);
    const counts = { online: 0, stale: 0, offline: 0, pending: 0 };
    for (const life of lives.values()) {
      if (life.createdAt.getTime() > end) continue;
      const before = life.changes.filter((c) => c.at.getTime() <= end).at(-1);
      const after = life.changes.find((c) => c.at.getTime() > end);
      const status = before?.to ?? after?.from ?? 'pending';
      counts[status as keyof typeof counts] += 1;
    }
    return { day: utcDay(new Date(start)), ...counts };
  });
}

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks; tenths of a second. */
function percentile(values: number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  const at = p * (v.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return Math.round((v[lo]! + (v[hi]! - v[lo]!) * (at - lo)) * 10) / 10;
}

async function expectedDurations(now: number) {
  const rows = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.organizationId, organizationId), gte(jobs.completedAt, new Date(now - 7 * DAY)), sql`${jobs.state} in ('completed', 'failed')`));
  const groups = new Map<string, number[]>();
  for (const j of rows) {
    const key = typeof j.params.definitionId === 'string' ? j.params.definitionId : j.type;
    groups.set(key, [...(groups.get(key) ?? []), (j.completedAt!.getTime() - j.createdAt.getTime()) / 1000]);
  }
  return Object.fromEntries([...groups].map(([key, s]) => [key, { median: percentile(s, 0.5), p95: percentile(s, 0.95), ended: s.length }]));
}

async function expectedDecisions(now: number) {
  const rows = await db.select().from(jobs).where(eq(jobs.organizationId, organizationId));
  const seconds: number[] = [];
  for (const j of rows) {
    const decided = j.approvals.filter((a) => a.userId && (a.outcome === 'approved' || a.outcome === 'rejected') && Date.parse(a.at) >= now - 7 * DAY);
    if (!decided.length) continue;
    const [opened] = await db.execute<{ at: Date }>(
      sql`select min(at) as at from audit_events where target_type = 'job' and target_id = ${j.id} and action = 'job.waiting_for_approval'`,
    );
    for (const a of decided) seconds.push((Date.parse(a.at) - new Date(opened!.at).getTime()) / 1000);
  }
  const bounds = [0, 60, 300, 1800, 7200, 28_800, Infinity];
  return {
    count: seconds.length,
    median: percentile(seconds, 0.5),
    p95: percentile(seconds, 0.95),
    buckets: bounds.slice(0, -1).map((from, i) => seconds.filter((s) => s >= from && s < bounds[i + 1]!).length),
  };
}

// -------------------------------------------------------------------------- what the page says
/** A chart's "Numbers" table: { category: { series: number } }. */
async function chartTable(page: Page, testId: string): Promise<Record<string, Record<string, number>>> {
  const rows = await page
    .getByTestId(testId)
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [tr.getAttribute('data-category'), Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.getAttribute('data-series'), Number(td.textContent)]))]),
    );
  return Object.fromEntries(rows);
}

async function tile(page: Page, testId: string, labels: readonly string[]) {
  const out: Record<string, number> = {};
  for (const label of labels) out[label] = Number(await page.getByTestId(`${testId}-${label.replaceAll(' ', '-')}`).textContent());
  return out;
}

const weekAsTable = (week: ReturnType<typeof expectedNodeWeek>) => Object.fromEntries(week.map(({ day, ...counts }) => [day, counts]));

test('after a scripted day the dashboard’s counts, lists and charts match the records, and a node going offline shows live', async ({ page }) => {
  // The charts render on the server and hydrate as they are: no hydration mismatch, no error (the console
  // has no favicon: Chromium's request for one is not the page's).
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico') && errors.push(`${m.text()} ${m.location().url}`)));
  page.on('pageerror', (e) => void errors.push(e.message));
  page.on('response', (r) => void (r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`)));
  await signInAsAdmin(page);
  await page.goto(`/?organizationId=${organizationId}`);
  const loadedAt = Date.now();

  // Counts.
  const [failed] = await db
    .select({ n: count() })
    .from(jobs)
    .where(and(eq(jobs.organizationId, organizationId), eq(jobs.state, 'failed'), sql`coalesce(${jobs.completedAt}, ${jobs.updatedAt}) >= now() - interval '24 hours'`));
  expect(await tile(page, 'dashboard-nodes', STATUSES)).toEqual({ online: 1, stale: 1, offline: 0, pending: 1 });
  expect(await tile(page, 'dashboard-jobs', ['waiting for my approval', 'failed in 24 h'])).toEqual({ 'waiting for my approval': 1, 'failed in 24 h': failed!.n });

  // What waits for me, with its time left; what failed, by kind, each opening its record.
  const waiting = page.getByTestId('dashboard-waiting');
  await expect(waiting.locator(`li[data-job="${ids.waiting}"]`)).toContainText('Restart gateway: claw on edge-1');
  await expect(waiting.getByTestId('time-left')).toHaveText(/^(1 h 5\d min|2 h 0 min) left$/);
  const failures = page.getByTestId('dashboard-failures');
  await expect(failures.getByTestId('failed-jobs').locator(`li[data-job="${ids.failedJob}"]`)).toContainText('the gateway did not answer /healthz');
  await expect(failures.getByTestId('failed-runs').locator(`li[data-job="${ids.failedRun}"]`)).toContainText(`Daily sync ${suffix}`);
  const scheduled = failures.getByTestId('failed-schedules').locator(`li[data-job="${ids.failedSchedule}"]`);
  await expect(scheduled).toContainText(`Every morning ${suffix}`);
  await expect(scheduled).toContainText('nobody approved');
  await expect(scheduled.getByRole('link', { name: `Every morning ${suffix} (Daily sync ${suffix})` })).toHaveAttribute('href', `/schedules/${ids.schedule}`);

  // Charts, through their tables: as worked out here, and as the API serves them.
  const api = await (await page.request.get(`/api/v1/dashboard/charts?organizationId=${organizationId}&timeZone=UTC`)).json();
  const week = expectedNodeWeek(loadedAt);
  expect(await chartTable(page, 'chart-node-status')).toEqual(weekAsTable(week));
  expect(api.nodeStatus).toEqual(week);
  const durations = await expectedDurations(loadedAt);
  const shown = await chartTable(page, 'chart-durations');
  expect(shown).toEqual(Object.fromEntries(Object.entries(durations).map(([k, d]) => [k, { median: d.median, p95: d.p95, ended: d.ended }])));
  expect(shown.restart_gateway).toEqual({ median: 35, p95: 48.5, ended: 4 }); // 20, 30, 40, 50
  const decisions = await expectedDecisions(loadedAt);
  expect(decisions).toMatchObject({ count: 2, median: 5520, p95: 10_272 }); // 240 and 10 800 s
  const histogram = await chartTable(page, 'chart-time-to-decision');
  expect(Object.values(histogram).map((r) => r.decisions)).toEqual(decisions.buckets);
  await expect(page.getByTestId('decision-median')).toHaveText(String(decisions.median));
  await expect(page.getByTestId('decision-p95')).toHaveText(String(decisions.p95));
  expect(api.timeToDecision).toMatchObject({ count: 2, medianSeconds: decisions.median, p95Seconds: decisions.p95 });
  // The numbers are there to read, not only to test: "Numbers" opens the table.
  const numbers = page.getByTestId('chart-node-status').getByText('Numbers');
  await numbers.click();
  await expect(page.getByTestId('chart-node-status').getByRole('table')).toBeVisible();
  await expect(page.getByTestId('chart-node-status').getByRole('img', { name: /today so far 1 online, 1 stale, 0 offline, 1 pending/ })).toBeVisible();
  await expect(page.getByTestId('chart-node-status').getByRole('img')).toHaveCount(1); // the bars and axes are one image
  expect(await page.locator('[data-testid="chart-node-status"] svg rect').count()).toBeGreaterThan(0);

  // Live: edge-2 goes offline while the page is open; the tile and today's bar follow without a reload.
  await expect(page.locator('html')).toHaveAttribute('data-live', 'events'); // the stream, not the polling fallback
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await changeStatus(ids.edge2, 'stale', 'offline', new Date());
  await expect.poll(() => tile(page, 'dashboard-nodes', STATUSES), { timeout: 4_000 }).toEqual({ online: 1, stale: 0, offline: 1, pending: 1 });
  const today = utcDay(new Date());
  await expect.poll(async () => (await chartTable(page, 'chart-node-status'))[today]).toEqual(weekAsTable(expectedNodeWeek(Date.now()))[today]);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  expect(errors).toEqual([]);
});

test('each view shows what that person may see, and passes axe-core', async ({ page, browser, baseURL }) => {
  // MSP admin, on the scripted organization.
  await signInAsAdmin(page);
  await page.goto(`/?organizationId=${organizationId}`);
  await expect(page.getByTestId('chart-durations')).toBeVisible();
  expect(await seriousViolations(page), 'MSP admin').toEqual([]);

  // The company admin: their organization's fleet, failures and charts; nothing of theirs to approve.
  const adminContext = await browser.newContext({ baseURL, timezoneId: 'UTC' });
  const customerAdmin = await adminContext.newPage();
  await signIn(customerAdmin, companyAdmin.email, companyAdmin.password);
  await expect(customerAdmin.getByTestId('console-view')).toHaveText('Company admin view');
  await expect(customerAdmin.getByTestId('dashboard-waiting')).toContainText('Nothing waits for your decision.');
  await expect(customerAdmin.getByTestId('failed-schedules').locator(`li[data-job="${ids.failedSchedule}"]`)).toBeVisible();
  expect(Object.keys(await chartTable(customerAdmin, 'chart-node-status'))).toHaveLength(7);
  expect(await seriousViolations(customerAdmin), 'company admin').toEqual([]);
  await adminContext.close();

  // The company user: no fleet, no charts; the run they started and saw fail, and their organization's schedules.
  const userContext = await browser.newContext({ baseURL, timezoneId: 'UTC' });
  const customerUser = await userContext.newPage();
  await signIn(customerUser, companyUser.email, companyUser.password);
  await expect(customerUser.getByTestId('console-view')).toHaveText('User view');
  await expect(customerUser.getByTestId('failed-runs').locator(`li[data-job="${ids.failedRun}"]`)).toBeVisible();
  await expect(customerUser.getByTestId('failed-jobs')).toContainText('Nothing failed.');
  await expect(customerUser.getByTestId('failed-schedules').locator(`li[data-job="${ids.failedSchedule}"]`)).toBeVisible();
  for (const hidden of ['dashboard-nodes', 'chart-node-status', 'chart-durations', 'chart-time-to-decision']) await expect(customerUser.getByTestId(hidden)).toHaveCount(0);
  expect(await seriousViolations(customerUser), 'company user').toEqual([]);
  await userContext.close();
});
