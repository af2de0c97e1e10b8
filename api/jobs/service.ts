// The job kernel: any feature starts a tracked run through `startJob`, and people list, read, approve,
// reject, cancel and retry jobs here without this file knowing what a job does (that is its type's
// definition, api/jobs/registry.ts). A job's record in Postgres is kept by its workflow's own activities
// (activities/jobs.ts); these functions record the request, start the run, and read the record.
// Approving, rejecting and cancelling are Temporal Updates on the run, whose validators have the last
// word (phrase, role, expiry, self-approval).
import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowStartOptions } from '@temporalio/client';
import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { JOB_STATES, jobs, organizations, type JobApproval, type JobState, type Role } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import { approveUpdate, cancelUpdate, rejectUpdate } from '../../workflows/approval.ts';
import type { ApprovalTerms } from '../../workflows/job-record.ts';
import { auditTarget, recordActorEvent, recordSuccess } from '../audit/record.ts';
import { APPROVER_ROLES, authorize, can, isMspStaff, type ServiceContext } from '../authz.ts';
import { displayText } from '../display-text.ts';
import { ConflictError, InvalidInputError, NotFoundError, parseInput, UnavailableError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { listScope } from '../list-scope.ts';
import { afterCursor, PageQuery, toPage } from '../pagination.ts';
import { controlPlaneTaskQueue, getTemporalClient } from '../temporal-client.ts';
import { approvalGrantPublicKey } from '../../infra/approval-grant-key.ts';
import { GRANT_DECISIONS } from '../../protocol/approval-grant.ts';
import { issueGrant } from './approval-grant.ts';
import { approvalsNeededOf, approvalsOfRequest, mayDecide } from './approvers.ts';
import { ACTIVE_STATES, selectJobs, toOutput, toOutputs, type JobOutput, type JobRow } from './job-output.ts';
import { jobWorkflowId, type JobTypeDefinition, type JobWorkflow } from './job-type.ts';
import { jobTypeOf } from './registry.ts';
import { runActivities, type ActivitySummary } from './run-history.ts';
import { jobProgress } from './step-progress.ts';
import { stricterApproval, type StricterConfirmation } from '../policy/engine.ts';
import { enforcePolicy } from '../policy/service.ts';

export { JobOutput } from './job-output.ts';

export const ListJobsQuery = PageQuery.extend({
  state: z.enum(JOB_STATES, `state must be one of: ${JOB_STATES.join(', ')}`).optional(),
  organizationId: z.string().uuid('organizationId must be a UUID').optional(),
  nodeId: z.string().uuid('nodeId must be a UUID').optional(),
  type: z
    .string()
    .max(100)
    .regex(/^[a-z][a-z0-9_]*$/, 'type must be a job type such as deploy_openclaw')
    .optional(),
  definitionId: z.string().uuid('definitionId must be a UUID').optional().describe('Only the runs of this workflow definition'),
  scheduleId: z.string().uuid('scheduleId must be a UUID').optional().describe('Only the runs this schedule started'),
});
export const DecisionInput = z.object({ reason: displayText('reason', 500, { trim: true }).optional() });
export const ApproveInput = z.object({ phrase: z.string('phrase is required').min(1, 'phrase is required').max(200, 'phrase is too long') });

const isActive = (state: JobState) => (ACTIVE_STATES as readonly JobState[]).includes(state);
const jobTarget = (j: { id: string; organizationId: string }) => ({ organizationId: j.organizationId, type: 'job', id: j.id });

/** The job as an authorization target: for a company person, whether an approver group the job's policy names holds them. */
async function jobTargetFor(ctx: ServiceContext, job: JobRow['job']) {
  const approver = !isMspStaff(ctx.actor) && job.organizationId === ctx.actor.organizationId && (await mayDecide(ctx.db, ctx.actor, job));
  return { ...jobTarget(job), approver, requester: job.requestedBy === ctx.actor.userId };
}

/**
 * Whether the actor may see the job, by the same rule as reading it but without auditing a refusal: the
 * live feed (api/live/visibility.ts) asks it for every change, and not being told is no probe.
 */
export async function mayViewJob(ctx: ServiceContext, id: string): Promise<boolean> {
  const [job] = await ctx.db.select().from(jobs).where(eq(jobs.id, id)).limit(1);
  return job !== undefined && can(ctx.actor, 'job.view', await jobTargetFor(ctx, job));
}

/** Whether the actor may approve or reject the job, and cancel it (the console shows those forms only then). */
export async function canDecideJob(ctx: ServiceContext, id: string): Promise<{ approve: boolean; cancel: boolean; ownRequest: boolean }> {
  const row = await findVisible(ctx, id);
  const target = await jobTargetFor(ctx, row.job);
  // The run's validator refuses it anyway; the page says why instead of offering a form that cannot work.
  const ownRequest = row.job.approvalPolicy?.forbidSelfApproval === true && target.requester;
  return { approve: can(ctx.actor, 'job.approve', target) && !ownRequest, cancel: can(ctx.actor, 'job.cancel', target), ownRequest };
}

async function findVisible(ctx: ServiceContext, id: string): Promise<JobRow> {
  if (!isUuid(id)) throw new NotFoundError('job');
  const [row] = await selectJobs(ctx).where(eq(jobs.id, id)).limit(1);
  if (!row) throw new NotFoundError('job');
  await authorize(ctx, 'job.view', await jobTargetFor(ctx, row.job));
  return row;
}

/** The job, with its current step's progress while it runs (read from Temporal, ADR 0022). */
export async function getJob(ctx: ServiceContext, id: string): Promise<JobOutput> {
  const row = await findVisible(ctx, id);
  const progress = await jobProgress(ctx.db, row.job);
  return { ...toOutput(row), ...(progress !== undefined ? { progress } : {}) };
}

/** What the job's run did, activity by activity (attempts, timeouts, last outcome), from its Temporal history. */
export async function getJobActivities(ctx: ServiceContext, id: string): Promise<{ history: 'available' | 'gone'; activities: ActivitySummary[] }> {
  const { job } = await findVisible(ctx, id);
  const client = await getTemporalClient().catch(() => null);
  const activities = client && (await runActivities(client, job.workflowId, job.runId));
  if (!activities) throw new UnavailableError("Temporal is not reachable: the run's attempts and timeouts cannot be read right now.");
  return activities === 'gone' ? { history: 'gone', activities: [] } : { history: 'available', activities };
}

export async function listJobs(ctx: ServiceContext, query: unknown) {
  const q = parseInput(ListJobsQuery, query ?? {});
  // A company user lists the jobs they asked for (their workflow runs); whoever sees the organization's jobs, all.
  const ownOnly = ctx.actor.role === 'company_user';
  const organizationId = await listScope(ctx, 'job.view', q.organizationId, ownOnly ? { requester: true } : {});
  const rows = await selectJobs(ctx)
    .where(
      and(
        organizationId ? eq(jobs.organizationId, organizationId) : undefined,
        ownOnly ? eq(jobs.requestedBy, ctx.actor.userId) : undefined,
        q.nodeId ? eq(jobs.nodeId, q.nodeId) : undefined,
        q.state ? eq(jobs.state, q.state) : undefined,
        q.type ? eq(jobs.type, q.type) : undefined,
        q.definitionId ? sql`${jobs.params}->>'definitionId' = ${q.definitionId}` : undefined,
        q.scheduleId ? sql`${jobs.params}->>'scheduleId' = ${q.scheduleId}` : undefined,
        afterCursor(q.cursor, jobs.createdAt, jobs.id, 'desc'),
      ),
    )
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => ({ at: r.job.createdAt.toISOString(), id: r.job.id }));
  return { items: toOutputs(page.items), nextCursor: page.nextCursor };
}

/** Who may approve, by when, and what to type: the same terms for every approval-gated job. */
export async function approvalTerms(ctx: ServiceContext, organizationId: string, phrase: string): Promise<ApprovalTerms> {
  const [org] = await ctx.db.select({ forbidSelfApproval: organizations.forbidSelfApproval }).from(organizations).where(eq(organizations.id, organizationId));
  return {
    requestedBy: { userId: ctx.actor.userId, email: ctx.actor.email, role: ctx.actor.role },
    approvalGrantKey: approvalGrantPublicKey(),
    approvalPhrase: phrase,
    approverRoles: [...APPROVER_ROLES],
    forbidSelfApproval: org?.forbidSelfApproval ?? false,
    approvalTimeoutSeconds: Math.round(loadConfig().APPROVAL_TIMEOUT_HOURS * 3600),
  };
}

export interface JobRequest<W extends JobWorkflow> {
  id: string;
  /** Whose job it is (the instance's organization, which may be a customer hosted on a shared node). */
  organizationId: string;
  /** The node its steps run on, for types that run on a node. */
  node?: { id: string; name: string };
  instanceId?: string | null;
  /** What it acts on, shown with the job and kept for a retry (never a secret). */
  params: Record<string, unknown>;
  /** The phrase to type, for approval-gated types. */
  phrase?: string;
  /** The workflow's input, checked against the type's workflow at compile time. */
  args: Parameters<W>[0];
  retryOf?: string;
  /** A fleet rollout's child: the rollout's job and its target's index (unique: one job per target). */
  rollout?: { jobId: string; targetIndex: number };
  /** A workflow step's confirmation, stricter than the permission's (api/policy/engine.ts stricterApproval). */
  stricter?: StricterConfirmation;
}

/**
 * Asks the policy engine about the type's capability action (ADR 0012): a blocked request is refused here,
 * before the job exists; a confirmation takes the permission's approval policy. Returns the run's input.
 */
async function withPolicy<W extends JobWorkflow>(ctx: ServiceContext, type: JobTypeDefinition<W>, job: JobRequest<W>): Promise<Parameters<W>[0]> {
  if (!type.capability) return job.args;
  // No instance facts: a job operates on an instance, while its attachments narrow what the gateway itself uses.
  const verdict = await enforcePolicy(ctx, {
    organizationId: job.organizationId,
    capabilityKey: type.capability.key,
    action: type.capability.action,
    jobId: job.id,
    ...(job.instanceId ? { on: { type: 'instance', id: job.instanceId } } : {}),
  });
  if (verdict.outcome !== 'needs_confirmation') return job.args;
  const approval = stricterApproval(verdict.approval, job.stricter);
  if (type.approval !== 'required') {
    throw new ConflictError(
      'id',
      `${verdict.sentence} A ${type.label.toLowerCase()} cannot wait for an approval: ask an MSP admin to set the permission's confirmation to "by risk".`,
    );
  }
  const args = job.args as ApprovalTerms;
  return {
    ...args,
    approverRoles: approval.approverRoles,
    approverGroupIds: approval.approverGroupIds,
    approvalsNeeded: approval.approvalsNeeded,
    forbidSelfApproval: args.forbidSelfApproval || approval.forbidSelfApproval,
    // The stricter of the product's setting (APPROVAL_TIMEOUT_HOURS) and the permission's expiry.
    approvalTimeoutSeconds: Math.min(args.approvalTimeoutSeconds, Math.round(approval.expiresInHours * 3600)),
  } as Parameters<W>[0];
}

/**
 * Records the job and its request (audited) without starting its run; returns the run's workflow id and
 * input. startJob starts it at once; a fleet rollout starts it as its own child run (api/fleet/). `covered`
 * gives the approvals already on record that cover the job (a rollout's, checked against the job's terms
 * and organization by the caller), written with the row: the job then waits for no approval of its own.
 */
export async function recordJob<W extends JobWorkflow>(
  ctx: ServiceContext,
  type: JobTypeDefinition<W>,
  job: JobRequest<W>,
  covered?: (terms: Partial<ApprovalTerms>, organizationId: string) => Promise<JobApproval[]>,
): Promise<{ workflowId: string; args: Parameters<W>[0] }> {
  if ((type.runsOn === 'node') !== Boolean(job.node)) throw new Error(`a ${type.type} job ${type.runsOn === 'node' ? 'needs' : 'has no'} node`);
  if ((type.approval === 'required') !== Boolean(job.phrase)) throw new Error(`a ${type.type} job ${type.approval === 'required' ? 'needs' : 'has no'} approval phrase`);
  const workflowId = jobWorkflowId(type.type, job.id);
  const args = await withPolicy(ctx, type, job);
  const terms = args as Partial<ApprovalTerms>;
  const approvals = (await covered?.(terms, job.organizationId)) ?? [];
  await ctx.db.transaction(async (tx) => {
    await tx.insert(jobs).values({
      id: job.id,
      type: type.type,
      organizationId: job.organizationId,
      nodeId: job.node?.id ?? null,
      instanceId: job.instanceId ?? null,
      params: job.params,
      workflowId,
      requestedBy: ctx.actor.userId,
      state: 'preflight',
      step: 'starting',
      approvalPhrase: job.phrase ?? null,
      approvalPolicy: terms.approverRoles
        ? {
            approverRoles: terms.approverRoles as Role[],
            forbidSelfApproval: terms.forbidSelfApproval ?? false,
            approvalsNeeded: terms.approvalsNeeded ?? 1,
            approverGroupIds: terms.approverGroupIds ?? [],
          }
        : null,
      retryOf: job.retryOf ?? null,
      rolloutJobId: job.rollout?.jobId ?? null,
      targetIndex: job.rollout?.targetIndex ?? null,
      approvals,
    });
    await recordSuccess(tx, ctx.actor, 'job.request', auditTarget('job', job), {
      type: type.type,
      ...(job.node ? { nodeId: job.node.id, nodeName: job.node.name } : {}),
      ...(job.retryOf ? { retryOf: job.retryOf } : {}),
      ...job.params,
    });
  });
  return { workflowId, args };
}

/** Records the job and its request (audited), then starts its run; a run Temporal refuses fails the job. */
export async function startJob<W extends JobWorkflow>(ctx: ServiceContext, type: JobTypeDefinition<W>, job: JobRequest<W>): Promise<JobOutput> {
  const { workflowId, args } = await recordJob(ctx, type, job);
  try {
    const client = await getTemporalClient();
    // A job workflow takes one input; TypeScript cannot see that [Parameters<W>[0]] is Parameters<W> for a generic W.
    const options = { taskQueue: controlPlaneTaskQueue(), workflowId, args: [args] } as unknown as WorkflowStartOptions<W>;
    const handle = await client.workflow.start(type.workflow, options);
    await ctx.db.update(jobs).set({ runId: handle.firstExecutionRunId }).where(eq(jobs.id, job.id));
  } catch (err) {
    await ctx.db
      .update(jobs)
      .set({ state: 'failed', step: null, failureReason: `Temporal did not accept the run: ${(err as Error).message}`, completedAt: new Date() })
      .where(eq(jobs.id, job.id));
    throw new UnavailableError('The job could not be started: Temporal is not reachable. Try again shortly.');
  }
  return getJob(ctx, job.id);
}

type Decision = 'approve' | 'reject' | 'cancel';

async function decide(ctx: ServiceContext, id: string, decision: Decision, args: { phrase?: string; reason?: string }): Promise<JobOutput> {
  const row = await findVisible(ctx, id);
  await authorize(ctx, decision === 'cancel' ? 'job.cancel' : 'job.approve', await jobTargetFor(ctx, row.job));
  if (!isActive(row.job.state)) throw new ConflictError('id', `This job is ${row.job.state.replaceAll('_', ' ')}: there is nothing to ${decision}.`);
  if (decision !== 'cancel' && row.job.state !== 'waiting_for_approval') throw new ConflictError('id', 'This job is not waiting for an approval.');
  if (row.job.state === 'running') throw new ConflictError('id', 'This job is already changing the machine: it cannot be cancelled halfway. Wait for it to finish.');
  const client = await getTemporalClient().catch(() => {
    throw new UnavailableError('Temporal is not reachable. Try again shortly.');
  });
  const handle = client.workflow.getHandle(row.job.workflowId);
  if (row.job.state === 'preflight') {
    // Before the approval wait there is no handler yet: cancel the run itself (it records 'cancelled').
    await handle.cancel().catch((err: unknown) => {
      throw temporalRefusal(err);
    });
    await recordActorEvent(ctx.db, ctx.actor, 'job.cancel', auditTarget('job', row.job), { outcome: 'success', reason: args.reason ?? null });
    return waitForState(ctx, id, (s) => !isActive(s));
  }
  try {
    const grant = issueGrant(ctx, row.job, decision, args);
    await handle.executeUpdate({ approve: approveUpdate, reject: rejectUpdate, cancel: cancelUpdate }[decision], { args: [{ grant }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const message = err.cause?.message ?? err.message;
      // The validator refused: nothing was recorded in the run. Say why, on the field it concerns.
      if (decision === 'approve' && /phrase/i.test(message)) throw new InvalidInputError({ phrase: message }, message);
      throw new ConflictError('id', message);
    }
    throw temporalRefusal(err);
  }
  // An approval that is not yet the last one needed leaves the job waiting: done once it is on record.
  // The last one moves the job on: done once it has left the wait.
  const before = approvalsOfRequest(row.job.approvals, row.job.step).length;
  const needed = approvalsNeededOf(row.job.approvalPolicy);
  return waitForState(ctx, id, (s, j) => {
    const given = approvalsOfRequest(j.approvals, j.step).length;
    return s !== 'waiting_for_approval' || (decision === 'approve' && given > before && given < needed);
  });
}

/** A decision Temporal could not deliver: the run is gone (the record is behind it), or Temporal is down. */
function temporalRefusal(err: unknown): unknown {
  if (err instanceof WorkflowNotFoundError) return new ConflictError('id', 'This job’s run is no longer running in Temporal: there is nothing to decide.');
  if (err instanceof ServiceError) return new UnavailableError('Temporal did not take the decision: it is not reachable. Try again shortly.');
  return err;
}

/** The workflow records a decision in its own step: wait briefly, so the answer already shows it. */
async function waitForState(ctx: ServiceContext, id: string, done: (state: JobState, job: JobRow['job']) => boolean): Promise<JobOutput> {
  for (let i = 0; i < 30; i++) {
    const now = await findVisible(ctx, id);
    if (done(now.job.state, now.job)) return toOutput(now);
    await new Promise((r) => setTimeout(r, 100));
  }
  return getJob(ctx, id);
}

export const approveJob = (ctx: ServiceContext, id: string, input: unknown) => decide(ctx, id, 'approve', parseInput(ApproveInput, input ?? {}));
export const rejectJob = (ctx: ServiceContext, id: string, input: unknown) => decide(ctx, id, 'reject', parseInput(DecisionInput, input ?? {}));
export const cancelJob = (ctx: ServiceContext, id: string, input: unknown) => decide(ctx, id, 'cancel', parseInput(DecisionInput, input ?? {}));

export const GrantRequest = z.object({
  decision: z.enum(GRANT_DECISIONS, `decision must be one of: ${GRANT_DECISIONS.join(', ')}`).default('approve'),
  phrase: z.string().max(200, 'phrase is too long').optional(),
  reason: z.string().trim().max(500, 'reason must be at most 500 characters').optional(),
});
export const GrantOutput = z.object({
  grant: z.record(z.string(), z.unknown()).describe('The signed approval grant: paste it, as is, into the signal or Update'),
  workflowId: z.string(),
  expiresAt: z.string(),
  command: z.string().describe('The temporal CLI command that sends it'),
});

/**
 * A grant for the engineer's `temporal` CLI: the same proof the console puts in its own Update, for the
 * signed-in person, this job's run and this decision, good for minutes and once. The phrase is checked
 * here first, so a typo is said at once.
 */
export async function requestApprovalGrant(ctx: ServiceContext, id: string, input: unknown): Promise<z.infer<typeof GrantOutput>> {
  const row = await findVisible(ctx, id);
  const q = parseInput(GrantRequest, input ?? {});
  await authorize(ctx, q.decision === 'cancel' ? 'job.cancel' : 'job.approve', await jobTargetFor(ctx, row.job));
  if (row.job.state !== 'waiting_for_approval') throw new ConflictError('id', `This job is ${row.job.state.replaceAll('_', ' ')}: it is not waiting for a decision.`);
  if (q.decision === 'approve' && q.phrase !== row.job.approvalPhrase) {
    throw new InvalidInputError({ phrase: `The phrase does not match: type exactly "${row.job.approvalPhrase}".` });
  }
  const grant = issueGrant(ctx, row.job, q.decision, q);
  const json = JSON.stringify({ grant }).replaceAll("'", "'\\''");
  const command =
    q.decision === 'approve'
      ? `temporal workflow signal --workflow-id ${row.job.workflowId} --name approve --input '${json}'`
      : `temporal workflow update execute --workflow-id ${row.job.workflowId} --name ${q.decision} --input '${json}'`;
  await recordSuccess(ctx.db, ctx.actor, 'job.grant', auditTarget('job', row.job), { decision: q.decision, nonce: grant.nonce });
  return { grant: grant as unknown as Record<string, unknown>, workflowId: row.job.workflowId, expiresAt: grant.notAfter, command };
}

/**
 * Tries a failed or expired job again, where its type says that is safe (read-only or idempotent work):
 * a new job with the same parameters, linked to the first, asking for its approval again. The feature's
 * own request runs again, so every check it makes (permissions, the instance's state, clashes) is made
 * again too. Never a silent re-run of the old one.
 */
export async function retryJob(ctx: ServiceContext, id: string): Promise<JobOutput> {
  const row = await findVisible(ctx, id);
  await authorize(ctx, 'job.retry', jobTarget(row.job));
  const job = toOutput(row);
  const definition = jobTypeOf(job.type);
  if (!job.retry.allowed || !definition?.retry.safe) throw new ConflictError('id', job.retry.why ?? 'This job cannot be retried.');
  const again = await definition.retry.again(ctx, job, { retryOf: job.id });
  await recordSuccess(ctx.db, ctx.actor, 'job.retry', auditTarget('job', job), { type: job.type, newJobId: again.id });
  return again;
}
