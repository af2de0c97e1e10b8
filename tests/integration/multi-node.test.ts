// Two machines on one host: two nodes, each with its own agent and its own private Docker engine
// (separate sockets and data roots). Each node's inventory shows only its own machine's containers, and
// a job sent to one node is run by that node's agent on that node's engine only.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { buildNodeImage } from '../../agent-worker/docker/images.ts';
import { requestInventoryRefresh } from '../../api/agents/inventory-refresh.ts';
import { nodeContainers } from '../../db/schema.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { startAgentStack, type AgentStack, type StackNode } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue, type TestControlPlane } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';
import type { Tenants } from '../jest/tenants.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);
const IMAGE = 'aw-test-node:multi';
const HEARTBEATS = { NODE_HEARTBEAT_SECONDS: '1' };

let stack: AgentStack;
let t: TestDatabase;
let w: Tenants;
let controlPlane: TestControlPlane;
let machines: StackNode[];

const idle = (engine: RunningDockerEngine, name: string) =>
  engine.docker
    .createContainer({
      Image: IMAGE,
      name,
      Cmd: ['/usr/local/bin/node', '-e', 'setInterval(() => {}, 1000)'],
      HostConfig: { NetworkMode: 'none' },
    })
    .then((c) => c.start());
const inventoryOf = async (nodeId: string) =>
  (await t.db.select({ name: nodeContainers.name }).from(nodeContainers).where(eq(nodeContainers.nodeId, nodeId))).map((c) => c.name).sort();

beforeAll(async () => {
  stack = await startAgentStack('multi-node', HEARTBEATS);
  ({ t, w, controlPlane } = stack);
  for (const [name, organizationId] of [
    ['machine-a', w.acme.id],
    ['machine-b', w.globex.id],
  ] as const) {
    await stack.addNode({
      name,
      organizationId,
      engine: name,
      prepare: async (engine) => {
        await buildNodeImage(engine.docker, { tag: IMAGE });
        await idle(engine, `${name}-app`);
      },
    });
  }
  machines = stack.nodes;
}, 180_000);

afterAll(() => stack?.stop());

describe('two nodes, two agents, two Docker engines', () => {
  it("each node lists only its own machine's containers", async () => {
    for (const m of machines) {
      expect(await waitFor(`${m.name}'s inventory`, async () => ((await inventoryOf(m.nodeId)).length ? inventoryOf(m.nodeId) : undefined))).toEqual([`${m.name}-app`]);
    }
  });

  it("a job for one node runs on that node's machine only", async () => {
    const [a, b] = machines as [(typeof machines)[0], (typeof machines)[0]];
    await idle(b.engine, 'machine-b-new');
    const client = controlPlane.client;
    const ctx = w.ctx(w.actors.admin);
    // Node A's job is answered by A's agent from A's engine: B's new container is not in it.
    const onA = await requestInventoryRefresh(ctx, a.nodeId);
    expect(await client.workflow.getHandle(onA.workflowId).result()).toEqual({ containers: 1 });
    expect(await inventoryOf(a.nodeId)).toEqual(['machine-a-app']);
    const onB = await requestInventoryRefresh(ctx, b.nodeId);
    expect(await client.workflow.getHandle(onB.workflowId).result()).toEqual({ containers: 2 });
    expect(await inventoryOf(b.nodeId)).toEqual(['machine-b-app', 'machine-b-new']);
    // Each run's activity was picked up on its own node's queue.
    for (const [run, node] of [
      [onA, a],
      [onB, b],
    ] as const) {
      const history = await client.workflow.getHandle(run.workflowId).fetchHistory();
      const queues = history
        .events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runNodeJob')
        .map((e) => e.activityTaskScheduledEventAttributes!.taskQueue!.name);
      expect(queues).toEqual([`node.${node.nodeId}`]);
    }
  });
});
