// Node status on a real Temporal server and the real control-plane worker (ADR 0029): a heartbeat makes a
// node online at once (no Temporal on the way), the sweep turns a silent node stale then offline, a beat
// brings it back; a late beat inside the grace does not flap it; a revoked node stays revoked; a raw
// heartbeat signal to a node monitor changes nothing; a second worker starts no second sweep and ends the
// monitors an older version left running.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { and, asc, eq } from 'drizzle-orm';
import { nodeMonitorId, receiveHeartbeat } from '../../api/agents/heartbeat.ts';
import { ForbiddenError } from '../../api/errors.ts';
import { auditEvents, nodes } from '../../db/schema.ts';
import { heartbeatSignal, type nodeMonitor } from '../../workflows/node-monitor.ts';
import { nodeStatusSweepId } from '../../workflows/node-status-sweep.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue, type TestControlPlane } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';
import { failure, type Tenants } from '../jest/tenants.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let w: Tenants;
let client: Client;

const report = {
  agentVersion: '0.1.0',
  hostname: 'edge-1',
  os: 'linux',
  cpu: { count: 2 },
  memory: { totalBytes: 1e9, freeBytes: 5e8 },
  dockerVersion: '20.10',
  inventoryDigest: null,
};

async function newNode(name: string): Promise<string> {
  return (await t.db.insert(nodes).values({ organizationId: w.acme.id, name }).returning())[0]!.id;
}
const statusOf = async (id: string) => (await t.db.select({ s: nodes.status }).from(nodes).where(eq(nodes.id, id)))[0]!.s;
const transitions = async (id: string) =>
  (
    await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.status'), eq(auditEvents.targetId, id)))
      .orderBy(asc(auditEvents.id))
  ).map((e) => ({ to: (e.details as { to: string }).to, by: e.actorLabel, outcome: e.outcome, reason: e.reason }));

async function eventually(id: string, status: string, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if ((await statusOf(id)) === status) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`node did not become ${status} within ${withinMs} ms (it is ${await statusOf(id)})`);
}

beforeAll(async () => {
  // 1 s heartbeats: stale 2.5 s after the last beat (2 missed + 0.5 s grace), offline after 4.5 s. In this
  // process too: the heartbeats are received here.
  Object.assign(process.env, { NODE_HEARTBEAT_SECONDS: '1', NODE_STALE_AFTER_MISSED: '2', NODE_OFFLINE_AFTER_MISSED: '4' });
  stack = await startAgentStack('node-status-sweep', {}, { web: false });
  ({
    t,
    w,
    controlPlane: { client },
  } = stack);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('node status', () => {
  it('turns a node online with its heartbeat, stale then offline on silence by the sweep, and online again', async () => {
    const id = await newNode('monitored');
    await receiveHeartbeat(t.db, id, report);
    expect(await statusOf(id)).toBe('online'); // in the heartbeat's own transaction
    const [node] = await t.db.select().from(nodes).where(eq(nodes.id, id));
    expect(node!.lastReport).toMatchObject({ agentVersion: '0.1.0', hostname: 'edge-1' });

    const staleAfter = await eventually(id, 'stale', 6_000);
    expect(staleAfter).toBeGreaterThan(2_400); // 2 missed beats + the grace, from the beat
    const [stale] = await t.db.select().from(nodes).where(eq(nodes.id, id));
    expect(stale!.updatedAt.getTime() - node!.lastSeenAt!.getTime()).toBeLessThan(2_500 + 1_500); // caught on time, not a sweep period late
    await eventually(id, 'offline', 6_000);
    await receiveHeartbeat(t.db, id, report);
    expect(await statusOf(id)).toBe('online');

    expect(await transitions(id)).toEqual([
      { to: 'online', by: 'agent on edge-1', outcome: 'success', reason: 'heartbeat from agent 0.1.0' },
      { to: 'stale', by: 'node status sweep', outcome: 'success', reason: 'no heartbeat for 3 s' },
      { to: 'offline', by: 'node status sweep', outcome: 'success', reason: 'no heartbeat for 5 s' },
      { to: 'online', by: 'agent on edge-1', outcome: 'success', reason: 'heartbeat from agent 0.1.0' },
    ]);
  });

  it('keeps a late beat inside the grace from flapping the status', async () => {
    const id = await newNode('steady');
    for (let i = 0; i < 6; i++) {
      await receiveHeartbeat(t.db, id, report);
      await new Promise((r) => setTimeout(r, 2_200)); // 1.2 s late each time, inside the 0.5 s grace of the second missed beat
    }
    expect(await statusOf(id)).toBe('online');
    expect(await transitions(id)).toHaveLength(1);
  });

  it('leaves a revoked node revoked and refuses its heartbeats', async () => {
    const id = await newNode('revoked');
    await receiveHeartbeat(t.db, id, report);
    await t.db.update(nodes).set({ status: 'revoked', revokedAt: new Date() }).where(eq(nodes.id, id));
    await new Promise((r) => setTimeout(r, 5_500)); // past the offline threshold
    expect(await statusOf(id)).toBe('revoked');
    expect(await failure(receiveHeartbeat(t.db, id, report))).toBeInstanceOf(ForbiddenError);
    expect((await transitions(id)).map((c) => c.to)).toEqual(['online']);
  });

  it('changes nothing for a heartbeat signal sent to a node monitor with a raw Temporal client', async () => {
    const id = await newNode('forged');
    const handle = await client.workflow.signalWithStart<typeof nodeMonitor, [{ at: string; agentVersion: string }]>('nodeMonitor', {
      workflowId: nodeMonitorId(id),
      taskQueue: QUEUE,
      args: [{ nodeId: id, intervalSeconds: 1, staleAfterMissed: 2, offlineAfterMissed: 4 }],
      signal: heartbeatSignal,
      signalArgs: [{ at: new Date().toISOString(), agentVersion: 'forged' }],
    });
    // The retired monitor ends at its first step, writing nothing.
    expect(await client.workflow.getHandle(handle.workflowId).result()).toMatchObject({ retired: expect.stringContaining('sweep'), status: 'pending' });
    expect(await statusOf(id)).toBe('pending');
    expect(await transitions(id)).toEqual([]);
  });

  it('runs one sweep whatever the number of workers, and a starting worker ends the monitors left running', async () => {
    // A monitor as an older version left it: running, its next step not yet taken.
    const id = await newNode('left-over');
    const left = await client.workflow.start<typeof nodeMonitor>('nodeMonitor', {
      workflowId: nodeMonitorId(id),
      taskQueue: QUEUE,
      args: [{ nodeId: id, intervalSeconds: 1, staleAfterMissed: 2, offlineAfterMissed: 4 }],
      startDelay: '1 hour',
    });
    const sweep = client.workflow.getHandle(nodeStatusSweepId(QUEUE));
    const sweepRun = (await sweep.describe()).runId;
    let second: TestControlPlane | undefined;
    try {
      second = await stack.startControlPlane();
      expect((await left.describe()).status.name).toBe('TERMINATED');
      expect((await sweep.describe()).runId).toBe(sweepRun); // the second worker found it running

      // Both workers poll the queue; each change is made, and audited, once.
      const silent = await newNode('two-workers');
      await receiveHeartbeat(t.db, silent, report);
      await eventually(silent, 'offline', 8_000);
      expect((await transitions(silent)).map((c) => c.to)).toEqual(['online', 'stale', 'offline']);
    } finally {
      await second?.stop();
    }
  }, 60_000);
});
