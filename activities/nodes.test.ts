// One pass of the node status sweep on real PostgreSQL (ADR 0029): which nodes turn stale and offline
// (configured thresholds, database clock), what is audited, what is left alone (never heard from, revoked,
// pending), when the next pass is due; a pass made again or two at once change each node once; a
// heartbeat that holds the node's row wins over a pass that would have turned it stale.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { receiveHeartbeat, storeNodeReport } from '../api/agents/heartbeat.ts';
import { verifyAuditChain } from '../db/audit.ts';
import { auditEvents, nodes, type NodeStatus } from '../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../tests/jest/db.ts';
import { seedTenants, type Tenants } from '../tests/jest/tenants.ts';
import { createNodeActivities, nodeStatusThresholds } from './nodes.ts';

let t: TestDatabase;
let w: Tenants;
let sweep: () => ReturnType<ReturnType<typeof createNodeActivities>['sweepNodeStatuses']>;

beforeAll(async () => {
  // Every 15 s: stale 37.5 s after the last report (2 missed + 7.5 s grace), offline after 82.5 s.
  Object.assign(process.env, { NODE_HEARTBEAT_SECONDS: '15', NODE_STALE_AFTER_MISSED: '2', NODE_OFFLINE_AFTER_MISSED: '5' });
  t = await freshDatabase();
  w = await seedTenants(t.db);
  sweep = () => createNodeActivities({ db: t.db }).sweepNodeStatuses();
});
afterAll(() => t.close());
// Each test starts from a fleet of its own.
beforeEach(async () => {
  await t.db.delete(nodes);
});

/** A node last heard `secondsAgo` by the database's clock (null: never), in `status`. */
async function node(name: string, status: NodeStatus, secondsAgo: number | null, revoked = false) {
  const [row] = await t.db
    .insert(nodes)
    .values({
      organizationId: w.acme.id,
      name,
      status,
      lastSeenAt: secondsAgo === null ? null : sql`now() - ${secondsAgo} * interval '1 second'`,
      revokedAt: revoked ? new Date() : null,
    })
    .returning();
  return row!.id;
}
const statuses = async () => Object.fromEntries((await t.db.select({ name: nodes.name, status: nodes.status }).from(nodes)).map((n) => [n.name, n.status]));
const changes = async (ids: string[]) =>
  (
    await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.status'), inArray(auditEvents.targetId, ids)))
      .orderBy(asc(auditEvents.id))
  ).map((e) => {
    const { from, to } = e.details as { from: string; to: string };
    return { node: e.targetId, from, to, by: e.actorLabel, reason: e.reason, organizationId: e.organizationId };
  });

describe('a pass of the node status sweep', () => {
  it('turns online nodes past the stale threshold stale, stale ones past the offline threshold offline, and audits each change', async () => {
    expect(nodeStatusThresholds({ NODE_HEARTBEAT_SECONDS: 15, NODE_STALE_AFTER_MISSED: 2, NODE_OFFLINE_AFTER_MISSED: 5 })).toEqual({
      staleAfterMs: 37_500,
      offlineAfterMs: 82_500,
    });
    const ids = {
      fresh: await node('fresh', 'online', 10),
      inGrace: await node('in-grace', 'online', 36), // two beats missed, inside the grace
      late: await node('late', 'online', 39),
      staleStill: await node('stale-still', 'stale', 80),
      staleGone: await node('stale-gone', 'stale', 84),
      silentLong: await node('silent-long', 'online', 600), // the sweep was away: stale then offline in one pass
      neverHeard: await node('never-heard', 'online', null),
      revoked: await node('revoked', 'revoked', 600, true),
      revokedOnline: await node('revoked-online', 'online', 600, true),
      pending: await node('pending', 'pending', 600),
      offline: await node('offline', 'offline', 6000),
    };
    const result = await sweep();
    expect(result).toMatchObject({ stale: 2, offline: 2 });
    expect(await statuses()).toEqual({
      fresh: 'online',
      'in-grace': 'online',
      late: 'stale',
      'stale-still': 'stale',
      'stale-gone': 'offline',
      'silent-long': 'offline',
      'never-heard': 'online',
      revoked: 'revoked',
      'revoked-online': 'online',
      pending: 'pending',
      offline: 'offline',
    });
    const by = { by: 'node status sweep', organizationId: w.acme.id };
    expect(await changes(Object.values(ids))).toEqual([
      { node: ids.late, from: 'online', to: 'stale', reason: 'no heartbeat for 38 s', ...by },
      { node: ids.silentLong, from: 'online', to: 'stale', reason: 'no heartbeat for 38 s', ...by },
      { node: ids.staleGone, from: 'stale', to: 'offline', reason: 'no heartbeat for 83 s', ...by },
      { node: ids.silentLong, from: 'stale', to: 'offline', reason: 'no heartbeat for 83 s', ...by },
    ]);
    // Each event names the report it went by.
    const [late] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, ids.late), eq(auditEvents.action, 'node.status')));
    const [lateNode] = await t.db.select().from(nodes).where(eq(nodes.id, ids.late));
    expect(late!.details).toMatchObject({ lastSeenAt: lateNode!.lastSeenAt!.toISOString() });
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
    // The next node that may turn: in-grace, 1.5 s from now (stale-still's offline is 2.5 s away).
    expect(result.nextInMs).toBeGreaterThan(1_000);
    expect(result.nextInMs).toBeLessThanOrEqual(1_500);
  });

  it('answers a whole stale threshold when no node can turn, and at least a short gap when one is due at once', async () => {
    expect((await sweep()).nextInMs).toBe(37_500);
    await node('fresh', 'online', 0);
    expect((await sweep()).nextInMs).toBeGreaterThan(37_000);
    await node('due-now', 'online', 37.35); // due in 150 ms at most
    expect(await sweep()).toEqual({ stale: 0, offline: 0, nextInMs: 200 });
  });

  it('changes nothing more when made again, and changes each node once when two run at once', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => node(`n${i}`, i % 2 ? 'online' : 'stale', 100)));
    const [a, b] = await Promise.all([sweep(), sweep()]);
    expect(a.stale + b.stale).toBe(20);
    expect(a.offline + b.offline).toBe(40); // the 20 stale ones, and the 20 just turned stale
    expect(await sweep()).toMatchObject({ stale: 0, offline: 0 });
    const audited = await changes(ids);
    expect(audited).toHaveLength(60);
    expect(new Set(audited.map((c) => `${c.node}:${c.to}`)).size).toBe(60);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true });
  });

  it('leaves a node whose heartbeat holds its row online: the pass waits, then finds the fresh report', async () => {
    const id = await node('beating', 'online', 40);
    let passed = false;
    await t.db.transaction(async (tx) => {
      await storeNodeReport(tx, id, { beat: 'late but here' }, new Date());
      const pass = sweep().then((r) => {
        passed = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(passed).toBe(false); // waiting on the heartbeat's row lock
      void pass;
    });
    for (let i = 0; i < 100 && !passed; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(passed).toBe(true);
    expect(await statuses()).toEqual({ beating: 'online' });
    expect(await changes([id])).toEqual([]);
  });
});

describe('a heartbeat', () => {
  const report = { agentVersion: '0.2.0', hostname: 'edge', os: 'linux', cpu: { count: 2 }, memory: { totalBytes: 1, freeBytes: 1 }, dockerVersion: '20.10', inventoryDigest: 'd' };

  it('turns a pending, stale or offline node online at once and audits it; an online node stays so without an event', async () => {
    const ids = {
      pending: await node('p', 'pending', null),
      stale: await node('s', 'stale', 50),
      offline: await node('o', 'offline', 500),
      online: await node('on', 'online', 15),
    };
    for (const id of Object.values(ids)) await receiveHeartbeat(t.db, id, report);
    expect(await statuses()).toEqual({ p: 'online', s: 'online', o: 'online', on: 'online' });
    const agent = { by: 'agent on edge', reason: 'heartbeat from agent 0.2.0', organizationId: w.acme.id };
    expect(await changes(Object.values(ids))).toEqual([
      { node: ids.pending, from: 'pending', to: 'online', ...agent },
      { node: ids.stale, from: 'stale', to: 'online', ...agent },
      { node: ids.offline, from: 'offline', to: 'online', ...agent },
    ]);
    // And the sweep that follows finds nothing due.
    expect(await sweep()).toMatchObject({ stale: 0, offline: 0 });
  });
});
