// The activities of a fleet rollout (workflows/fleet-rollout.ts, ADR 0030). Each acts only for the calling
// run's own job, which must be a rollout (activities/calling-run.ts), and believes only Postgres and the
// Temporal server's own bookkeeping, never its input (a rogue worker on the queue can call them as the
// rollout's run, ADR 0010): the target of index i is the one the rollout's record names, and its job is
// the only job of that index (a unique index); its child job is recorded with the authority of the person
// who asked for the rollout (read again now: deactivated, nothing more starts) once the approvals the
// rollout needs are in Postgres (the second one too, past the canary); a child run is recorded on its job
// only when Temporal says it is the calling run's child of the right type; and what people asked (pause,
// resume, cancel) is the rollout_controls row.
import { ApplicationFailure } from '@temporalio/activity';
import type { Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { ROLLOUT_ACTIONS, type PreparedTarget, type RolloutAction } from '../api/fleet/actions.ts';
import { approversNow, coveringApprovals } from '../api/fleet/cover.ts';
import { ROLLOUT_JOB_TYPES, type RolloutParams } from '../api/fleet/job-types.ts';
import { AppError } from '../api/errors.ts';
import { requestApproved } from '../api/jobs/approvers.ts';
import { recordAudit } from '../db/audit.ts';
import type { Db, Executor } from '../db/client.ts';
import { jobs, rolloutControls, type RolloutControl } from '../db/schema.ts';
import { isUniqueViolation } from '../db/unique-violation.ts';
import { batchSizeOf } from '../workflows/fleet-rollout-plan.ts';
import { asCallingRun, callingRun, CallerRefused, jobOfCallingRun, refuseCaller, type JobRecord } from './calling-run.ts';
import { jobAsActor } from './jobs.ts';
import { requesterOf } from './workflow-runs.ts';

const rolloutOfCallingRun = async (tx: Executor, jobId: string) => {
  const job = await jobOfCallingRun(tx, jobId);
  if (!ROLLOUT_JOB_TYPES.includes(job.type)) throw new CallerRefused(job, `job ${job.id} is not a rollout`, 'NotARollout');
  return job;
};

/** Whether `child` is the job of the rollout's target `index` (any index for a row recorded before jobs.rollout_job_id existed: by its params). */
const isTargetOf = (child: JobRecord, rollout: JobRecord, index?: number) =>
  child.rolloutJobId === null ? child.params.rolloutJobId === rollout.id : child.rolloutJobId === rollout.id && (index === undefined || child.targetIndex === index);

/** gRPC statuses of a run Temporal does not have (or a run id that cannot be one). */
const NO_SUCH_RUN = new Set([3, 5]);

type Checked = { answer: PreparedTarget | { refused: string } } | { job: JobRecord; action: RolloutAction; params: RolloutParams };

export function createFleetRolloutActivities(deps: { db: Db; temporal: Connection; namespace: string }) {
  const { db } = deps;
  const rollout = (jobId: string, what: string) => asCallingRun(db, what, (tx) => rolloutOfCallingRun(tx, jobId));

  /** The child run `runId` of `workflowId` as Temporal describes it (its parent and type), or undefined when Temporal has no such run. */
  const describeRun = async (workflowId: string, runId: string) => {
    try {
      const described = await deps.temporal.workflowService.describeWorkflowExecution({ namespace: deps.namespace, execution: { workflowId, runId } });
      return described.workflowExecutionInfo ?? undefined;
    } catch (err) {
      if (NO_SUCH_RUN.has((err as { code?: number }).code ?? 0)) return undefined;
      throw err;
    }
  };

  return {
    /**
     * Records target `index`'s job (the action's own checks, the rollout's approval copied onto it where it
     * covers it) and answers what to start; a refused target is answered with why (nothing was recorded).
     * A retry after a lost answer answers the same start again; a job recorded without it (the worker died
     * between the two writes) is not started late: it fails, with why. A job that is not this target's, a
     * second job for the target, or a target past the canary without the second approval is no real run's
     * request: refused for good and audited, nothing changed.
     */
    async prepareRolloutTarget(input: { jobId: string; index: number; childJobId: string }): Promise<PreparedTarget | { refused: string }> {
      const what = 'fleet.rollout.target';
      const checked = await asCallingRun(db, what, async (tx): Promise<Checked> => {
        const job = await rolloutOfCallingRun(tx, input.jobId);
        const params = job.params as unknown as RolloutParams;
        const action = ROLLOUT_ACTIONS[params.action];
        const target = params.targets[input.index];
        if (!action || !target) throw ApplicationFailure.nonRetryable(`the rollout has no target ${input.index} or no action ${String(params.action)}`, 'NotThisRollout');
        if (job.state !== 'running') return { answer: { refused: `the rollout is ${job.state.replaceAll('_', ' ')}` } };
        if (action.approval && !requestApproved(job, 'approval')) return { answer: { refused: 'the rollout has no checked approval' } };
        if (action.approval && params.settings.secondApproval && input.index >= batchSizeOf(params.settings, 0) && !requestApproved(job, 'canary approval'))
          throw new CallerRefused(job, `target ${input.index} of rollout ${job.id} is past the canary, whose second approval is not recorded`, 'NotApproved');
        const [earlier] = await tx.select().from(jobs).where(eq(jobs.id, input.childJobId)).for('update');
        if (!earlier) return { job, action, params };
        if (!isTargetOf(earlier, job, input.index)) throw new CallerRefused(job, `job ${earlier.id} is not target ${input.index} of rollout ${job.id}`, 'NotThisRollout');
        if (earlier.runId || earlier.state !== 'preflight') throw new CallerRefused(job, `job ${earlier.id} has started already`, 'NotThisRollout');
        // Recorded by an attempt whose answer was lost (the worker died): the same start again, never a second job.
        const kept = earlier.result?.prepared as Omit<PreparedTarget, 'judge'> | undefined;
        if (kept) return { answer: { ...kept, judge: action.judge } };
        await tx
          .update(jobs)
          .set({ state: 'failed', step: null, failureReason: 'recorded by the rollout, but its start was lost: it was not started', completedAt: new Date() })
          .where(eq(jobs.id, earlier.id));
        return { answer: { refused: 'its job was recorded but its start was lost (a restart at that moment): it was not started' } };
      });
      if ('answer' in checked) return checked.answer;
      const { job, action, params } = checked;
      try {
        const ctx = await requesterOf(db, job);
        // The rollout's approvers as they are now (active, allowed) and their approvals' age, against the child's own terms.
        const rolloutApprovals = { jobId: job.id, requestedBy: job.requestedBy, approvals: job.approvals };
        const cover = async (terms: Parameters<typeof coveringApprovals>[1], organizationId: string) =>
          coveringApprovals(rolloutApprovals, terms, await approversNow(db, job.approvals, terms, organizationId));
        const request = {
          targetId: params.targets[input.index]!.id,
          options: params.options ?? {},
          childJobId: input.childJobId,
          rolloutJobId: job.id,
          targetIndex: input.index,
          cover,
        };
        const recorded = await action.prepare(ctx, request);
        const prepared = { workflowType: action.jobType.workflow.name, workflowId: recorded.workflowId, args: recorded.args };
        // Kept until the child's run writes its own result: what a retry of this activity answers again.
        await db.update(jobs).set({ result: { prepared } }).where(eq(jobs.id, input.childJobId));
        return { ...prepared, judge: action.judge };
      } catch (err) {
        if (isUniqueViolation(err, 'jobs_rollout_target_unique'))
          return refuseCaller(db, what, new CallerRefused(job, `target ${input.index} of rollout ${job.id} has its job already`, 'NotThisRollout'));
        if (err instanceof AppError) return { refused: err.message };
        if (err instanceof ApplicationFailure && err.nonRetryable) return { refused: err.message };
        throw err;
      }
    },

    /**
     * The child's run id on its job (the rollout started it): its own activities then know their run. Believed
     * only when Temporal describes that run as a child of the calling run, of the target action's workflow.
     */
    async recordRolloutChildRun(input: { jobId: string; childJobId: string; runId: string }): Promise<void> {
      await asCallingRun(db, 'fleet.rollout.child', async (tx) => {
        const job = await rolloutOfCallingRun(tx, input.jobId);
        const [child] = await tx.select().from(jobs).where(eq(jobs.id, input.childJobId)).for('update');
        if (!child || !isTargetOf(child, job)) throw new CallerRefused(job, `job ${input.childJobId} is not a target of rollout ${job.id}`);
        if (child.runId === input.runId) return; // a retry
        if (child.runId) throw new CallerRefused(job, `job ${child.id} already has its run`);
        const run = await describeRun(child.workflowId, input.runId);
        if (!run) throw new CallerRefused(job, `Temporal has no run ${input.runId.slice(0, 60)} of job ${child.id}`, 'NotAChildRun');
        const caller = callingRun();
        const parent = run.parentExecution;
        if (parent?.workflowId !== caller.workflowId || parent.runId !== caller.runId)
          throw new CallerRefused(job, `run ${input.runId.slice(0, 60)} of job ${child.id} is not a child of the calling run`, 'NotAChildRun');
        const expected = ROLLOUT_ACTIONS[(job.params as unknown as RolloutParams).action]?.jobType;
        if (!expected || child.type !== expected.type || run.type?.name !== expected.workflow.name)
          throw new CallerRefused(
            job,
            `run ${input.runId.slice(0, 60)} of job ${child.id} is a ${String(run.type?.name).slice(0, 60)} run, not the rollout action's workflow`,
            'NotAChildRun',
          );
        await tx.update(jobs).set({ runId: input.runId }).where(eq(jobs.id, child.id));
      });
    },

    /** What people last asked of the rollout ("run" when nobody asked anything). */
    async readRolloutControl(input: { jobId: string }): Promise<{ control: RolloutControl }> {
      await rollout(input.jobId, 'fleet.rollout.control');
      const [row] = await db.select().from(rolloutControls).where(eq(rolloutControls.jobId, input.jobId));
      return { control: row?.control ?? 'run' };
    },

    /** The rollout stopped itself past a threshold: held (paused) until a person resumes it; audited with why. */
    async holdRollout(input: { jobId: string; reason: string }): Promise<{ control: RolloutControl }> {
      return asCallingRun(db, 'fleet.rollout.hold', async (tx) => {
        const job = await rolloutOfCallingRun(tx, input.jobId);
        const [row] = await tx.select().from(rolloutControls).where(eq(rolloutControls.jobId, job.id)).for('update');
        // A cancel asked meanwhile stands.
        if (row?.control === 'cancel') return { control: 'cancel' as const };
        const values = { control: 'pause' as const, changedBy: null, changedAt: new Date() };
        await tx
          .insert(rolloutControls)
          .values({ jobId: job.id, ...values })
          .onConflictDoUpdate({ target: rolloutControls.jobId, set: values });
        await recordAudit(tx, {
          ...jobAsActor(job),
          action: 'fleet.rollout.stopped',
          targetType: 'job',
          targetId: job.id,
          outcome: 'failure',
          reason: input.reason.slice(0, 500),
          details: {},
        });
        return { control: 'pause' as const };
      });
    },
  };
}

export type FleetRolloutActivities = ReturnType<typeof createFleetRolloutActivities>;
