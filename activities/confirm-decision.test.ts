// The approval that completes a request, checked against a real database as the job's own run (ADR 0032):
// in one call it records the decision, moves the job to `running` at its next step and signs that step's
// envelope, which the node's agent accepts; an approval that does not complete the request moves nothing
// and signs nothing; the same check made again (a local activity run again) answers the same; the same
// grant through another channel is refused as used; a revoked node gets no envelope.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { and, asc, eq } from 'drizzle-orm';
import { issueGrant } from '../api/jobs/approval-grant.ts';
import { approvalGrantSeed } from '../infra/approval-grant-key.ts';
import { signGrant } from '../protocol/approval-grant.ts';
import { auditEvents, instances, jobs, nodes } from '../db/schema.ts';
import { controlPlanePublicKey } from '../infra/control-plane-key.ts';
import { generateKeyPair, keyFingerprint, verifyJob } from '../protocol/envelope.ts';
import { freshDatabase, type TestDatabase } from '../tests/jest/db.ts';
import { insertWaitingJob } from '../tests/jest/waiting-job.ts';
import { seedTenants, type Tenants } from '../tests/jest/tenants.ts';
import type { Confirmation } from '../workflows/approval.ts';
import { createJobActivities, type DecisionCheck } from './jobs.ts';

let t: TestDatabase;
let w: Tenants;
let nodeId: string;
let instanceId: string;
const agent = generateKeyPair();
const phrase = 'restart gw on bench-node';
const params = { gatewayId: 'a'.repeat(64), port: 18789, timeoutSeconds: 60 };

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const [node] = await t.db.insert(nodes).values({ organizationId: w.msp.id, name: 'edge-01', agentPublicKey: agent.publicKey }).returning();
  nodeId = node!.id;
  const [instance] = await t.db
    .insert(instances)
    .values({ organizationId: w.msp.id, nodeId, name: 'gw', state: 'managed', containerIds: [params.gatewayId], port: params.port })
    .returning();
  instanceId = instance!.id;
});
afterAll(() => t.close());

/** A restart job on the node, waiting for `needed` approvals. */
function waitingJob(needed = 1) {
  return insertWaitingJob(t.db, {
    type: 'restart_gateway',
    organizationId: w.msp.id,
    nodeId,
    instanceId,
    approvalPhrase: phrase,
    requestedBy: w.actors.operator.userId,
    approvalPolicy: { approverRoles: ['msp_admin', 'msp_operator'], approverGroupIds: [], approvalsNeeded: needed, forbidSelfApproval: false },
  });
}

type Job = Awaited<ReturnType<typeof waitingJob>>;

/** confirmDecision as the job's own run (a local activity's info names its run as an activity's does). */
const confirm = (job: Job, input: Omit<DecisionCheck, 'jobId'>) =>
  new MockActivityEnvironment({ workflowExecution: { workflowId: job.workflowId, runId: job.runId }, workflowType: 'restartGateway', isLocal: true }).run(
    createJobActivities({ db: t.db }).confirmDecision,
    { jobId: job.id, ...input },
  ) as Promise<Confirmation>;

const advance = () => ({
  step: 'restart',
  dispatch: { nodeId, envelopeId: crypto.randomUUID(), action: 'openclaw.restart' as const, params, ttlSeconds: 300 },
});

const rowOf = async (job: Job) => (await t.db.select().from(jobs).where(eq(jobs.id, job.id)))[0]!;
const auditOf = async (job: Job) =>
  (
    await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetType, 'job'), eq(auditEvents.targetId, job.id)))
      .orderBy(asc(auditEvents.id))
  ).map((e) => e.action);

describe('the approval that completes a request (ADR 0032)', () => {
  it('records it, moves the job to running at its next step and signs the envelope the agent accepts, in one call', async () => {
    const job = await waitingJob();
    const next = advance();
    const verdict = await confirm(job, { grant: issueGrant(w.ctx(w.actors.admin), job, 'approve', { phrase }), via: 'console', advance: next });
    expect(verdict).toMatchObject({ ok: true, by: { email: w.actors.admin.email }, advanced: true });
    const envelope = verdict.ok ? verdict.envelope : undefined;
    expect(envelope).toMatchObject({ envelopeId: next.dispatch.envelopeId, jobId: job.id, nodeId, action: 'openclaw.restart', params });
    expect(verifyJob(envelope, { nodeId, agentKey: keyFingerprint(agent.publicKey), controlPlanePublicKey: controlPlanePublicKey(), alreadyExecuted: () => false })).toEqual({
      ok: true,
    });
    expect(await rowOf(job)).toMatchObject({ state: 'running', step: 'restart' });
    expect(await auditOf(job)).toEqual(['job.approval.approved', 'job.running']);
  });

  it('answers the same when the same check is made again, and refuses the same grant through another channel', async () => {
    const job = await waitingJob();
    const grant = issueGrant(w.ctx(w.actors.admin), job, 'approve', { phrase });
    const next = advance();
    await confirm(job, { grant, via: 'console', advance: next });
    const again = await confirm(job, { grant, via: 'console', advance: next });
    expect(again).toMatchObject({ ok: true, by: { userId: w.actors.admin.userId }, advanced: true, envelope: { envelopeId: next.dispatch.envelopeId } });
    expect(await confirm(job, { grant, via: 'signal', advance: next })).toEqual({ ok: false, reason: 'This approval grant was already used: ask the console for a new one.' });
    // Recorded once.
    expect((await rowOf(job)).approvals).toHaveLength(1);
    expect(await auditOf(job)).toEqual(['job.approval.approved', 'job.running', 'job.decision']);
  });

  it('answers the same when the check is made again after the grant expired (a retried local activity), and only for the same request and phrase', async () => {
    const job = await waitingJob();
    // As the console signs one, but good for a second only.
    const issued = issueGrant(w.ctx(w.actors.admin), job, 'approve', { phrase });
    const { signature: _, ...claims } = issued;
    const grant = signGrant(approvalGrantSeed(), { ...claims, notAfter: new Date(Date.now() + 1000).toISOString() });
    const next = advance();
    expect(await confirm(job, { grant, via: 'console', advance: next })).toMatchObject({ ok: true, advanced: true });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await confirm(job, { grant, via: 'console', advance: next })).toMatchObject({ ok: true, by: { userId: w.actors.admin.userId }, advanced: true });
    // The same nonce for another request of the job (a later one it waits on now) is no repeat: refused as used.
    await t.db.update(jobs).set({ state: 'waiting_for_approval', step: 'second approval' }).where(eq(jobs.id, job.id));
    expect(await confirm(job, { grant, via: 'console' })).toEqual({ ok: false, reason: 'This approval grant was already used: ask the console for a new one.' });
    // Nor for the same request shown with another phrase.
    await t.db.update(jobs).set({ step: 'approval', approvalPhrase: 'another phrase' }).where(eq(jobs.id, job.id));
    expect(await confirm(job, { grant, via: 'console' })).toEqual({ ok: false, reason: 'This approval grant was already used: ask the console for a new one.' });
    expect((await rowOf(job)).approvals).toHaveLength(1);
  });

  it('moves nothing and signs nothing when the approval is not the last one needed', async () => {
    const job = await waitingJob(2);
    const verdict = await confirm(job, { grant: issueGrant(w.ctx(w.actors.admin), job, 'approve', { phrase }), via: 'console', advance: advance() });
    expect(verdict).toEqual({ ok: true, by: expect.objectContaining({ email: w.actors.admin.email }), advanced: false });
    expect(await rowOf(job)).toMatchObject({ state: 'waiting_for_approval', step: 'approval' });
  });

  it('signs nothing for a revoked node: the step is left to sign, and fail, on its own', async () => {
    const job = await waitingJob();
    await t.db.update(nodes).set({ revokedAt: new Date() }).where(eq(nodes.id, nodeId));
    try {
      const verdict = await confirm(job, { grant: issueGrant(w.ctx(w.actors.admin), job, 'approve', { phrase }), via: 'console', advance: advance() });
      expect(verdict).toMatchObject({ ok: true, advanced: true });
      expect(verdict.ok && verdict.envelope).toBeFalsy();
    } finally {
      await t.db.update(nodes).set({ revokedAt: null }).where(eq(nodes.id, nodeId));
    }
  });
});
