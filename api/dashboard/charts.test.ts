// The dashboard's charts against records written directly, with a scripted week: the node status sweep's audited
// status changes (backdated), jobs that ended with known durations, and approvals with known waits. The
// expected numbers are worked out by hand below each record, so a change of method shows here.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { recordAudit } from '../../db/audit.ts';
import { jobs, nodes, workflowDefinitions, type JobApproval, type JobState } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { recordNodeStatusChange } from '../../tests/jest/node-status-change.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { getDashboardCharts } from './charts.ts';

let t: TestDatabase;
let w: Tenants;
const NOW = new Date('2026-11-30T12:00:00Z');
const at = (iso: string) => new Date(iso);
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

/** The node status sweep's audited change, at a time of the script. */
const statusChange = (organizationId: string, nodeId: string, from: string, to: string, when: string, outcome: 'success' | 'denied' = 'success') =>
  recordNodeStatusChange(t.db, { organizationId, nodeId, from, to, outcome }, at(when));

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const acme = w.acme.id;
  const node = async (organizationId: string, name: string, status: 'online' | 'offline' | 'pending' | 'revoked', createdAt: string, revokedAt?: string) =>
    (
      await t.db
        .insert(nodes)
        .values({ organizationId, name, status, createdAt: at(createdAt), revokedAt: revokedAt ? at(revokedAt) : null })
        .returning()
    )[0]!.id;

  // n1: online since the 16th, stale on the 28th at 10:00, offline at 16:00, online again on the 30th at 09:00 (UTC).
  const n1 = await node(acme, 'n1', 'online', '2026-11-15T00:00:00Z');
  await statusChange(acme, n1, 'pending', 'online', '2026-11-16T00:00:00Z');
  await statusChange(acme, n1, 'online', 'stale', '2026-11-28T10:00:00Z');
  await statusChange(acme, n1, 'stale', 'offline', '2026-11-28T16:00:00Z');
  await statusChange(acme, n1, 'offline', 'online', '2026-11-30T09:00:00Z');
  // n2: created on the 26th, never enrolled (a refused change is not history).
  const n2 = await node(acme, 'n2', 'pending', '2026-11-26T15:00:00Z');
  await statusChange(acme, n2, 'pending', 'online', '2026-11-27T00:00:00Z', 'denied');
  // n3: online, revoked on the 27th at 08:00.
  const n3 = await node(acme, 'n3', 'revoked', '2026-11-10T00:00:00Z', '2026-11-27T08:00:00Z');
  await statusChange(acme, n3, 'pending', 'online', '2026-11-15T00:00:00Z');
  // n4: created on the 25th, online from the 29th at 10:00.
  const n4 = await node(acme, 'n4', 'online', '2026-11-25T06:00:00Z');
  await statusChange(acme, n4, 'pending', 'online', '2026-11-29T10:00:00Z');
  // Globex: one node, offline all week without a change.
  await node(w.globex.id, 'g1', 'offline', '2026-11-01T00:00:00Z');

  // Durations: four restarts that ended (10, 20, 30, 40 s) and one that failed after 100 s; what is left out.
  let n = 0;
  const job = (organizationId: string, type: string, state: JobState, seconds: number, endedSecondsAgo: number, extra: Partial<typeof jobs.$inferInsert> = {}) =>
    t.db
      .insert(jobs)
      .values({
        type,
        organizationId,
        workflowId: `chart-${++n}`,
        state,
        params: {},
        createdAt: ago(endedSecondsAgo + seconds),
        completedAt: ago(endedSecondsAgo),
        ...extra,
      })
      .returning();
  for (const s of [10, 20, 30, 40]) await job(acme, 'restart_gateway', 'completed', s, 3600);
  await job(acme, 'restart_gateway', 'failed', 100, 7200);
  await job(acme, 'restart_gateway', 'cancelled', 500, 3600); // cancelled: not a duration
  await job(acme, 'restart_gateway', 'completed', -60, 3600); // a hand-written row that ends before it starts
  await job(acme, 'restart_gateway', 'completed', 900, 8 * 86_400); // ended before the window
  await job(w.globex.id, 'restart_gateway', 'completed', 1000, 3600);
  const [definition] = await t.db.insert(workflowDefinitions).values({ organizationId: acme, name: 'Nightly report' }).returning();
  const run = { definitionId: definition!.id, definitionName: 'Nightly report (v1)' };
  await job(acme, 'workflow_run', 'completed', 60, 600, { params: run });
  await job(acme, 'workflow_run', 'failed', 120, 600, { params: run });
  await job(acme, 'workflow_run', 'completed', 1, 600, { params: { ...run, simulate: true } }); // a simulation calls nothing

  // Time to decision. A: opened 3 h ago (audited), approved 90 s later.
  const decision = (seconds: number, opened: Date, extra: Partial<JobApproval> = {}): JobApproval => ({
    at: new Date(opened.getTime() + seconds * 1000).toISOString(),
    by: 'admin@msp.test',
    role: 'msp_admin',
    via: 'console',
    outcome: 'approved',
    userId: w.actors.admin.userId,
    ...extra,
  });
  const opened = async (jobId: string, when: Date, organizationId = acme) =>
    recordAudit(t.db, {
      actorType: 'workflow',
      actorLabel: 'job',
      organizationId,
      action: 'job.waiting_for_approval',
      targetType: 'job',
      targetId: jobId,
      outcome: 'success',
      at: when,
    });
  const openedA = ago(3 * 3600);
  const [a] = await job(acme, 'restart_gateway', 'running', 0, 0, { completedAt: null, approvals: [decision(90, openedA)] });
  await opened(a!.id, openedA);
  // B: two people of an N-of-M request (10 min and 3 h), an ignored signal and a standing approval (not decisions).
  const openedB = ago(2 * 86_400);
  const [b] = await job(acme, 'deploy_openclaw', 'running', 0, 0, {
    completedAt: null,
    approvals: [
      decision(600, openedB),
      decision(10_800, openedB, { userId: w.actors.operator.userId, by: 'operator@msp.test' }),
      decision(5, openedB, { userId: undefined, outcome: 'ignored', via: 'signal' }),
      decision(1, openedB, { via: 'standing' }),
    ],
  });
  await opened(b!.id, openedB);
  // C: a workflow run's step s2 (its request), started 1 day ago, rejected 45 s later.
  const openedC = ago(86_400);
  await job(acme, 'workflow_run', 'rejected', 50, 86_400 - 50, {
    params: run,
    result: {
      steps: [
        { id: 's1', startedAt: ago(86_500).toISOString() },
        { id: 's2', startedAt: openedC.toISOString() },
      ],
    },
    approvals: [decision(45, openedC, { request: 's2', outcome: 'rejected' })],
  });
  // D: decided 8 days ago (out of the window); E: Globex's, 20 s.
  const openedD = ago(8 * 86_400);
  const [d] = await job(acme, 'restart_gateway', 'completed', 0, 8 * 86_400, { approvals: [decision(30, openedD)] });
  await opened(d!.id, openedD);
  const openedE = ago(3600);
  const [e] = await job(w.globex.id, 'restart_gateway', 'running', 0, 0, { completedAt: null, approvals: [decision(20, openedE)] });
  await opened(e!.id, openedE, w.globex.id);
});
afterAll(() => t.close());

const acmeWeek = [
  { day: '2026-11-24', online: 2, stale: 0, offline: 0, pending: 0 }, // n1, n3
  { day: '2026-11-25', online: 2, stale: 0, offline: 0, pending: 1 }, // + n4 pending
  { day: '2026-11-26', online: 2, stale: 0, offline: 0, pending: 2 }, // + n2 pending
  { day: '2026-11-27', online: 1, stale: 0, offline: 0, pending: 2 }, // n3 revoked
  { day: '2026-11-28', online: 0, stale: 0, offline: 1, pending: 2 }, // n1 offline at the day's end
  { day: '2026-11-29', online: 1, stale: 0, offline: 1, pending: 1 }, // n4 online
  { day: '2026-11-30', online: 2, stale: 0, offline: 0, pending: 1 }, // n1 back online, now
];

describe('getDashboardCharts', () => {
  it('counts the status each node held at the end of each of the last 7 days, in the asked time zone', async () => {
    const charts = await getDashboardCharts(w.ctx(w.actors.admin), { organizationId: w.acme.id }, NOW);
    expect(charts.timeZone).toBe('UTC');
    expect(charts.nodeStatus).toEqual(acmeWeek);
    // Every organization: Globex's offline node on each day too.
    const all = await getDashboardCharts(w.ctx(w.actors.admin), {}, NOW);
    expect(all.nodeStatus).toEqual(acmeWeek.map((d) => ({ ...d, offline: d.offline + 1 })));
    // Tokyo's 28th ends at 15:00 UTC: n1 was stale then, offline only at 16:00.
    const tokyo = await getDashboardCharts(w.ctx(w.actors.admin), { organizationId: w.acme.id, timeZone: 'Asia/Tokyo' }, NOW);
    expect(tokyo.nodeStatus!.find((d) => d.day === '2026-11-28')).toEqual({ day: '2026-11-28', online: 0, stale: 1, offline: 0, pending: 2 });
    expect(tokyo.nodeStatus!.at(-1)!.day).toBe('2026-11-30');
  });

  it('gives the median and p95 duration per job type and per workflow definition, of jobs that ended in 7 days', async () => {
    const charts = await getDashboardCharts(w.ctx(w.actors.admin), { organizationId: w.acme.id }, NOW);
    expect(charts.durations).toEqual([
      // 10, 20, 30, 40, 100: the middle one; p95 interpolates between 40 and 100 at 0.8 (4 × 0.95 = 3.8).
      { type: 'restart_gateway', definitionId: null, label: 'Restart gateway', count: 5, medianSeconds: 30, p95Seconds: 88 },
      // 60, 120 (the simulation left out): 90; 60 + 0.95 × 60.
      { type: 'workflow_run', definitionId: expect.any(String), label: 'Nightly report (run)', count: 2, medianSeconds: 90, p95Seconds: 117 },
    ]);
  });

  it('gives the time from a request to each decision, with a histogram', async () => {
    const charts = await getDashboardCharts(w.ctx(w.actors.admin), { organizationId: w.acme.id }, NOW);
    // 45 (C), 90 (A), 600 and 10 800 (B): median (90 + 600) / 2; p95 at 2.85: 600 + 0.85 × 10 200.
    expect(charts.timeToDecision).toEqual({
      count: 4,
      medianSeconds: 345,
      p95Seconds: 9270,
      buckets: [
        { label: 'under 1 min', fromSeconds: 0, toSeconds: 60, count: 1 },
        { label: '1–5 min', fromSeconds: 60, toSeconds: 300, count: 1 },
        { label: '5–30 min', fromSeconds: 300, toSeconds: 1800, count: 1 },
        { label: '30 min–2 h', fromSeconds: 1800, toSeconds: 7200, count: 0 },
        { label: '2–8 h', fromSeconds: 7200, toSeconds: 28_800, count: 1 },
        { label: '8 h or more', fromSeconds: 28_800, toSeconds: null, count: 0 },
      ],
    });
    const all = await getDashboardCharts(w.ctx(w.actors.admin), {}, NOW);
    expect(all.timeToDecision!.count).toBe(5); // Globex's 20 s too
    expect(all.timeToDecision!.buckets[0]!.count).toBe(2);
  });

  it('shows a company admin their organization, a company user no chart, and another organization to nobody', async () => {
    const own = await getDashboardCharts(w.ctx(w.actors.acmeAdmin), {}, NOW);
    expect(own.organizationId).toBe(w.acme.id);
    expect(own.nodeStatus).toEqual(acmeWeek);
    expect(own.durations!.map((d) => d.count)).toEqual([5, 2]);
    expect(own.timeToDecision!.count).toBe(4);
    expect(await getDashboardCharts(w.ctx(w.actors.acmeUser), {}, NOW)).toEqual({
      organizationId: w.acme.id,
      timeZone: 'UTC',
      days: 7,
      nodeStatus: null,
      durations: null,
      timeToDecision: null,
    });
    await expect(getDashboardCharts(w.ctx(w.actors.acmeAdmin), { organizationId: w.globex.id }, NOW)).rejects.toMatchObject({ status: 404 });
    for (const timeZone of ['Mars/Olympus', '+05:00'])
      expect(await failure(getDashboardCharts(w.ctx(w.actors.admin), { timeZone }))).toMatchObject({
        fieldErrors: { timeZone: 'timeZone must be an IANA time zone such as Europe/Berlin' },
      });
    // A name in another case is the zone's own.
    expect((await getDashboardCharts(w.ctx(w.actors.admin), { timeZone: 'asia/tokyo' }, NOW)).timeZone).toBe('Asia/Tokyo');
  });
});
