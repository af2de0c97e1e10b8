// Node jobs end to end: the control plane signs an inventory job for that job's run only, only the
// node's own queue runs it, and the result is believed only if the node's registered agent signed it. An
// agent with another key refuses the envelope (it names the registered key), and the refusal is audited;
// a rogue worker's own workflows get nothing signed or recorded (ADR 0010); a node whose agent does not
// pick the job up fails with "node offline".
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { statePaths, writePrivateFile } from '../../agent-worker/config.ts';
import { buildNodeImage } from '../../agent-worker/docker/images.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { auditEvents, jobs, nodes } from '../../db/schema.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import type { refreshNodeInventory } from '../../workflows/refresh-node-inventory.ts';
import { requestInventoryRefresh } from '../../api/agents/inventory-refresh.ts';
import { rogueRecord, rogueSign } from '../jest/rogue-workflows.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { enrollTestAgent, runTestAgent } from '../jest/agents.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let engine: RunningDockerEngine;
let client: Client;
/** Without the payload codec: what a rogue client with raw Temporal access has (no key). */
let rawClient: Client;
let nodeId: string;
let stateDir: string;

/** An inventory refresh as the console asks for one (a job), and its run's result. */
async function refresh(id: string, offlineAfterSeconds = 20) {
  process.env.NODE_WAIT_SECONDS = String(offlineAfterSeconds);
  try {
    const { workflowId } = await requestInventoryRefresh(stack.w.ctx(stack.w.actors.admin), id);
    return await client.workflow.getHandle<typeof refreshNodeInventory>(workflowId).result();
  } finally {
    delete process.env.NODE_WAIT_SECONDS;
  }
}
// Each test runs the agent it needs (the node's own, a rogue one, none).
const agent = (state: string) => runTestAgent(state, engine.socketPath, { NODE_HEARTBEAT_SECONDS: '5' });
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the run to fail');
    },
    (e: unknown) => e as WorkflowFailedError,
  );

beforeAll(async () => {
  stack = await startAgentStack('node-jobs');
  const { w } = stack;
  ({
    t,
    controlPlane: { client, rawClient },
  } = stack);
  engine = await stack.addEngine('node-jobs', async (e) => {
    await buildNodeImage(e.docker, { tag: 'aw-test-node:jobs' });
    const app = await e.docker.createContainer({
      Image: 'aw-test-node:jobs',
      name: 'billing',
      Cmd: ['/usr/local/bin/node', '-e', 'setInterval(() => {}, 1000)'],
      HostConfig: { NetworkMode: 'none' },
    });
    await app.start();
  });
  nodeId = (await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'edge' }).returning())[0]!.id;
  stateDir = path.join(stack.dir, 'agent');
  await enrollTestAgent(w.ctx(w.actors.admin), nodeId, stack.base, stateDir);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const events = (outcome: 'success' | 'denied') =>
  t.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'node.job.inventory.list'), eq(auditEvents.targetId, nodeId), eq(auditEvents.outcome, outcome)));

describe('node jobs', () => {
  it("runs an inventory job on the node's agent and believes its signed result", async () => {
    const real = await agent(stateDir);
    try {
      expect(await refresh(nodeId)).toEqual({ containers: 1 });
      expect(await events('success')).toHaveLength(1);
    } finally {
      await real.stop();
    }
  }, 60_000);

  it("stores the envelope plain and the agent's result encrypted under the key it shares with the control plane (ADR 0016)", async () => {
    const [job] = await t.db.select().from(jobs).where(eq(jobs.type, 'inventory_refresh')).limit(1);
    const history = await rawClient.workflow.getHandle(job!.workflowId).fetchHistory();
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runNodeJob')!;
    const envelope = scheduled.activityTaskScheduledEventAttributes!.input!.payloads![0]!;
    expect(Buffer.from(envelope.metadata!.encoding!).toString()).toBe('json/plain'); // the agent holds no organization's key
    expect(JSON.parse(Buffer.from(envelope.data!).toString())).toMatchObject({ action: 'inventory.list', nodeId });
    const completed = history.events!.find((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId!.toString())!;
    const result = completed.activityTaskCompletedEventAttributes!.result!.payloads![0]!;
    expect(Buffer.from(result.metadata!['encryption-key-id']!).toString()).toMatch(/^agent\.[A-Za-z0-9_-]{43}\.[0-9a-f]{16}$/);
    expect(Buffer.from(result.data!).includes('billing')).toBe(false);
    const [opened] = await stack.controlPlane.codec.decode([result]);
    expect(JSON.parse(Buffer.from(opened!.data!).toString())).toMatchObject({ ok: true, output: { containers: [expect.objectContaining({ name: 'billing' })] } });
  });

  it("is refused by an agent whose key is not the node's registered one (replaced, or a rogue with a copied state), and records the refusal", async () => {
    // Same node id and queue, but a key the control plane never registered: the envelope names the registered key.
    const rogueDir = path.join(stack.dir, 'rogue');
    fs.cpSync(stateDir, rogueDir, { recursive: true });
    writePrivateFile(statePaths(rogueDir).privateKey, generateKeyPair().privateKey);
    const rogue = await agent(rogueDir);
    try {
      const err = await failureOf(refresh(nodeId));
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(String(err.cause?.message)).toMatch(
        /^the node refused the job: envelope [0-9a-f-]+ is for the agent with key [0-9a-f]{16}, not this one \([0-9a-f]{16}\): this node's agent was replaced$/,
      );
      expect((await events('denied')).map((e) => e.reason)).toEqual([expect.stringMatching(/^the agent refused the job: /)]);
    } finally {
      await rogue.stop();
    }
  }, 60_000);

  it("signs nothing and records nothing for a rogue worker's workflow, and audits each refusal", async () => {
    const { Worker } = await import('@temporalio/worker');
    const rogueQueue = `rogue-${crypto.randomUUID()}`;
    const rogue = await Worker.create({
      connection: await (await import('@temporalio/worker')).NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
      taskQueue: rogueQueue,
      workflowsPath: fileURLToPath(new URL('../jest/rogue-workflows.ts', import.meta.url)),
    });
    await rogue.runUntil(async () => {
      // Its own workflow asks the control plane to sign a removal of the node's data, and a log read.
      for (const [action, params] of [
        ['openclaw.remove', { gatewayId: 'a'.repeat(64), port: 18789, removeVolumes: true }],
        ['openclaw.logs', { containerId: 'a'.repeat(64), tail: 10 }],
      ] as const) {
        const err = await failureOf(
          rawClient.workflow.execute(rogueSign, {
            taskQueue: rogueQueue,
            workflowId: `rogue-${crypto.randomUUID()}`,
            args: [{ controlPlaneQueue: QUEUE, nodeId, action, params }],
          }),
        );
        expect(String((err.cause?.cause as Error | undefined)?.message ?? err.cause?.message)).toMatch(/^refused: run rogue-[0-9a-f-]+ is no job's run$/);
      }
      // Under the workflow id of a real (ended) job, as a second run: refused too, and the job unchanged.
      const [ended] = await t.db.select().from(jobs).where(eq(jobs.type, 'inventory_refresh')).limit(1);
      const err = await failureOf(
        rawClient.workflow.execute(rogueRecord, { taskQueue: rogueQueue, workflowId: ended!.workflowId, args: [{ controlPlaneQueue: QUEUE, jobId: ended!.id }] }),
      );
      expect(String((err.cause?.cause as Error | undefined)?.message ?? err.cause?.message)).toMatch(/^refused: run [0-9a-f-]+ of .* is not the run job [0-9a-f-]+ started$/);
      const [after] = await t.db.select().from(jobs).where(eq(jobs.id, ended!.id));
      expect(after!.state).toBe(ended!.state);
    });
    const denied = await t.db.select().from(auditEvents).where(eq(auditEvents.outcome, 'denied'));
    expect(denied.map((e) => e.action)).toEqual(expect.arrayContaining(['node.job.openclaw.remove', 'node.job.openclaw.logs', 'job.update']));
  }, 120_000);

  it('fails with "node offline" when no agent picks the job up in time', async () => {
    const err = await failureOf(refresh(nodeId, 2));
    expect(String(err.cause?.message)).toBe('node offline: no agent picked up the job within 2 s');
  }, 60_000);
});
