// Guarantee 5 for deployments: while a deployment waits for its approval, the control-plane worker and
// the agent are killed and the Temporal dev server is stopped and started again on the same database
// file; afterwards the approval still works and the deployment completes. An agent killed while it
// creates the containers is replaced, and the job completes with exactly one gateway. A deployment to
// an offline node fails with "node offline" within its bound. This file runs its own Temporal server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { LABELS } from '../../agent-worker/openclaw/containers.ts';
import { requestDeployment } from '../../api/instances/service.ts';
import { approveJob } from '../../api/jobs/service.ts';
import { jobs } from '../../db/schema.ts';
import { freePort } from '../../infra/ports.ts';
import { startAgentStack, type AgentStack, type StackNode } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { killProcess, startOwnTemporal, type OwnTemporal } from '../jest/own-temporal.ts';
import type { Tenants } from '../jest/tenants.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);
const PHRASE = 'deploy openclaw to durable-edge';

let stack: AgentStack;
let node: StackNode;
let w: Tenants;
let temporal: OwnTemporal;

const jobRow = async (id: string) => (await stack.t.db.select().from(jobs).where(eq(jobs.id, id)))[0]!;
const until = (id: string, test: (job: Awaited<ReturnType<typeof jobRow>>) => boolean, what: string, withinMs = 90_000) =>
  waitFor(
    what,
    async () => {
      const job = await jobRow(id);
      if (job.state === 'failed' && !what.includes('fail')) throw new Error(`job failed: ${job.failureReason}`);
      return test(job) ? job : undefined;
    },
    withinMs,
  );
const gatewaysOf = async (instanceId: string) =>
  node.engine.docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${instanceId}`, `${LABELS.role}=gateway`] } });

beforeAll(async () => {
  temporal = await startOwnTemporal('durable');
  stack = await startAgentStack('deploy-durability');
  w = stack.w;
  node = await stack.addNode({ name: 'durable-edge', organizationId: w.acme.id, engine: 'deploy-durability' });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await temporal?.stop();
});

describe('deployments survive restarts', () => {
  it('keeps a waiting approval across a kill of the worker and the agent and a restart of the Temporal server', async () => {
    const job = await requestDeployment(w.ctx(w.actors.operator), { nodeId: node.nodeId, instanceName: 'survivor', port: await freePort() });
    await until(job.id, (j) => j.state === 'waiting_for_approval', 'the approval wait');

    await killProcess(stack.controlPlane.worker);
    await stack.controlPlane.closeClients();
    await killProcess(node.agent);
    await temporal.restart(); // same port, same database file
    stack.controlPlane = await stack.startControlPlane();
    node.agent = await node.startAgent();

    const approved = await waitFor(
      'Temporal to take the approval',
      () =>
        approveJob(w.ctx(w.actors.admin), job.id, { phrase: PHRASE }).then(
          (j) => j,
          (err: Error) => (/Temporal|connect|unavailable/i.test(err.message) ? undefined : Promise.reject(err)),
        ),
      30_000,
    );
    expect(approved.state).toBe('running');
    const done = await until(job.id, (j) => j.state === 'completed', 'the deployment to complete', 240_000);
    expect(done.approvals.filter((a) => a.outcome === 'approved')).toHaveLength(1);
    expect(await gatewaysOf(job.instanceId!)).toHaveLength(1);
  }, 360_000);

  it('replaces an agent killed while it creates the containers, and ends with exactly one gateway', async () => {
    const job = await requestDeployment(w.ctx(w.actors.operator), { nodeId: node.nodeId, instanceName: 'interrupted', port: await freePort() });
    await until(job.id, (j) => j.state === 'waiting_for_approval', 'the approval wait');
    await approveJob(w.ctx(w.actors.admin), job.id, { phrase: PHRASE });
    // Kill the agent as soon as the deployment step has begun creating containers on the machine.
    await waitFor(
      'the first container',
      async () => ((await node.engine.docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${job.instanceId}`] } })).length ? true : undefined),
      60_000,
    );
    await killProcess(node.agent);
    node.agent = await node.startAgent();
    const done = await until(job.id, (j) => j.state === 'completed', 'the deployment to complete', 240_000);
    expect(done.state).toBe('completed');
    expect(await gatewaysOf(job.instanceId!)).toHaveLength(1);
  }, 360_000);

  it('fails a deployment to an offline node with "node offline" once its bound passes', async () => {
    await node.agent.stop();
    process.env.NODE_WAIT_SECONDS = '3';
    try {
      const job = await requestDeployment(w.ctx(w.actors.operator), { nodeId: node.nodeId, instanceName: 'unreachable', port: await freePort() });
      const failed = await until(job.id, (j) => j.state === 'failed', 'the job to fail', 60_000);
      expect(failed.failureReason).toBe('node offline: no agent picked up the job within 3 s');
    } finally {
      delete process.env.NODE_WAIT_SECONDS;
      node.agent = await node.startAgent();
    }
  }, 90_000);
});
