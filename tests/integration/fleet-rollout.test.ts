// Fleet rollouts on real Temporal, real agents on two nodes (issue 19, ADR 0030): a restart rollout's one
// approval covers its child (which asks none of its own, and whose machine-changing step the control plane
// signs on the strength of the copied approval); a health rollout over unhealthy instances stops itself
// after its canary, and a resume through the API runs the next batch; an inventory refresh of both nodes
// survives a kill of the worker and a restart of the Temporal server mid-rollout, each node refreshed by
// exactly one child job, a Temporal child run of the rollout's; a rollout that continues as new goes on
// under its new run. Against a rogue worker that answers a rollout's run with its own code (ADR 0010), the
// control plane records no child run that is not that run's own child of the action's workflow, prepares or
// fails no job that is not the target's, makes one job per target, starts nothing past the canary without
// the second approval, and copies no approval of a person no longer active. This file runs its own Temporal server.
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NativeConnection, Worker } from '@temporalio/worker';
import { and, eq, ne, sql } from 'drizzle-orm';
import { controlRollout, requestRollout } from '../../api/fleet/service.ts';
import { approveJob } from '../../api/jobs/service.ts';
import { getTemporalClient } from '../../api/temporal-client.ts';
import { auditEvents, instances, jobs, rolloutControls, users } from '../../db/schema.ts';
import { ROGUE_SUFFIX, rogueCallUpdate, rogueStartChildUpdate, type RogueAnswer } from '../jest/rogue-rollout.ts';
import { startAgentStack, type AgentStack, type StackNode } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { killProcess, startOwnTemporal, type OwnTemporal } from '../jest/own-temporal.ts';
import type { Tenants } from '../jest/tenants.ts';
import { jobUntil, rolloutChildren } from '../jest/job-waits.ts';
import { waitFor } from '../jest/wait-for.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let temporal: OwnTemporal;
let w: Tenants;
let nodeA: StackNode;
let nodeB: StackNode;

const jobRow = async (id: string) => (await stack.t.db.select().from(jobs).where(eq(jobs.id, id)))[0]!;
const until = (id: string, test: (job: Awaited<ReturnType<typeof jobRow>>) => boolean, what: string, withinMs = 120_000) => jobUntil(stack.t.db, id, test, what, withinMs);
const childrenOf = (rolloutId: string) => rolloutChildren(stack.t.db, rolloutId);

/** A managed instance whose containers do not exist on its node: its health is "unhealthy", a restart fails on the node. */
async function ghostInstance(node: StackNode, name: string): Promise<string> {
  const [row] = await stack.t.db
    .insert(instances)
    .values({ organizationId: w.acme.id, nodeId: node.nodeId, name, state: 'managed', containerIds: [crypto.randomBytes(32).toString('hex')], port: 18789, bundleVersion: 'ghost' })
    .returning();
  return row!.id;
}

beforeAll(async () => {
  temporal = await startOwnTemporal('fleet');
  stack = await startAgentStack('fleet-rollout');
  w = stack.w;
  nodeA = await stack.addNode({ name: 'fleet-a', organizationId: w.acme.id, engine: 'fleet-a' });
  nodeB = await stack.addNode({ name: 'fleet-b', organizationId: w.acme.id, engine: 'fleet-b' });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await temporal?.stop();
});

describe('fleet rollouts on real Temporal', () => {
  it("covers a restart with the rollout's one approval: the child asks none, and its restart is signed for the node", async () => {
    const instanceId = await ghostInstance(nodeA, 'ghost-restart');
    const rollout = await requestRollout(w.ctx(w.actors.operator), { action: 'restart', instanceIds: [instanceId], canarySize: 0, batchSize: 1 });
    expect(rollout).toMatchObject({ type: 'fleet_rollout', approvalPhrase: 'restart 1 instance' });
    await until(rollout.id, (j) => j.state === 'waiting_for_approval', 'the rollout to wait for its approval');
    expect(await childrenOf(rollout.id)).toEqual([]);
    await approveJob(w.ctx(w.actors.admin), rollout.id, { phrase: 'restart 1 instance' });

    const done = await until(rollout.id, (j) => j.state === 'completed', 'the rollout to end');
    const [child] = await childrenOf(rollout.id);
    expect(child).toMatchObject({ type: 'restart_gateway', instanceId, state: 'failed' });
    // Its approval is the rollout's, copied with who gave it; it never waited for one of its own.
    expect(child!.approvals).toEqual([expect.objectContaining({ via: 'rollout', rolloutJobId: rollout.id, by: w.actors.admin.email, outcome: 'approved' })]);
    expect(child!.approvalRequestedAt).toBeNull();
    // The restart was signed and reached the node (whose containers do not exist): not refused for want of an approval.
    expect(child!.failureReason).toMatch(/openclaw\.restart failed on the node/);
    expect(done.result).toMatchObject({ total: 1, completed: 0, failed: 1 });
  }, 240_000);

  it("changes versions under the rollout's one approval: toVersion checked, instances already on it left out, the child's upgrade asks none", async () => {
    const operator = w.ctx(w.actors.operator);
    const onVersion = (name: string, version: string) =>
      stack.t.db
        .insert(instances)
        .values({
          organizationId: w.acme.id,
          nodeId: nodeB.nodeId,
          name,
          state: 'managed',
          containerIds: [crypto.randomBytes(32).toString('hex'), crypto.randomBytes(32).toString('hex')],
          port: 18790,
          bundleVersion: version,
        })
        .returning()
        .then(([row]) => row!.id);
    const older = await onVersion('ghost-older', '2026.9.5');
    const current = await onVersion('ghost-current', '2026.9.6');
    await expect(requestRollout(operator, { action: 'upgrade', instanceIds: [older] })).rejects.toMatchObject({
      fieldErrors: { toVersion: expect.stringMatching(/one of the bundle's versions: 2026\.9\.6/) },
    });
    await expect(requestRollout(operator, { action: 'upgrade', instanceIds: [older], toVersion: '1.0.0' })).rejects.toMatchObject({
      fieldErrors: { toVersion: expect.any(String) },
    });
    await expect(requestRollout(operator, { action: 'health', instanceIds: [older], toVersion: '2026.9.6' })).rejects.toMatchObject({
      fieldErrors: { toVersion: 'a health check takes no version' },
    });
    await expect(requestRollout(operator, { action: 'upgrade', instanceIds: [current], toVersion: '2026.9.6' })).rejects.toMatchObject({
      fieldErrors: { action: expect.stringMatching(/no managed instance matches/) },
    });

    const rollout = await requestRollout(operator, { action: 'upgrade', instanceIds: [older, current], toVersion: '2026.9.6', canarySize: 0, batchSize: 2 });
    expect(rollout).toMatchObject({
      type: 'fleet_rollout',
      approvalPhrase: 'change 1 instance to 2026.9.6',
      params: expect.objectContaining({ count: 1, options: { toVersion: '2026.9.6' } }),
    });
    await until(rollout.id, (j) => j.state === 'waiting_for_approval', 'the rollout to wait for its approval');
    await approveJob(w.ctx(w.actors.admin), rollout.id, { phrase: 'change 1 instance to 2026.9.6' });
    await until(rollout.id, (j) => j.state === 'completed', 'the rollout to end');
    const [child] = await childrenOf(rollout.id);
    expect(child).toMatchObject({
      type: 'upgrade_openclaw',
      instanceId: older,
      state: 'failed',
      params: expect.objectContaining({ fromVersion: '2026.9.5', toVersion: '2026.9.6' }),
    });
    expect(child!.approvals).toEqual([expect.objectContaining({ via: 'rollout', rolloutJobId: rollout.id, outcome: 'approved' })]);
    expect(child!.approvalRequestedAt).toBeNull();
    // Its containers do not exist: the node's preflight says so, and nothing was switched.
    expect(child!.failureReason).toMatch(/preflight/);
  }, 240_000);

  it('stops itself when its canary finds an instance unhealthy, and runs the next batch once resumed through the API', async () => {
    const ids = [await ghostInstance(nodeA, 'ghost-1'), await ghostInstance(nodeB, 'ghost-2'), await ghostInstance(nodeB, 'ghost-3')];
    const rollout = await requestRollout(w.ctx(w.actors.operator), { action: 'health', instanceIds: ids, canarySize: 1, batchSize: 2, maxFailuresPerBatch: 2 });
    expect(rollout.type).toBe('fleet_bulk');
    const stopped = await until(rollout.id, (j) => j.step === 'stopped', 'the rollout to stop itself');
    expect(stopped.result).toMatchObject({ completed: 0, failed: 1, stopped: expect.stringMatching(/^the canary failed on ghost-/) });
    expect(await childrenOf(rollout.id)).toHaveLength(1);
    const [held] = await stack.t.db.select().from(rolloutControls).where(eq(rolloutControls.jobId, rollout.id));
    expect(held).toMatchObject({ control: 'pause', changedBy: null });

    await controlRollout(w.ctx(w.actors.operator), rollout.id, 'resume');
    const done = await until(rollout.id, (j) => j.state === 'completed', 'the rollout to end');
    expect(done.result).toMatchObject({ total: 3, completed: 0, failed: 3 });
    expect((done.result!.targets as { reason?: string }[]).map((t) => t.reason)).toEqual(Array(3).fill('the instance is not healthy'));
  }, 240_000);

  it('refreshes every node once across a kill of the worker and a restart of the Temporal server mid-rollout', async () => {
    const rollout = await requestRollout(w.ctx(w.actors.operator), { action: 'inventory', organizationId: w.acme.id, canarySize: 0, batchSize: 1, pauseSeconds: 5 });
    expect(rollout.params.count).toBe(2);
    await waitFor('the first child job', async () => ((await childrenOf(rollout.id)).length ? true : undefined), 60_000);

    await killProcess(stack.controlPlane.worker);
    await stack.controlPlane.closeClients();
    await temporal.restart(); // same port, same database file
    stack.controlPlane = await stack.startControlPlane();

    const done = await until(rollout.id, (j) => j.state === 'completed', 'the rollout to end', 180_000);
    expect(done.result).toMatchObject({ total: 2, completed: 2, failed: 0 });
    const children = await childrenOf(rollout.id);
    expect(children.map((c) => [c.type, c.state]).sort()).toEqual([
      ['inventory_refresh', 'completed'],
      ['inventory_refresh', 'completed'],
    ]);
    expect(children.map((c) => c.nodeId).sort()).toEqual([nodeA.nodeId, nodeB.nodeId].sort());
    // Each a child run of the rollout's, under its job's workflow id.
    const client = await getTemporalClient();
    for (const c of children) expect((await client.workflow.getHandle(c.workflowId).describe()).raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(done.workflowId);
    const audited = await stack.t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from audit_events where action = 'job.request' and details->>'rolloutJobId' = ${rollout.id}`,
    );
    expect(audited[0]!.n).toBe(2);
  }, 300_000);

  it('goes on after continuing as new: the new run takes the job over, as Temporal says it continued from the recorded run', async () => {
    process.env.ROLLOUT_CONTINUE_AFTER_EVENTS = '10';
    const rollout = await requestRollout(w.ctx(w.actors.operator), { action: 'inventory', organizationId: w.acme.id, canarySize: 0, batchSize: 1 }).finally(
      () => delete process.env.ROLLOUT_CONTINUE_AFTER_EVENTS,
    );
    const firstRun = (await jobRow(rollout.id)).runId;
    const done = await until(rollout.id, (j) => j.state === 'completed', 'the rollout to end', 180_000);
    expect(done.result).toMatchObject({ total: 2, completed: 2, failed: 0 });
    // It did continue as new, and its job follows the latest run.
    const latest = await (await getTemporalClient()).workflow.getHandle(done.workflowId).describe();
    expect(latest.runId).not.toBe(firstRun);
    expect(done.runId).toBe(latest.runId);
  }, 240_000);
});

describe("a rogue worker answering a rollout's run", () => {
  let rogue: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    const rogueModule = fileURLToPath(new URL('../jest/rogue-rollout.ts', import.meta.url));
    rogue = await Worker.create({
      connection: await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
      taskQueue: `${QUEUE}${ROGUE_SUFFIX}`,
      workflowsPath: rogueModule,
      interceptors: { workflowModules: [rogueModule] },
      // With the product's payload keys: the attacker here is the worker, not a reader of history.
      dataConverter: { payloadCodecs: [stack.controlPlane.codec] },
    });
    running = rogue.run();
  }, 120_000);

  afterAll(async () => {
    rogue?.shutdown();
    await running;
  });

  /** A rollout whose run the rogue's code answers (started on the rogue's queue), approved by the admin if it needs it. */
  async function rogueRollout(request: Record<string, unknown>) {
    process.env.CONTROL_PLANE_TASK_QUEUE = `${QUEUE}${ROGUE_SUFFIX}`;
    const rollout = await requestRollout(w.ctx(w.actors.operator), request).finally(() => (process.env.CONTROL_PLANE_TASK_QUEUE = QUEUE));
    if (rollout.approvalPhrase) {
      await until(rollout.id, (j) => j.state === 'waiting_for_approval', 'the rollout to wait for its approval');
      await approveJob(w.ctx(w.actors.admin), rollout.id, { phrase: rollout.approvalPhrase });
    }
    await until(rollout.id, (j) => j.state === 'running', 'the rollout to run');
    const handle = stack.controlPlane.client.workflow.getHandle(rollout.workflowId);
    return {
      rollout,
      call: (activity: string, input: Record<string, unknown>): Promise<RogueAnswer> =>
        handle.executeUpdate(rogueCallUpdate, { args: [{ activity, input: { jobId: rollout.id, ...input } }] }),
      startChild: (o: { workflowType: string; workflowId: string; args?: unknown; taskQueue?: string }) =>
        handle.executeUpdate(rogueStartChildUpdate, { args: [{ args: {}, taskQueue: `nowhere-${crypto.randomUUID()}`, ...o }] }),
      end: () => handle.terminate('test over'),
    };
  }
  const denials = async (action: string, jobId: string) =>
    (
      await stack.t.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, action), eq(auditEvents.targetId, jobId), eq(auditEvents.outcome, 'denied')))
    ).map((e) => e.reason);

  it("records no child run that Temporal does not describe as the calling run's own child of the action's workflow", async () => {
    const instanceId = await ghostInstance(nodeA, 'rogue-child');
    const r = await rogueRollout({ action: 'restart', instanceIds: [instanceId], canarySize: 0, batchSize: 1 });
    try {
      const childJobId = crypto.randomUUID();
      const prepared = (await r.call('prepareRolloutTarget', { index: 0, childJobId })).ok as { workflowType: string; workflowId: string; args: unknown };
      expect(prepared).toMatchObject({ workflowType: 'restartGateway' });
      const record = (runId: string) => r.call('recordRolloutChildRun', { childJobId, runId });
      const client = await getTemporalClient();

      // A run under the child's workflow id that is nobody's child (started by a raw client).
      const orphan = await client.workflow.start('restartGateway', { workflowId: prepared.workflowId, taskQueue: `nowhere-${crypto.randomUUID()}`, args: [{}] });
      expect(await record(orphan.firstExecutionRunId)).toEqual({ error: expect.stringMatching(/^refused: run .* of job .* is not a child of the calling run$/) });
      await orphan.terminate('test');
      // The calling run's child, but of another workflow type.
      const other = await r.startChild({ workflowType: 'somethingElse', workflowId: prepared.workflowId });
      expect(await record(other.runId!)).toEqual({ error: expect.stringMatching(/is a somethingElse run, not the rollout action's workflow$/) });
      await client.workflow.getHandle(prepared.workflowId, other.runId).terminate('test');
      // A run Temporal never had.
      expect(await record(crypto.randomUUID())).toEqual({ error: expect.stringMatching(/^refused: Temporal has no run /) });
      expect((await jobRow(childJobId)).runId).toBeNull();
      expect(await denials('fleet.rollout.child', r.rollout.id)).toHaveLength(3);

      // Its real child, of the action's workflow on the control plane's queue: recorded.
      const child = await r.startChild({ workflowType: prepared.workflowType, workflowId: prepared.workflowId, args: prepared.args, taskQueue: QUEUE });
      expect(await record(child.runId!)).toEqual({});
      expect((await jobRow(childJobId)).runId).toBe(child.runId);
    } finally {
      await r.end();
    }
  }, 240_000);

  it("prepares and fails no job that is not the target's, and makes one job per target", async () => {
    // An inventory refresh of both nodes: nothing but the index keeps a second job of one target out.
    const r = await rogueRollout({ action: 'inventory', organizationId: w.acme.id, canarySize: 0, batchSize: 2 });
    const unchanged = async (id: string, before: Awaited<ReturnType<typeof jobRow>>) => expect(await jobRow(id)).toEqual(before);
    try {
      // Another job altogether (here an earlier rollout's record), named as the target's job: refused, untouched.
      const [other] = await stack.t.db
        .select()
        .from(jobs)
        .where(and(eq(jobs.type, 'fleet_rollout'), ne(jobs.id, r.rollout.id)))
        .limit(1);
      expect(await r.call('prepareRolloutTarget', { index: 0, childJobId: other!.id })).toEqual({
        error: expect.stringMatching(/^refused: job .* is not target 0 of rollout /),
      });
      await unchanged(other!.id, other!);

      const first = crypto.randomUUID();
      expect((await r.call('prepareRolloutTarget', { index: 0, childJobId: first })).ok).toMatchObject({ workflowType: 'refreshNodeInventory' });
      const recorded = await jobRow(first);
      expect(recorded).toMatchObject({ rolloutJobId: r.rollout.id, targetIndex: 0, state: 'preflight' });
      // Target 0's job named for target 1: refused, and target 0's job is left as it was.
      expect(await r.call('prepareRolloutTarget', { index: 1, childJobId: first })).toEqual({ error: expect.stringMatching(/is not target 1 of rollout/) });
      await unchanged(first, recorded);
      // A second job for target 0: refused by the one-job-per-target index, and not recorded.
      const second = crypto.randomUUID();
      expect(await r.call('prepareRolloutTarget', { index: 0, childJobId: second })).toEqual({
        error: expect.stringMatching(/^refused: target 0 of rollout .* has its job already$/),
      });
      expect(await stack.t.db.select().from(jobs).where(eq(jobs.id, second))).toEqual([]);
      expect(await denials('fleet.rollout.target', r.rollout.id)).toHaveLength(3);
    } finally {
      await r.end();
    }
  }, 240_000);

  it('starts nothing past the canary without the second approval recorded in Postgres', async () => {
    const ids = [await ghostInstance(nodeA, 'rogue-canary-1'), await ghostInstance(nodeB, 'rogue-canary-2')];
    const r = await rogueRollout({ action: 'restart', instanceIds: ids, canarySize: 1, batchSize: 1, secondApproval: true, maxFailuresPerBatch: 2 });
    try {
      const past = crypto.randomUUID();
      expect(await r.call('prepareRolloutTarget', { index: 1, childJobId: past })).toEqual({
        error: expect.stringMatching(/^refused: target 1 of rollout .* is past the canary, whose second approval is not recorded$/),
      });
      expect(await stack.t.db.select().from(jobs).where(eq(jobs.id, past))).toEqual([]);
      // The canary itself needs only the first approval.
      expect((await r.call('prepareRolloutTarget', { index: 0, childJobId: crypto.randomUUID() })).ok).toMatchObject({ workflowType: 'restartGateway' });
    } finally {
      await r.end();
    }
  }, 240_000);

  it('copies no approval of a person who is no longer active onto a child', async () => {
    const instanceId = await ghostInstance(nodeA, 'rogue-cover');
    const r = await rogueRollout({ action: 'restart', instanceIds: [instanceId], canarySize: 0, batchSize: 1 });
    const admin = eq(users.id, w.actors.admin.userId);
    try {
      await stack.t.db.update(users).set({ active: false }).where(admin);
      const childJobId = crypto.randomUUID();
      expect((await r.call('prepareRolloutTarget', { index: 0, childJobId })).ok).toEqual({
        refused: expect.stringMatching(/the rollout has 0 \(not counted: 1 by people no longer active or allowed\)/),
      });
      expect(await stack.t.db.select().from(jobs).where(eq(jobs.id, childJobId))).toEqual([]);
    } finally {
      await stack.t.db.update(users).set({ active: true }).where(admin);
      await r.end();
    }
  }, 240_000);
});
