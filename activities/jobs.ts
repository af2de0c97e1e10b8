// The console's record of a job, kept by its workflow: state, current step, approvals, failure reason,
// result; and the managed instance a deployment produces. Every state change is audited. Each activity
// is idempotent (a retry after a lost response writes the same thing again, and audits a change once).
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, ne, sql } from 'drizzle-orm';
import { recordAudit, recordAudits, type AuditInput } from '../db/audit.ts';
import type { Db, Executor } from '../db/client.ts';
import { asCallingRun, CallerRefused, jobOfCallingRun, logJobState, type JobRecord } from './calling-run.ts';
import { instances, jobs, organizations, users, type JobApproval, type JobState } from '../db/schema.ts';
import { MSP_ROLES } from '../api/authz.ts';
import { approvalsNeededOf, approvalsOfRequest, currentRequest, mayDecide, requestApproved, requestRefused } from '../api/jobs/approvers.ts';
import { jobTypeOf } from '../api/jobs/registry.ts';
import { approvalGrantPublicKey, verifyGrantSignature } from '../infra/approval-grant-key.ts';
import { grantProblem, type ApprovalGrant } from '../protocol/approval-grant.ts';
import type { Confirmation } from '../workflows/approval.ts';
import { signNodeJob, type SignNodeJobInput } from './node-jobs.ts';

const TERMINAL: JobState[] = ['completed', 'failed', 'expired', 'cancelled', 'rejected'];

/** The job types whose runs make an instance managed (api/instances/job-types.ts). */
const MANAGING_JOB_TYPES = ['deploy_openclaw', 'adopt_openclaw'];

/** A run's own word may end its job without success (it can fail itself anyway); never more. */
const ENDINGS: JobState[] = ['failed', 'expired', 'cancelled', 'rejected'];

/** Clocks of two workers may differ: an expiry the run's timer saw is believed this much early. */
const EXPIRY_SLACK_MS = 60_000;

/**
 * Why a run may not make this change of its job's record, from what Postgres holds (ADR 0010: a rogue
 * worker on the control-plane queue can ask anything as a real run). A finished job stays finished. A job
 * waiting for a decision keeps its request (step, phrase, expiry) and leaves the wait to `running` only
 * once the request is approved on record by as many distinct people as it needs (the approval that
 * completes it usually moves the job itself, confirmDecision), or, for a job with no node steps (a
 * workflow run), once a person refused it or it expired. Never straight to `completed`.
 */
function changeProblem(job: JobRecord, input: JobUpdate, now: Date): string | undefined {
  const to = input.state;
  const state = job.state.replaceAll('_', ' ');
  if (TERMINAL.includes(job.state)) return to && to !== job.state ? `job ${job.id} is ${state}: a finished job stays finished` : undefined;
  if (job.state !== 'waiting_for_approval') return undefined;
  if (!to || to === 'waiting_for_approval') {
    const expires = input.approvalExpiresAt ? new Date(input.approvalExpiresAt).getTime() : undefined;
    if (input.step !== undefined && input.step !== job.step) return `job ${job.id} waits for a decision on "${job.step}": its request does not change`;
    if (input.approvalPhrase && input.approvalPhrase !== job.approvalPhrase) return `job ${job.id} waits for a decision: its phrase does not change`;
    if (expires !== undefined && expires !== job.approvalExpiresAt?.getTime()) return `job ${job.id} waits for a decision: its expiry does not change`;
    return undefined;
  }
  if (ENDINGS.includes(to)) return undefined;
  if (to === 'running' && requestApproved(job)) return undefined;
  // A workflow run's step goes on (to skip, or to end the run) after its confirmation was refused or expired; a node job ends instead.
  const expired = job.approvalExpiresAt !== null && job.approvalExpiresAt.getTime() - EXPIRY_SLACK_MS <= now.getTime();
  if (to === 'running' && !jobTypeOf(job.type)?.nodeActions?.length && (requestRefused(job) || expired)) return undefined;
  const request = currentRequest(job);
  if (requestRefused(job)) return `job ${job.id}'s request "${request}" was rejected or cancelled: it ends, it is not ${to.replaceAll('_', ' ')}`;
  return `job ${job.id} waits for a decision on "${request}" (${approvalsOfRequest(job.approvals, request).length} of ${approvalsNeededOf(job.approvalPolicy)} approvals): it is not ${to.replaceAll('_', ' ')} until people decide`;
}

/** A decision to check (confirmDecision). */
export interface DecisionCheck {
  jobId: string;
  grant: ApprovalGrant;
  via: 'console' | 'signal';
  /**
   * Where an approval that completes the request takes the job: its next step (the job is then
   * `running` there) and, when that step runs on a node, its envelope to sign (ADR 0032).
   */
  advance?: { step: string; dispatch?: SignNodeJobInput };
}

export interface JobUpdate {
  jobId: string;
  state?: JobState;
  step?: string | null;
  approvalPhrase?: string;
  approvalExpiresAt?: string;
  failureReason?: string;
  result?: Record<string, unknown>;
  /** Appended once (the same `at` and `by` twice is one entry). */
  approval?: JobApproval;
}

/** The calling run's job (activities/calling-run.ts), which must act on `instanceId`. */
export async function jobOnItsInstance(tx: Executor, input: { jobId: string; instanceId: string }): Promise<JobRecord> {
  const job = await jobOfCallingRun(tx, input.jobId);
  if (job.instanceId !== input.instanceId) throw ApplicationFailure.nonRetryable(`job ${job.id} does not act on instance ${input.instanceId}`, 'NotThisJobsInstance');
  return job;
}

/** The job's own run as the audit event's actor, in the job's organization. */
export const jobAsActor = (job: Pick<JobRecord, 'workflowId' | 'type' | 'organizationId'>) => ({
  actorType: 'workflow' as const,
  actorId: job.workflowId,
  actorLabel: `job ${job.type}`,
  organizationId: job.organizationId,
});

/** An instance event, told as the job's workflow did it. */
export const auditInstance = (tx: Executor, job: JobRecord, action: string, outcome: 'success' | 'failure', details: Record<string, unknown>) =>
  recordAudit(tx, {
    ...jobAsActor(job),
    action,
    targetType: 'instance',
    targetId: job.instanceId,
    outcome,
    details,
  });

/** A job's change of state as an audit event. */
const stateChangeAudit = (job: JobRecord, state: JobState, step: string | null, reason?: string): AuditInput => ({
  ...jobAsActor(job),
  targetType: 'job',
  targetId: job.id,
  action: `job.${state}`,
  outcome: state === 'failed' ? 'failure' : 'success',
  reason: reason ?? null,
  details: { type: job.type, from: job.state, step, nodeId: job.nodeId },
});

/** A job's change of state, in the worker's log and the audit trail. */
async function auditStateChange(tx: Executor, job: JobRecord, state: JobState, step: string | null, reason?: string): Promise<void> {
  logJobState(job, state, step);
  await recordAudit(tx, stateChangeAudit(job, state, step, reason));
}

export function createJobActivities(deps: { db: Db }) {
  return {
    async updateJob(input: JobUpdate): Promise<void> {
      await asCallingRun(deps.db, 'job.update', async (tx) => {
        const job = await jobOfCallingRun(tx, input.jobId);
        // Decisions are recorded only by confirmDecision, after their grant was checked.
        if (input.approval && input.approval.outcome !== 'ignored')
          throw ApplicationFailure.nonRetryable('a decision is recorded only once its grant is checked (confirmDecision)', 'NotADecision');
        const now = new Date();
        const problem = changeProblem(job, input, now);
        if (problem) throw new CallerRefused(job, problem, 'NotThisJobsChange');
        const approvals =
          input.approval && !job.approvals.some((a) => a.at === input.approval!.at && a.by === input.approval!.by) ? [...job.approvals, input.approval] : job.approvals;
        await tx
          .update(jobs)
          .set({
            ...(input.state ? { state: input.state } : {}),
            ...(input.step !== undefined ? { step: input.step } : {}),
            ...(input.approvalPhrase ? { approvalPhrase: input.approvalPhrase } : {}),
            ...(input.approvalExpiresAt ? { approvalExpiresAt: new Date(input.approvalExpiresAt) } : {}),
            ...(input.state === 'waiting_for_approval' && job.state !== 'waiting_for_approval' ? { approvalRequestedAt: now } : {}),
            ...(input.failureReason ? { failureReason: input.failureReason } : {}),
            ...(input.result ? { result: input.result } : {}),
            approvals,
            updatedAt: now,
            ...(input.state && TERMINAL.includes(input.state) ? { completedAt: job.completedAt ?? now } : {}),
          })
          .where(eq(jobs.id, job.id));
        const target = { organizationId: job.organizationId, targetType: 'job', targetId: job.id };
        if (input.state && input.state !== job.state) await auditStateChange(tx, job, input.state, input.step ?? job.step, input.failureReason);
        if (approvals !== job.approvals && input.approval) {
          const a = input.approval;
          await recordAudit(tx, {
            actorType: 'workflow',
            actorId: job.workflowId,
            actorLabel: `${a.by} (${a.role}) via ${a.via}`,
            ...target,
            action: `job.approval.${a.outcome}`,
            outcome: a.outcome === 'ignored' ? 'denied' : 'success',
            reason: a.reason ?? null,
            details: { type: job.type, by: a.by, role: a.role, via: a.via },
          });
        }
      });
    },

    /**
     * Checks a decision's grant against Postgres and records it on the job (ADR 0010): the grant signed by
     * the web process for this job's run and unused; the job waiting for a decision; the person active,
     * of a role that may make it (approvers; for a cancel, the requester too), of the MSP or the job's
     * organization, and not approving their own request where the organization forbids it now. The
     * identity recorded is the person's in Postgres, not the grant's claim. With `advance`, the approval
     * that completes the request also makes the job `running` at its next step and signs that step's
     * envelope: one call between the approval and the node's work (ADR 0032).
     */
    async confirmDecision(input: DecisionCheck): Promise<Confirmation> {
      const decision = input.grant?.decision;
      const confirmed = await asCallingRun(deps.db, 'job.decision', async (tx): Promise<Confirmation> => {
        const job = await jobOfCallingRun(tx, input.jobId);
        const refuse = async (reason: string): Promise<Confirmation> => {
          await recordAudit(tx, {
            actorType: 'workflow',
            actorId: job.workflowId,
            actorLabel: `decision via ${input.via}`,
            organizationId: job.organizationId,
            action: 'job.decision',
            targetType: 'job',
            targetId: job.id,
            outcome: 'denied',
            reason,
            details: { type: job.type, decision: String(decision), claimedBy: String(input.grant?.email ?? '').slice(0, 200) },
          });
          return { ok: false, reason };
        };
        const expect = { publicKey: approvalGrantPublicKey(), workflowId: job.workflowId, decision, verify: verifyGrantSignature };
        // Signed by the console for this run and decision, at whatever time: a check made again answers as the first did.
        const forged = grantProblem(input.grant, { ...expect, now: Date.parse(String(input.grant?.issuedAt)) });
        if (forged) return refuse(forged);
        const grant = input.grant;
        if (grant.jobId !== job.id) return refuse('The approval grant is for another job.');
        const outcome = ({ approve: 'approved', reject: 'rejected', cancel: 'cancelled' } as const)[decision];
        const used = job.approvals.find((a) => a.nonce === grant.nonce);
        // This very check made before, by this run, for this person, on this request and phrase (a local activity runs again
        // when its workflow task is retried, perhaps after the grant's minutes): the same answer.
        const repeat =
          used?.userId === grant.userId &&
          used.outcome === outcome &&
          used.via === input.via &&
          (used.request ?? 'approval') === currentRequest(job) &&
          (decision !== 'approve' || grant.phrase === job.approvalPhrase);
        if (repeat) {
          return {
            ok: true,
            by: { userId: used.userId!, email: used.by, role: used.role },
            advanced: Boolean(input.advance && job.state === 'running' && job.step === input.advance.step),
          };
        }
        if (used) return refuse('This approval grant was already used: ask the console for a new one.');
        const late = grantProblem(grant, { ...expect, now: Date.now() });
        if (late) return refuse(late);
        if (job.state !== 'waiting_for_approval' && !(decision === 'cancel' && job.state === 'preflight'))
          return refuse(`This job is ${job.state.replaceAll('_', ' ')}: it is not waiting for a decision.`);
        // The person, and whether the job's organization forbids approving one's own request, in one query.
        const [found] = await tx
          .select({ person: users, forbidSelfApproval: organizations.forbidSelfApproval })
          .from(users)
          .leftJoin(organizations, eq(organizations.id, job.organizationId))
          .where(eq(users.id, grant.userId));
        const person = found?.person;
        if (!person?.active) return refuse('The person in the approval grant is not an active user.');
        if (!MSP_ROLES.includes(person.role) && person.organizationId !== job.organizationId) return refuse('The person in the approval grant may not see this job.');
        const isRequester = person.id === job.requestedBy;
        // The roles and groups the job was asked with (its permission's approval policy); membership read now.
        const approver = await mayDecide(tx, { userId: person.id, role: person.role }, job);
        const request = job.step ?? 'approval';
        if (decision === 'approve' || decision === 'reject') {
          if (!approver) return refuse(`A ${person.role.replace('_', ' ')} may not ${decision} this.`);
        } else if (!approver && !isRequester) return refuse(`A ${person.role.replace('_', ' ')} may not cancel this.`);
        if (decision === 'approve') {
          if (grant.phrase !== job.approvalPhrase) return refuse(`The phrase does not match: type exactly "${job.approvalPhrase}".`);
          if (found?.forbidSelfApproval && isRequester) return refuse('This organization does not let the requester approve their own request.');
          if (job.approvalPolicy?.forbidSelfApproval && isRequester) return refuse('This permission does not let the requester approve their own request.');
          if (approvalsOfRequest(job.approvals, request).some((a) => a.userId === person.id))
            return refuse(`${person.email} already approved this; it needs ${approvalsNeededOf(job.approvalPolicy)} approvals by different people.`);
        }
        const entry: JobApproval = {
          at: new Date().toISOString(),
          by: person.email,
          role: person.role,
          via: input.via,
          outcome,
          userId: person.id,
          nonce: grant.nonce,
          request,
          ...(grant.reason ? { reason: grant.reason } : {}),
        };
        const approvals = [...job.approvals, entry];
        // The approval that completes the request moves the job on to its next step in the same transaction.
        const advanced = Boolean(input.advance) && outcome === 'approved' && requestApproved({ ...job, approvals });
        await tx
          .update(jobs)
          .set({ approvals, updatedAt: new Date(), ...(advanced ? { state: 'running' as const, step: input.advance!.step } : {}) })
          .where(eq(jobs.id, job.id));
        // The decision and the change of state it makes, chained in one insert.
        const decided: AuditInput = {
          actorType: 'person',
          actorId: person.id,
          actorLabel: `${person.email} via ${input.via}`,
          organizationId: job.organizationId,
          action: `job.approval.${outcome}`,
          targetType: 'job',
          targetId: job.id,
          outcome: 'success',
          reason: grant.reason,
          details: {
            type: job.type,
            role: person.role,
            via: input.via,
            request,
            ...(outcome === 'approved' ? { approvals: approvalsOfRequest(job.approvals, request).length + 1, needed: approvalsNeededOf(job.approvalPolicy) } : {}),
          },
        };
        if (advanced) logJobState(job, 'running', input.advance!.step);
        await recordAudits(tx, advanced ? [decided, stateChangeAudit(job, 'running', input.advance!.step)] : [decided]);
        return { ok: true, by: { userId: person.id, email: person.email, role: person.role }, advanced };
      });
      if (!confirmed.ok || !confirmed.advanced || !input.advance?.dispatch) return confirmed;
      // The next node step's envelope, signed with every check signNodeJob makes (the approval is on record
      // now). Any refusal is left to the step itself: it then signs through signNodeJob and fails there with its reason.
      const envelope = await signNodeJob(deps.db, input.advance.dispatch).catch(() => undefined);
      return envelope ? { ...confirmed, envelope } : confirmed;
    },

    /** The instance's latest health, as a job measured it (audited). */
    async recordInstanceHealth(input: { jobId: string; instanceId: string; health: Record<string, unknown> }): Promise<void> {
      await asCallingRun(deps.db, 'instance.health', async (tx) => {
        const job = await jobOnItsInstance(tx, input);
        await tx.update(instances).set({ health: input.health, updatedAt: new Date() }).where(eq(instances.id, input.instanceId));
        await auditInstance(tx, job, 'instance.health', input.health.healthy ? 'success' : 'failure', { jobId: job.id, healthy: Boolean(input.health.healthy) });
      });
    },

    /** The instance is gone from its node: its record goes too (the jobs that acted on it stay). Only an approved removal's run says so. */
    async recordInstanceRemoved(input: { jobId: string; instanceId: string; volumesRemoved: string[] }): Promise<void> {
      await asCallingRun(deps.db, 'instance.removed', async (tx) => {
        const job = await jobOnItsInstance(tx, input);
        if (job.type !== 'remove_instance' || !requestApproved(job)) throw new CallerRefused(job, `job ${job.id} is not an approved removal`, 'NotAnApprovedRemoval');
        const [gone] = await tx.delete(instances).where(eq(instances.id, input.instanceId)).returning({ name: instances.name });
        if (gone) {
          await auditInstance(tx, job, 'instance.removed', 'success', { name: gone.name, jobId: job.id, volumesRemoved: input.volumesRemoved });
        }
      });
    },

    /** The deployed (or adopted) instance as managed, with its containers, version, port and health. */
    async recordManagedInstance(input: {
      jobId: string;
      instanceId: string;
      name: string;
      containerIds: string[];
      bundleVersion: string;
      port: number;
      health: Record<string, unknown>;
    }): Promise<void> {
      await asCallingRun(deps.db, 'instance.managed', async (tx) => {
        const job = await jobOnItsInstance(tx, input);
        // Only an approved deployment's or takeover's run records the instance it made managed.
        if (!MANAGING_JOB_TYPES.includes(job.type) || !requestApproved(job))
          throw new CallerRefused(job, `job ${job.id} is not an approved deployment or takeover`, 'NotAnApprovedDeployment');
        if (!job.nodeId) throw ApplicationFailure.nonRetryable(`job ${input.jobId} runs on no node: it cannot record an instance`, 'NotANodeJob');
        const nodeId = job.nodeId;
        const now = new Date();
        const values = {
          state: 'managed' as const,
          containerIds: input.containerIds,
          bundleVersion: input.bundleVersion,
          port: input.port,
          health: input.health,
          reasons: [],
          confidence: null,
          updatedAt: now,
        };
        // The name the console asked for, not one a workflow brings.
        const name = typeof job.params.instanceName === 'string' ? job.params.instanceName : input.name;
        await tx
          .insert(instances)
          .values({ id: input.instanceId, organizationId: job.organizationId, nodeId, name, managedSince: now, ...values })
          .onConflictDoUpdate({ target: instances.id, set: values });
        await auditInstance(tx, job, 'instance.managed', 'success', {
          name,
          nodeId: job.nodeId,
          jobId: job.id,
          containers: input.containerIds.length,
          version: input.bundleVersion,
          port: input.port,
        });
        // A discovered record of the same containers would now be a duplicate.
        await tx.delete(instances).where(
          and(
            eq(instances.nodeId, nodeId),
            eq(instances.state, 'discovered'),
            ne(instances.id, input.instanceId),
            sql`${instances.containerIds} ?| array[${sql.join(
              input.containerIds.map((id) => sql`${id}`),
              sql`, `,
            )}]::text[]`,
          ),
        );
      });
    },
  };
}

export type JobActivities = ReturnType<typeof createJobActivities>;
