// A rogue worker on the control-plane queue, running as a real job's run (it polled that run's workflow
// task, so the activities it schedules carry the job's own workflow id and run id: ADR 0010's second
// attacker), against the real control-plane worker and a real database. It gets no node step signed
// without the job's current request approved by as many distinct people as it needs (none rejecting),
// cannot move a waiting job on or a finished one back, and gets no parameters signed that name another
// instance, job, version, container or volume than the job's records do.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { and, eq } from 'drizzle-orm';
import { auditEvents, instances, jobs, nodes, type JobApproval, type JobState } from '../../db/schema.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import type { NodeActionName } from '../../protocol/node-actions.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { rogueAsJobRun, type RogueAnswer, type RogueCall } from '../jest/rogue-workflows.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);
const ROGUE_QUEUE = `rogue-${crypto.randomUUID()}`;

let stack: AgentStack;
let client: Client;
let rogue: Worker;
let rogueRunning: Promise<void>;
let nodeId: string;
/** The job's instance, and another one on the same node. */
const mine = { gatewayId: 'a'.repeat(64), cliId: 'b'.repeat(64), port: 18789 };
const theirs = { gatewayId: 'c'.repeat(64), cliId: 'd'.repeat(64), port: 18790 };
let mineId: string;
let theirsId: string;

beforeAll(async () => {
  stack = await startAgentStack('rogue-approval', {}, { web: false });
  client = stack.controlPlane.client;
  const { t, w } = stack;
  nodeId = (await t.db.insert(nodes).values({ organizationId: w.msp.id, name: 'edge', agentPublicKey: generateKeyPair().publicKey }).returning())[0]!.id;
  const instance = async (name: string, ref: typeof mine) =>
    (
      await t.db
        .insert(instances)
        .values({ organizationId: w.msp.id, nodeId, name, state: 'managed', containerIds: [ref.gatewayId, ref.cliId], port: ref.port, bundleVersion: '2026.9.6' })
        .returning()
    )[0]!.id;
  mineId = await instance('mine', mine);
  theirsId = await instance('theirs', theirs);
  // The rogue has the payload key here: what is at stake is what the control plane does, not what the rogue can read.
  rogue = await Worker.create({
    connection: await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
    taskQueue: ROGUE_QUEUE,
    workflowsPath: fileURLToPath(new URL('../jest/rogue-workflows.ts', import.meta.url)),
    dataConverter: { payloadCodecs: [stack.controlPlane.codec] },
  });
  rogueRunning = rogue.run();
}, 120_000);

afterAll(async () => {
  rogue?.shutdown();
  await rogueRunning;
  await stack?.stop();
});

const approved = (userId: string, by: string, request = 'approval', outcome: JobApproval['outcome'] = 'approved'): JobApproval => ({
  at: new Date().toISOString(),
  by,
  role: 'msp_admin',
  via: 'console',
  outcome,
  userId,
  nonce: crypto.randomUUID(),
  request,
});
const byAdmin = (request?: string, outcome?: JobApproval['outcome']) => approved(stack.w.actors.admin.userId, stack.w.actors.admin.email, request, outcome);
const byOperator = (request?: string, outcome?: JobApproval['outcome']) => approved(stack.w.actors.operator.userId, stack.w.actors.operator.email, request, outcome);

/** A job row of `type` on the node and instance, as its run and the approvals' checks left it. */
async function jobRow(values: {
  type?: string;
  state: JobState;
  step: string | null;
  approvals?: JobApproval[];
  needed?: number;
  instanceId?: string;
  params?: Record<string, unknown>;
}) {
  const type = values.type ?? 'restart_gateway';
  const [row] = await stack.t.db
    .insert(jobs)
    .values({
      type,
      organizationId: stack.w.msp.id,
      nodeId,
      instanceId: values.instanceId ?? mineId,
      params: values.params ?? { instanceName: 'mine' },
      workflowId: `${type.replaceAll('_', '-')}-${crypto.randomUUID()}`,
      state: values.state,
      step: values.step,
      approvalPhrase: 'restart mine on edge',
      approvalExpiresAt: new Date(Date.now() + 3_600_000),
      approvals: values.approvals ?? [],
      approvalPolicy: { approverRoles: ['msp_admin', 'msp_operator'], approverGroupIds: [], approvalsNeeded: values.needed ?? 1, forbidSelfApproval: false },
    })
    .returning();
  return row!;
}
type Job = Awaited<ReturnType<typeof jobRow>>;

/** The rogue's calls made as the job's own run (its run id is what the job's row records). */
async function asRun(job: Job, calls: RogueCall[]): Promise<RogueAnswer[]> {
  const handle = await client.workflow.start(rogueAsJobRun, { taskQueue: ROGUE_QUEUE, workflowId: job.workflowId, args: [{ controlPlaneQueue: QUEUE, calls }] });
  await stack.t.db.update(jobs).set({ runId: handle.firstExecutionRunId }).where(eq(jobs.id, job.id));
  return handle.result();
}

const sign = (action: NodeActionName, params: Record<string, unknown>): RogueCall => ({
  signNodeJob: { nodeId, envelopeId: crypto.randomUUID(), action, params: params as never, ttlSeconds: 60 },
});
const restart = (ref: Partial<typeof mine> = {}) => sign('openclaw.restart', { ...mine, ...ref, timeoutSeconds: 60 });
const move = (jobId: string, state: JobState, step: string | null = 'restart'): RogueCall => ({ updateJob: { jobId, state, step } });
const rowOf = async (job: Job) => (await stack.t.db.select().from(jobs).where(eq(jobs.id, job.id)))[0]!;
const refused = (pattern: RegExp) => ({ ok: false, message: expect.stringMatching(pattern) });
const signed = (job: Job) => ({ ok: true, value: expect.objectContaining({ jobId: job.id, nodeId }) });

describe("a rogue worker running as a job's run", () => {
  it('gets no node step signed with 1 of the 2 approvals its request needs', async () => {
    const job = await jobRow({ state: 'waiting_for_approval', step: 'approval', needed: 2, approvals: [byAdmin()] });
    expect(await asRun(job, [move(job.id, 'running'), restart()])).toEqual([
      refused(/^refused: job [0-9a-f-]+ waits for a decision on "approval" \(1 of 2 approvals\): it is not running until people decide$/),
      refused(/^refused: nothing signed: job [0-9a-f-]+ is waiting for approval$/),
    ]);
    expect(await rowOf(job)).toMatchObject({ state: 'waiting_for_approval', step: 'approval' });
    // Running all the same (however it got there), it still gets nothing signed: the approvals are counted again.
    const running = await jobRow({ state: 'running', step: 'restart', needed: 2, approvals: [byAdmin(), byAdmin()] });
    expect(await asRun(running, [restart()])).toEqual([
      refused(/^refused: nothing signed: openclaw.restart changes the machine and job [0-9a-f-]+'s request "approval" is not approved \(1 of 2 distinct approvals, or rejected\)$/),
    ]);
    // With the second person's approval on record it is signed: what was missing was the approval.
    const both = await jobRow({ state: 'running', step: 'restart', needed: 2, approvals: [byAdmin(), byOperator()] });
    expect(await asRun(both, [restart()])).toEqual([signed(both)]);
    const denied = await stack.t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, running.id), eq(auditEvents.outcome, 'denied')));
    expect(denied.map((e) => e.action)).toEqual(['node.job.openclaw.restart']);
  }, 60_000);

  it('gets no node step signed with the approvals of a rejected request, or of an earlier one a later request superseded', async () => {
    // Approved by one, rejected by another: the job may not go on, and is not signed for even if it did.
    const rejected = await jobRow({ state: 'waiting_for_approval', step: 'approval', approvals: [byAdmin(), byOperator('approval', 'rejected')] });
    expect(await asRun(rejected, [move(rejected.id, 'running'), restart()])).toEqual([
      refused(/^refused: job [0-9a-f-]+'s request "approval" was rejected or cancelled: it ends, it is not running$/),
      refused(/is waiting for approval$/),
    ]);
    await stack.t.db.update(jobs).set({ state: 'running', step: 'restart' }).where(eq(jobs.id, rejected.id));
    expect(await asRun(rejected, [restart()])).toEqual([refused(/request "approval" is not approved \(1 of 1 distinct approvals, or rejected\)$/)]);
    // A request approved, then a later one rejected: the earlier approvals no longer count.
    const later = await jobRow({ state: 'running', step: 'restart', approvals: [byAdmin(), byOperator('second approval', 'rejected')] });
    expect(await asRun(later, [restart()])).toEqual([refused(/request "second approval" is not approved \(0 of 1 distinct approvals, or rejected\)$/)]);
  }, 60_000);

  it('cannot move a waiting job on, change the request it waits on, or move a finished job back', async () => {
    const waiting = await jobRow({ state: 'waiting_for_approval', step: 'approval' });
    expect(
      await asRun(waiting, [
        move(waiting.id, 'completed', null),
        move(waiting.id, 'running'),
        { updateJob: { jobId: waiting.id, step: 'another request' } },
        move(waiting.id, 'preflight'),
      ]),
    ).toEqual([
      refused(/^refused: job [0-9a-f-]+ waits for a decision on "approval" \(0 of 1 approvals\): it is not completed until people decide$/),
      refused(/it is not running until people decide$/),
      refused(/^refused: job [0-9a-f-]+ waits for a decision on "approval": its request does not change$/),
      refused(/it is not preflight until people decide$/),
    ]);
    expect(await rowOf(waiting)).toMatchObject({ state: 'waiting_for_approval', step: 'approval' });
    for (const state of ['completed', 'failed', 'rejected'] as const) {
      const ended = await jobRow({ state, step: null, approvals: [byAdmin()] });
      expect(await asRun(ended, [move(ended.id, 'running'), move(ended.id, 'waiting_for_approval', 'approval')])).toEqual([
        refused(new RegExp(`^refused: job [0-9a-f-]+ is ${state}: a finished job stays finished$`)),
        refused(/a finished job stays finished$/),
      ]);
      expect((await rowOf(ended)).state).toBe(state);
    }
    // The approval on record lets the run go on: what was refused was the move without it.
    const decided = await jobRow({ state: 'waiting_for_approval', step: 'approval', approvals: [byAdmin()] });
    expect(await asRun(decided, [move(decided.id, 'running')])).toEqual([{ ok: true, value: null }]);
    expect(await rowOf(decided)).toMatchObject({ state: 'running', step: 'restart' });
  }, 60_000);

  it("cannot remove an instance's record but as an approved removal", async () => {
    const removed = (job: Job): RogueCall => ({ recordInstanceRemoved: { jobId: job.id, instanceId: mineId, volumesRemoved: [] } });
    const check = await jobRow({ type: 'health_check', state: 'running', step: 'health' });
    expect(await asRun(check, [removed(check)])).toEqual([refused(/^refused: job [0-9a-f-]+ is not an approved removal$/)]);
    const unapproved = await jobRow({ type: 'remove_instance', state: 'running', step: 'remove', needed: 2, approvals: [byAdmin()] });
    expect(await asRun(unapproved, [removed(unapproved)])).toEqual([refused(/is not an approved removal$/)]);
    expect(await stack.t.db.select().from(instances).where(eq(instances.id, mineId))).toHaveLength(1);
  }, 60_000);

  it('gets no parameters signed that name another instance, job, version, container or volume than its records', async () => {
    const restartJob = await jobRow({ state: 'running', step: 'restart', approvals: [byAdmin()] });
    expect(await asRun(restartJob, [restart({ gatewayId: theirs.gatewayId }), restart({ cliId: theirs.cliId }), restart({ port: theirs.port }), restart()])).toEqual([
      refused(/^refused: nothing signed: gatewayId of openclaw.restart is not job [0-9a-f-]+'s/),
      refused(/: cliId of openclaw.restart is not job/),
      refused(/: port of openclaw.restart is not job/),
      signed(restartJob),
    ]);
    const upgrade = await jobRow({ type: 'upgrade_openclaw', state: 'running', step: 'snapshot', approvals: [byAdmin()], params: { instanceName: 'mine', toVersion: '2026.9.6' } });
    const previous = { gatewayId: mine.gatewayId, cliId: mine.cliId };
    const snapshot = (p: Record<string, unknown>) => sign('openclaw.snapshot-state', { instanceId: mineId, jobId: upgrade.id, ...previous, ...p });
    const switchTo = (p: Record<string, unknown>) =>
      sign('openclaw.switch-version', { instanceId: mineId, instanceName: 'mine', port: mine.port, jobId: upgrade.id, toVersion: '2026.9.6', previous, ...p });
    const rollback = (p: Record<string, unknown>) =>
      sign('openclaw.rollback-version', { instanceId: mineId, instanceName: 'mine', jobId: upgrade.id, previous, snapshotVolume: `aw-${mineId}-state-snap-${upgrade.id}`, ...p });
    expect(
      await asRun(upgrade, [
        snapshot({ instanceId: theirsId }),
        snapshot({ jobId: restartJob.id }),
        switchTo({ toVersion: '2026.10.1' }),
        switchTo({ previous: { gatewayId: theirs.gatewayId } }),
        rollback({ snapshotVolume: `aw-${theirsId}-state-snap-${upgrade.id}` }),
        snapshot({}),
        rollback({}),
      ]),
    ).toEqual([
      refused(/: instanceId of openclaw.snapshot-state is not job/),
      refused(/: jobId of openclaw.snapshot-state is not job/),
      refused(/: toVersion of openclaw.switch-version is not job/),
      refused(/: previous.gatewayId of openclaw.switch-version is not job/),
      refused(/: snapshotVolume of openclaw.rollback-version is not job/),
      signed(upgrade),
      signed(upgrade),
    ]);
  }, 60_000);
});
