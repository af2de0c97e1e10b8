// The dashboard's counts against records written directly: nodes by status, instances by state and
// health, jobs waiting for the caller's approval and failed in the last 24 hours, per view; and its lists
// of what failed (jobs, runs, scheduled runs) and what waits for the caller, soonest to expire first.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { instances, jobs, nodes, schedules, workflowDefinitions, type JobState } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { getDashboard } from './service.ts';

let t: TestDatabase;
let w: Tenants;
const NOW = new Date(Date.UTC(2026, 10, 30, 12));
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const node = async (organizationId: string, name: string, status: 'online' | 'stale' | 'offline' | 'pending') =>
    (await t.db.insert(nodes).values({ organizationId, name, status }).returning())[0]!.id;
  const a1 = await node(w.acme.id, 'a1', 'online');
  await node(w.acme.id, 'a2', 'stale');
  await node(w.acme.id, 'a3', 'pending');
  const g1 = await node(w.globex.id, 'g1', 'offline');
  await t.db.insert(instances).values([
    { organizationId: w.acme.id, nodeId: a1, name: 'ok', state: 'managed', health: { healthy: true } },
    { organizationId: w.acme.id, nodeId: a1, name: 'sick', state: 'managed', health: { healthy: false }, driftedSince: new Date() },
    { organizationId: w.acme.id, nodeId: a1, name: 'seen', state: 'discovered' },
    { organizationId: w.globex.id, nodeId: g1, name: 'g', state: 'managed', health: { healthy: true } },
  ]);
  let n = 0;
  const job = (organizationId: string, state: JobState, extra: Partial<typeof jobs.$inferInsert> = {}) =>
    t.db.insert(jobs).values({ type: 'restart_openclaw', organizationId, workflowId: `dash-${++n}`, state, params: {}, ...extra });
  const anyApprover = { approverRoles: ['msp_admin' as const, 'msp_operator' as const], forbidSelfApproval: false };
  await job(w.acme.id, 'waiting_for_approval', { approvalPolicy: anyApprover, approvalExpiresAt: hoursAgo(-5) });
  // Only MSP admins may approve this one.
  await job(w.acme.id, 'waiting_for_approval', { approvalPolicy: { approverRoles: ['msp_admin'], forbidSelfApproval: false } });
  // The admin asked for this one, and its organization forbids approving one's own request.
  await job(w.acme.id, 'waiting_for_approval', { approvalPolicy: { ...anyApprover, forbidSelfApproval: true }, requestedBy: w.actors.admin.userId });
  await job(w.globex.id, 'waiting_for_approval', { approvalPolicy: anyApprover, approvalExpiresAt: hoursAgo(-1) });
  await job(w.acme.id, 'failed', { completedAt: hoursAgo(2), failureReason: 'node offline', params: { instanceName: 'sick' } });
  await job(w.acme.id, 'failed', { completedAt: hoursAgo(30) }); // too long ago
  await job(w.globex.id, 'failed', { completedAt: hoursAgo(23) });
  await job(w.acme.id, 'completed', { completedAt: hoursAgo(1) });
  // Workflow runs: one a company user started by hand, one a schedule started (expired: nobody approved).
  const [definition] = await t.db.insert(workflowDefinitions).values({ organizationId: w.acme.id, name: 'Nightly' }).returning();
  const [schedule] = await t.db
    .insert(schedules)
    .values({ organizationId: w.acme.id, definitionId: definition!.id, name: 'Every night', spec: { kind: 'cron', expression: '0 3 * * *' }, createdBy: w.actors.acmeAdmin.userId })
    .returning();
  const run = { type: 'workflow_run', params: { definitionId: definition!.id, definitionName: 'Nightly' } };
  await job(w.acme.id, 'failed', { ...run, completedAt: hoursAgo(3), failureReason: 'step 1 (Look): blocked', requestedBy: w.actors.acmeUser.userId });
  await job(w.acme.id, 'expired', { ...run, params: { ...run.params, scheduleId: schedule!.id }, completedAt: hoursAgo(4), failureReason: 'nobody approved' });
});
afterAll(() => t.close());

describe('getDashboard', () => {
  it('counts every organization for MSP staff, each approval only for who may give it', async () => {
    const admin = await getDashboard(w.ctx(w.actors.admin), {}, NOW);
    expect(admin).toMatchObject({
      organizationId: null,
      nodes: { pending: 1, online: 1, stale: 1, offline: 1, revoked: 0 },
      instances: { managed: 3, discovered: 1, healthy: 2, unhealthy: 1, unknown: 1, drifted: 1 },
      jobs: { awaitingMyApproval: 3, failedLast24h: 3 },
    });
    const operator = await getDashboard(w.ctx(w.actors.operator), {}, NOW);
    expect(operator.jobs).toEqual({ awaitingMyApproval: 3, failedLast24h: 3 });
  });

  it('counts one organization when asked', async () => {
    const acme = await getDashboard(w.ctx(w.actors.admin), { organizationId: w.acme.id }, NOW);
    expect(acme).toMatchObject({
      organizationId: w.acme.id,
      nodes: { online: 1, stale: 1, pending: 1, offline: 0 },
      instances: { managed: 2, discovered: 1, healthy: 1, unhealthy: 1, drifted: 1 },
      jobs: { awaitingMyApproval: 2, failedLast24h: 2 },
    });
  });

  it('shows a company admin their organization, with nothing to approve; a company user sees no fleet', async () => {
    expect(await getDashboard(w.ctx(w.actors.acmeAdmin), {}, NOW)).toMatchObject({
      organizationId: w.acme.id,
      nodes: { online: 1, stale: 1, pending: 1, offline: 0 },
      instances: { managed: 2, discovered: 1 },
      jobs: { awaitingMyApproval: 0, failedLast24h: 2 },
    });
    expect(await getDashboard(w.ctx(w.actors.acmeUser), {}, NOW)).toMatchObject({ organizationId: w.acme.id, nodes: null, instances: null, jobs: null });
    await expect(getDashboard(w.ctx(w.actors.acmeAdmin), { organizationId: w.globex.id })).rejects.toMatchObject({ status: 404 });
    expect(await failure(getDashboard(w.ctx(w.actors.admin), { organizationId: 'acme' }))).toMatchObject({ fieldErrors: { organizationId: 'organizationId must be a UUID' } });
  });
});

describe('what failed and what waits', () => {
  it('lists the failures of 24 hours by kind, each failed job once (the Jobs tile counts them), scheduled runs by their schedule', async () => {
    const { failures, jobs: counts } = await getDashboard(w.ctx(w.actors.admin), {}, NOW);
    expect(failures.jobs!.items.map((i) => [i.organizationName, i.what, i.reason])).toEqual([
      ['Acme', 'restart_openclaw: sick', 'node offline'],
      ['Globex', 'restart_openclaw', null],
    ]);
    expect(failures.runs!.items.map((i) => [i.what, i.state, i.reason])).toEqual([['Nightly', 'failed', 'step 1 (Look): blocked']]);
    expect(failures.schedules!.items.map((i) => [i.what, i.state, i.scheduleId !== null])).toEqual([['Every night (Nightly)', 'expired', true]]);
    expect(failures.jobs!.total + failures.runs!.total).toBe(counts!.failedLast24h);
    const globex = await getDashboard(w.ctx(w.actors.admin), { organizationId: w.globex.id }, NOW);
    expect([globex.failures.jobs!.total, globex.failures.runs!.total, globex.failures.schedules!.total]).toEqual([1, 0, 0]);
  });

  it('shows a company user only the jobs and runs they asked for, and their organization’s schedules', async () => {
    const { failures } = await getDashboard(w.ctx(w.actors.acmeUser), {}, NOW);
    expect(failures).toEqual({
      jobs: { items: [], total: 0 },
      runs: { items: [expect.objectContaining({ what: 'Nightly' })], total: 1 },
      schedules: { items: [expect.objectContaining({ what: 'Every night (Nightly)' })], total: 1 },
    });
    const admin = await getDashboard(w.ctx(w.actors.acmeAdmin), {}, NOW);
    expect([admin.failures.jobs!.total, admin.failures.runs!.total, admin.failures.schedules!.total]).toEqual([1, 1, 1]);
  });

  it('lists what waits for my decision, soonest to expire first, with the time left', async () => {
    const { waitingForMe } = await getDashboard(w.ctx(w.actors.admin), {}, NOW);
    expect(waitingForMe.total).toBe(3);
    expect(waitingForMe.items.slice(0, 2).map((i) => [i.organizationName, i.secondsLeft, i.given, i.needed])).toEqual([
      ['Globex', 3600, 0, 1],
      ['Acme', 5 * 3600, 0, 1],
    ]);
    expect((await getDashboard(w.ctx(w.actors.admin), { organizationId: w.acme.id }, NOW)).waitingForMe.total).toBe(2);
    expect((await getDashboard(w.ctx(w.actors.acmeAdmin), {}, NOW)).waitingForMe).toEqual({ items: [], total: 0 });
  });
});
