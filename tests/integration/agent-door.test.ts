// Agents reach Temporal only through the agent door (ADR 0010, item 3), tried against the real Temporal
// server, the real control-plane worker and real agents: a client holding an enrolled agent's credential
// can do nothing but what an activity worker on its own queue does, a revoked node's door closes at once
// and its old agent gets no work, and a real agent through the door runs an inventory job end to end.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { statePaths } from '../../agent-worker/config.ts';
import { requestInventoryRefresh } from '../../api/agents/inventory-refresh.ts';
import { revokeNode } from '../../api/agents/service.ts';
import { auditEvents, nodes } from '../../db/schema.ts';
import { AUDIT_ACTION } from '../../infra/agent-door/refusals.ts';
import { startAgentStack, type AgentStack, type StackNode } from '../jest/agent-stack.ts';
import { enrollTestAgent, runTestAgent } from '../jest/agents.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import type { Tenants } from '../jest/tenants.ts';
import { waitFor } from '../jest/wait-for.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);
const NAMESPACE = 'default';

let stack: AgentStack;
let w: Tenants;
/** A node with a real agent running through the door. */
let a: StackNode;
/** A node whose agent is enrolled but not running: its credential is the test's to misuse. */
let b: { id: string; stateDir: string };
let trusted: Client;
const opened: Connection[] = [];

const credentialOf = (stateDir: string) => fs.readFileSync(statePaths(stateDir).credential, 'utf8').trim();

/** A Temporal client at the door with `credential` (as an agent's stolen credential would be used). */
async function doorClient(credential?: string): Promise<Client> {
  const connection = await Connection.connect({ address: stack.doorAddress, ...(credential ? { metadata: { authorization: `Bearer ${credential}` } } : {}) });
  opened.push(connection);
  return new Client({ connection, namespace: NAMESPACE });
}

/** The gRPC status a call ended with (0 when it succeeded). */
async function statusOf(call: Promise<unknown> | (() => Promise<unknown>)): Promise<grpc.status> {
  try {
    await (typeof call === 'function' ? call() : call);
    return grpc.status.OK;
  } catch (err) {
    const e = err as { code?: number; cause?: { code?: number } };
    const code = typeof e.code === 'number' ? e.code : e.cause?.code;
    if (typeof code !== 'number') throw err;
    return code;
  }
}

const refusalsOf = (nodeId: string) =>
  stack.t.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, AUDIT_ACTION), eq(auditEvents.actorId, nodeId)));
const methodsRefusedFor = async (nodeId: string) => new Set((await refusalsOf(nodeId)).map((e) => (e.details as { method: string }).method.split('/').at(-1)));

/** The run's pending node step (`runNodeJob`), as the frontend itself describes it; the control plane's own
 *  steps before it (recording the job, signing the envelope) do not count. */
async function pendingActivity(workflowId: string) {
  const { raw } = await trusted.workflow.getHandle(workflowId).describe();
  return raw.pendingActivities?.find((p) => p.activityType?.name === 'runNodeJob');
}

beforeAll(async () => {
  stack = await startAgentStack('agent-door', { NODE_HEARTBEAT_SECONDS: '2' });
  ({ w } = stack);
  trusted = stack.controlPlane.client;
  a = await stack.addNode({ name: 'door-a', organizationId: w.msp.id, engine: 'agent-door' });
  const [row] = await stack.t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'door-b' }).returning();
  b = { id: row!.id, stateDir: path.join(stack.dir, 'agent-door-b') };
  await enrollTestAgent(w.ctx(w.actors.admin), b.id, stack.base, b.stateDir);
}, 240_000);

afterAll(async () => {
  for (const c of opened) await c.close().catch(() => {});
  await stack?.stop();
});

describe('the agent door', () => {
  it('gives enrolled agents the door as their Temporal address, and a credential kept 0600 beside their key', () => {
    const config = JSON.parse(fs.readFileSync(statePaths(b.stateDir).config, 'utf8')) as { temporalAddress: string };
    expect(config.temporalAddress).toBe(stack.doorAddress);
    expect(config.temporalAddress).not.toBe(process.env.TEMPORAL_ADDRESS);
    expect(fs.statSync(statePaths(b.stateDir).credential).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(statePaths(b.stateDir).config, 'utf8')).not.toContain(credentialOf(b.stateDir));
  });

  it('lets a real agent through the door run an inventory job end to end, with nothing of it refused', async () => {
    const { workflowId } = await requestInventoryRefresh(w.ctx(w.actors.admin), a.nodeId);
    expect(await trusted.workflow.getHandle(workflowId).result()).toEqual({ containers: expect.any(Number) });
    expect(await refusalsOf(a.nodeId)).toEqual([]);
    expect(stack.door.output.join('\n')).not.toContain(credentialOf(a.stateDir));
  }, 120_000);

  it("refuses a client with an enrolled agent's credential to list, start, signal, describe or read histories, and audits each", async () => {
    const rogue = await doorClient(credentialOf(a.stateDir)); // connecting (GetSystemInfo) is allowed
    const { workflowId } = await requestInventoryRefresh(w.ctx(w.actors.admin), a.nodeId);
    await trusted.workflow.getHandle(workflowId).result();
    const handle = rogue.workflow.getHandle(workflowId);
    const denied = grpc.status.PERMISSION_DENIED;
    expect(
      await statusOf(async () => {
        for await (const _ of rogue.workflow.list()) break;
      }),
    ).toBe(denied);
    expect(await statusOf(rogue.workflow.count())).toBe(denied);
    const forgedId = `rogue-${Date.now()}`;
    expect(await statusOf(rogue.workflow.start('refreshNodeInventory', { taskQueue: QUEUE, workflowId: forgedId, args: [{ nodeId: b.id }] }))).toBe(denied);
    expect(await statusOf(handle.signal('approve', { phrase: 'x', approver: { userId: 'made-up', email: 'boss@msp', role: 'msp_admin' } }))).toBe(denied);
    expect(await statusOf(handle.describe())).toBe(denied);
    expect(await statusOf(handle.fetchHistory())).toBe(denied);
    expect(await statusOf(handle.query('status'))).toBe(denied);
    expect(await statusOf(handle.terminate('rogue'))).toBe(denied);
    expect(await statusOf(rogue.workflowService.pollWorkflowTaskQueue({ namespace: NAMESPACE, taskQueue: { name: QUEUE } }))).toBe(denied);
    expect(await statusOf(rogue.workflowService.pollActivityTaskQueue({ namespace: NAMESPACE, taskQueue: { name: QUEUE } }))).toBe(denied);
    // Nothing started: the frontend does not know the forged run.
    await expect(trusted.workflow.getHandle(forgedId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const refused = await waitFor('the refusals in the audit trail', async () => {
      const methods = await methodsRefusedFor(a.nodeId);
      return methods.size >= 10 ? methods : undefined;
    });
    expect([...refused].sort()).toEqual([
      'CountWorkflowExecutions',
      'DescribeWorkflowExecution',
      'GetWorkflowExecutionHistory',
      'ListWorkflowExecutions',
      'PollActivityTaskQueue',
      'PollWorkflowTaskQueue',
      'QueryWorkflow',
      'SignalWorkflowExecution',
      'StartWorkflowExecution',
      'TerminateWorkflowExecution',
    ]);
    const [event] = await refusalsOf(a.nodeId);
    expect(event).toMatchObject({ actorType: 'agent', actorLabel: 'agent of node door-a', organizationId: w.msp.id, targetType: 'node', targetId: a.nodeId, outcome: 'denied' });
  }, 120_000);

  it("refuses another node's queue, and a task token the door did not hand to the caller", async () => {
    const rogue = await doorClient(credentialOf(a.stateDir));
    const owner = await doorClient(credentialOf(b.stateDir));
    expect(await statusOf(rogue.workflowService.pollActivityTaskQueue({ namespace: NAMESPACE, taskQueue: { name: `node.${b.id}` } }))).toBe(grpc.status.PERMISSION_DENIED);

    // A real task on node b's queue, taken straight from the frontend (not through the door).
    const { workflowId } = await requestInventoryRefresh(w.ctx(w.actors.admin), b.id);
    await waitFor("the job on node b's queue", () => pendingActivity(workflowId));
    const task = await trusted.connection.withDeadline(Date.now() + 20_000, () =>
      trusted.workflowService.pollActivityTaskQueue({ namespace: NAMESPACE, taskQueue: { name: `node.${b.id}` }, identity: 'test' }),
    );
    expect(task.taskToken?.length).toBeGreaterThan(0);
    const complete = (c: Client, taskToken: Uint8Array) => c.workflowService.respondActivityTaskCompleted({ namespace: NAMESPACE, taskToken, identity: 'rogue' });
    expect(await statusOf(complete(rogue, task.taskToken!))).toBe(grpc.status.PERMISSION_DENIED);
    // Not even node b's own credential completes a task the door did not hand to it.
    expect(await statusOf(complete(owner, task.taskToken!))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await statusOf(owner.workflowService.recordActivityTaskHeartbeat({ namespace: NAMESPACE, taskToken: task.taskToken! }))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await statusOf(complete(rogue, Uint8Array.from([1, 2, 3])))).toBe(grpc.status.PERMISSION_DENIED);
    expect(await statusOf(rogue.workflowService.respondActivityTaskCompletedById({ namespace: NAMESPACE, workflowId, activityId: '1' }))).toBe(grpc.status.PERMISSION_DENIED);
    expect((await pendingActivity(workflowId))?.state).toBe(2); // PENDING_ACTIVITY_STATE_STARTED: by the test's poll, never completed
    await trusted.workflowService.respondActivityTaskFailed({ namespace: NAMESPACE, taskToken: task.taskToken!, failure: { message: 'test over', applicationFailureInfo: {} } });
  }, 120_000);

  it('answers UNAUTHENTICATED to a client without a credential or with one it does not know', async () => {
    expect(await statusOf(doorClient())).toBe(grpc.status.UNAUTHENTICATED);
    expect(await statusOf(doorClient('awagt_not-a-credential-anyone-was-given'))).toBe(grpc.status.UNAUTHENTICATED);
  });

  it("closes a revoked node's door at once: a poll in flight ends UNAUTHENTICATED, and so does every call after", async () => {
    const owner = await doorClient(credentialOf(b.stateDir));
    const poll = statusOf(
      owner.connection.withDeadline(Date.now() + 50_000, () =>
        owner.workflowService.pollActivityTaskQueue({ namespace: NAMESPACE, taskQueue: { name: `node.${b.id}` }, identity: 'b' }),
      ),
    );
    await new Promise((r) => setTimeout(r, 1_000)); // the long poll is with the frontend
    const revokedAt = Date.now();
    await revokeNode(w.ctx(w.actors.admin), b.id);
    expect(await poll).toBe(grpc.status.UNAUTHENTICATED);
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
    expect(await statusOf(owner.workflowService.getSystemInfo({}))).toBe(grpc.status.UNAUTHENTICATED);

    // Enrolled again, the node has a new credential; the old one stays refused.
    const again = path.join(stack.dir, 'agent-door-b-again');
    await enrollTestAgent(w.ctx(w.actors.admin), b.id, stack.base, again);
    expect(await statusOf(owner.workflowService.getSystemInfo({}))).toBe(grpc.status.UNAUTHENTICATED);
    expect(await statusOf(doorClient(credentialOf(again)))).toBe(grpc.status.OK);
  }, 60_000);

  it("gives a revoked node's old agent no work: the job waiting on its queue stays unstarted", async () => {
    await a.agent.stop();
    const { workflowId } = await requestInventoryRefresh(w.ctx(w.actors.admin), a.nodeId);
    await waitFor("the job on node a's queue", () => pendingActivity(workflowId));
    await revokeNode(w.ctx(w.actors.admin), a.nodeId);
    const started = await runTestAgent(a.stateDir, a.engine.socketPath, { NODE_HEARTBEAT_SECONDS: '2' }).then(
      async (p) => {
        await p.stop();
        return 'ran';
      },
      (err: Error) => err.message,
    );
    expect(started).toMatch(/exited with 2/);
    expect(started).toMatch(/the agent door refused this agent's credential/);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await pendingActivity(workflowId))?.state).toBe(1); // PENDING_ACTIVITY_STATE_SCHEDULED: nobody took it
    await trusted.workflow.getHandle(workflowId).terminate('test over');
  }, 120_000);
});
