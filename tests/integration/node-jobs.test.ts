// Node jobs end to end: the control plane signs an inventory job, only the node's own queue runs it,
// and the result is believed only if the node's registered agent signed it. A rogue worker polling that
// queue with another key gets the job but its result is refused (and audited); a node whose agent does
// not pick the job up fails with "node offline".
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { statePaths, writePrivateFile } from '../../agent-worker/config.ts';
import { buildNodeImage } from '../../agent-worker/docker/images.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { auditEvents, nodes } from '../../db/schema.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import type { refreshNodeInventory } from '../../workflows/refresh-node-inventory.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { enrollTestAgent, runTestAgent } from '../jest/agents.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let engine: RunningDockerEngine;
let client: Client;
let nodeId: string;
let stateDir: string;

const refresh = (id: string, offlineAfterSeconds = 20) => client.workflow.execute<typeof refreshNodeInventory>('refreshNodeInventory', {
  taskQueue: QUEUE, workflowId: `refresh-inventory-${id}-${Date.now()}`, args: [{ nodeId: id, offlineAfterSeconds }], workflowExecutionTimeout: '2 minutes',
});
// Each test runs the agent it needs (the node's own, a rogue one, none).
const agent = (state: string) => runTestAgent(state, engine.socketPath, { NODE_HEARTBEAT_SECONDS: '5' });
const failureOf = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the run to fail'); }, (e: unknown) => e as WorkflowFailedError);

beforeAll(async () => {
  stack = await startAgentStack('node-jobs');
  const { w } = stack;
  ({ t, controlPlane: { client } } = stack);
  engine = await stack.addEngine('node-jobs', async (e) => {
    await buildNodeImage(e.docker, { tag: 'aw-test-node:jobs' });
    const app = await e.docker.createContainer({ Image: 'aw-test-node:jobs', name: 'billing', Cmd: ['/usr/local/bin/node', '-e', 'setInterval(() => {}, 1000)'], HostConfig: { NetworkMode: 'none' } });
    await app.start();
  });
  nodeId = (await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'edge' }).returning())[0]!.id;
  stateDir = path.join(stack.dir, 'agent');
  await enrollTestAgent(w.ctx(w.actors.admin), nodeId, stack.base, stateDir);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const events = (outcome: 'success' | 'denied') => t.db.select().from(auditEvents)
  .where(and(eq(auditEvents.action, 'node.job.inventory.list'), eq(auditEvents.targetId, nodeId), eq(auditEvents.outcome, outcome)));

describe('node jobs', () => {
  it('runs an inventory job on the node\'s agent and believes its signed result', async () => {
    const real = await agent(stateDir);
    try {
      expect(await refresh(nodeId)).toEqual({ containers: 1 });
      expect(await events('success')).toHaveLength(1);
    } finally {
      await real.stop();
    }
  }, 60_000);

  it('refuses the result of a rogue worker on that node\'s queue, and records the refusal', async () => {
    // Same node id and queue, but a key the control plane never registered.
    const rogueDir = path.join(stack.dir, 'rogue');
    fs.cpSync(stateDir, rogueDir, { recursive: true });
    writePrivateFile(statePaths(rogueDir).privateKey, generateKeyPair().privateKey);
    const rogue = await agent(rogueDir);
    try {
      const err = await failureOf(refresh(nodeId));
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(String(err.cause?.message)).toMatch(/^result refused: the result of envelope [0-9a-f-]+ is not signed by node [0-9a-f-]+'s registered agent key$/);
      expect((await events('denied')).map((e) => e.reason)).toEqual([expect.stringMatching(/^result refused: /)]);
    } finally {
      await rogue.stop();
    }
  }, 60_000);

  it('fails with "node offline" when no agent picks the job up in time', async () => {
    const err = await failureOf(refresh(nodeId, 2));
    expect(String(err.cause?.message)).toBe('node offline: no agent picked up the job within 2 s');
  }, 60_000);
});
