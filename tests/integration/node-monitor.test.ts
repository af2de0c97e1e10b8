// The node monitor workflow on a real Temporal server and the real control-plane worker: heartbeats make
// a node online, silence makes it stale then offline, a beat brings it back, a revoked node stays revoked,
// and continue-as-new carries the state.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { nodeMonitorId, receiveHeartbeat } from '../../api/agents/heartbeat.ts';
import { ForbiddenError } from '../../api/errors.ts';
import { auditEvents, nodes } from '../../db/schema.ts';
import { heartbeatSignal, nodeMonitorStateQuery, type nodeMonitor } from '../../workflows/node-monitor.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
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

async function eventually(id: string, status: string, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if ((await statusOf(id)) === status) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node did not become ${status} within ${withinMs} ms (it is ${await statusOf(id)})`);
}

beforeAll(async () => {
  // 1 s heartbeats: stale after 2 missed (+0.5 s grace), offline after 4 missed. In this process too:
  // the heartbeats are received here (receiveHeartbeat starts the monitor with these settings).
  Object.assign(process.env, { NODE_HEARTBEAT_SECONDS: '1', NODE_STALE_AFTER_MISSED: '2', NODE_OFFLINE_AFTER_MISSED: '4' });
  stack = await startAgentStack('node-monitor', {}, { web: false });
  ({
    t,
    w,
    controlPlane: { client },
  } = stack);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('node monitor', () => {
  it('turns a node online on a heartbeat, stale then offline on silence, and online again', async () => {
    const id = await newNode('monitored');
    await receiveHeartbeat(t.db, id, report);
    await eventually(id, 'online', 5_000);
    const [node] = await t.db.select().from(nodes).where(eq(nodes.id, id));
    expect(node!.lastReport).toMatchObject({ agentVersion: '0.1.0', hostname: 'edge-1' });
    expect(node!.lastSeenAt).toBeInstanceOf(Date);

    const staleAfter = await eventually(id, 'stale', 6_000);
    expect(staleAfter).toBeGreaterThan(1_500); // 2 missed beats + grace, measured from when it went online
    await eventually(id, 'offline', 6_000);
    await receiveHeartbeat(t.db, id, report);
    await eventually(id, 'online', 5_000);

    const transitions = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.status'), eq(auditEvents.targetId, id)));
    expect(transitions.map((e) => (e.details as { to: string }).to)).toEqual(['online', 'stale', 'offline', 'online']);
  });

  it('keeps a single late beat from flapping the status', async () => {
    const id = await newNode('steady');
    for (let i = 0; i < 6; i++) {
      await receiveHeartbeat(t.db, id, report);
      await new Promise((r) => setTimeout(r, 1_400)); // late by 0.4 s each time, inside the grace
    }
    expect(await statusOf(id)).toBe('online');
    const changes = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.status'), eq(auditEvents.targetId, id)));
    expect(changes).toHaveLength(1);
  });

  it('leaves a revoked node revoked, ends its monitor, and refuses its heartbeats', async () => {
    const id = await newNode('revoked');
    await receiveHeartbeat(t.db, id, report);
    await eventually(id, 'online', 5_000);
    await t.db.update(nodes).set({ status: 'revoked', revokedAt: new Date() }).where(eq(nodes.id, id));
    const handle = client.workflow.getHandle(nodeMonitorId(id));
    await handle.result(); // the monitor ends when it finds the node revoked
    expect(await statusOf(id)).toBe('revoked');
    expect(await failure(receiveHeartbeat(t.db, id, report))).toBeInstanceOf(ForbiddenError);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('ignores a heartbeat signal that no verified report backs (a raw Temporal client), and audits it', async () => {
    const id = await newNode('forged');
    // Straight to the node's monitor, as anyone reaching Temporal could: no report was ever stored.
    await client.workflow.signalWithStart<typeof nodeMonitor, [{ at: string; agentVersion: string }]>('nodeMonitor', {
      workflowId: nodeMonitorId(id),
      taskQueue: QUEUE,
      args: [{ nodeId: id, intervalSeconds: 1, staleAfterMissed: 2, offlineAfterMissed: 4 }],
      signal: heartbeatSignal,
      signalArgs: [{ at: new Date().toISOString(), agentVersion: 'forged' }],
    });
    const denied = async () =>
      t.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'node.status'), eq(auditEvents.targetId, id), eq(auditEvents.outcome, 'denied')));
    const started = Date.now();
    while ((await denied()).length === 0 && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 100));
    expect((await denied())[0]).toMatchObject({ reason: 'not online: no verified report from its agent backs this heartbeat' });
    expect(await statusOf(id)).toBe('pending');
    expect((await client.workflow.getHandle(nodeMonitorId(id)).query(nodeMonitorStateQuery)).status).toBe('pending');
    // The agent's real, signed report then makes it online.
    await receiveHeartbeat(t.db, id, report);
    await eventually(id, 'online', 5_000);
  });

  it('continues as new to keep its history bounded, carrying the status and the last beat', async () => {
    const id = await newNode('long-lived');
    await receiveHeartbeat(t.db, id, report); // a verified report on record, which the monitor's status must agree with
    const workflowId = `node-monitor-can.${id}`;
    const input = { nodeId: id, intervalSeconds: 60, staleAfterMissed: 2, offlineAfterMissed: 5, beatsPerRun: 3 };
    let firstRunId: string | undefined;
    for (let i = 0; i < 5; i++) {
      const handle = await client.workflow.signalWithStart<typeof nodeMonitor, [{ at: string; agentVersion: string }]>('nodeMonitor', {
        workflowId,
        taskQueue: QUEUE,
        args: [input],
        signal: heartbeatSignal,
        signalArgs: [{ at: new Date().toISOString(), agentVersion: `v${i}` }],
      });
      firstRunId ??= handle.signaledRunId;
      await new Promise((r) => setTimeout(r, 300));
    }
    const handle = client.workflow.getHandle(workflowId);
    const state = await handle.query(nodeMonitorStateQuery);
    expect(state.status).toBe('online');
    expect(state.lastBeat?.agentVersion).toBe('v4');
    expect((await handle.describe()).runId).not.toBe(firstRunId);
    await handle.terminate('test done');
  });
});
