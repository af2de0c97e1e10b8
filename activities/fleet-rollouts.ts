// The activities of a fleet rollout (workflows/fleet-rollout.ts, ADR 0030). Each acts only for the calling
// run's own job, which must be a rollout (activities/calling-run.ts), and believes only Postgres: the
// target of index i is the one the rollout's record names, its child job is recorded with the authority
// of the person who asked for the rollout (read again now: deactivated, nothing more starts), and what
// people asked (pause, resume, cancel) is the rollout_controls row.
import { ApplicationFailure } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { ROLLOUT_ACTIONS, type PreparedTarget } from '../api/fleet/actions.ts';
import { coveringApprovals } from '../api/fleet/cover.ts';
import { ROLLOUT_JOB_TYPES, type RolloutParams } from '../api/fleet/job-types.ts';
import { AppError } from '../api/errors.ts';
import { recordAudit } from '../db/audit.ts';
import type { Db, Executor } from '../db/client.ts';
import { jobs, rolloutControls, type RolloutControl } from '../db/schema.ts';
import { approvedByAPerson, asCallingRun, CallerRefused, jobOfCallingRun } from './calling-run.ts';
import { jobAsActor } from './jobs.ts';
import { requesterOf } from './workflow-runs.ts';

const rolloutOfCallingRun = async (tx: Executor, jobId: string) => {
  const job = await jobOfCallingRun(tx, jobId);
  if (!ROLLOUT_JOB_TYPES.includes(job.type)) throw new CallerRefused(job, `job ${job.id} is not a rollout`, 'NotARollout');
  return job;
};

export function createFleetRolloutActivities(deps: { db: Db }) {
  const { db } = deps;
  const rollout = (jobId: string, what: string) => asCallingRun(db, what, (tx) => rolloutOfCallingRun(tx, jobId));

  return {
    /**
     * Records target `index`'s job (the action's own checks, the rollout's approval copied onto it where it
     * covers it) and answers what to start; a refused target is answered with why (nothing was recorded).
     * A retry after a lost answer answers the same start again; a job recorded without it (the worker died
     * between the two writes) is not started late: it fails, with why.
     */
    async prepareRolloutTarget(input: { jobId: string; index: number; childJobId: string }): Promise<PreparedTarget | { refused: string }> {
      const job = await rollout(input.jobId, 'fleet.rollout.target');
      const params = job.params as unknown as RolloutParams;
      const action = ROLLOUT_ACTIONS[params.action];
      const target = params.targets[input.index];
      if (!action || !target) throw ApplicationFailure.nonRetryable(`the rollout has no target ${input.index} or no action ${String(params.action)}`, 'NotThisRollout');
      if (job.state !== 'running') return { refused: `the rollout is ${job.state.replaceAll('_', ' ')}` };
      if (action.approval && !approvedByAPerson(job)) return { refused: 'the rollout has no checked approval' };
      const [earlier] = await db.select().from(jobs).where(eq(jobs.id, input.childJobId));
      // Recorded by an attempt whose answer was lost (the worker died): the same start again, never a second job.
      const kept = earlier?.result?.prepared as Omit<PreparedTarget, 'judge'> | undefined;
      if (earlier && kept && earlier.params.rolloutJobId === job.id && !earlier.runId && earlier.state === 'preflight') return { ...kept, judge: action.judge };
      if (earlier) {
        await db
          .update(jobs)
          .set({ state: 'failed', step: null, failureReason: 'recorded by the rollout, but its start was lost: it was not started', completedAt: new Date() })
          .where(eq(jobs.id, earlier.id));
        return { refused: 'its job was recorded but its start was lost (a restart at that moment): it was not started' };
      }
      try {
        const ctx = await requesterOf(db, job);
        const cover = (terms: Parameters<typeof coveringApprovals>[1]) => coveringApprovals({ jobId: job.id, requestedBy: job.requestedBy, approvals: job.approvals }, terms);
        const recorded = await action.prepare(ctx, { targetId: target.id, options: params.options ?? {}, childJobId: input.childJobId, rolloutJobId: job.id, cover });
        const prepared = { workflowType: action.jobType.workflow.name, workflowId: recorded.workflowId, args: recorded.args };
        // Kept until the child's run writes its own result: what a retry of this activity answers again.
        await db.update(jobs).set({ result: { prepared } }).where(eq(jobs.id, input.childJobId));
        return { ...prepared, judge: action.judge };
      } catch (err) {
        if (err instanceof AppError) return { refused: err.message };
        if (err instanceof ApplicationFailure && err.nonRetryable) return { refused: err.message };
        throw err;
      }
    },

    /** The child's run id on its job (the rollout started it): its own activities then know their run. */
    async recordRolloutChildRun(input: { jobId: string; childJobId: string; runId: string }): Promise<void> {
      await asCallingRun(db, 'fleet.rollout.child', async (tx) => {
        const job = await rolloutOfCallingRun(tx, input.jobId);
        const [child] = await tx.select().from(jobs).where(eq(jobs.id, input.childJobId)).for('update');
        if (!child || child.params.rolloutJobId !== job.id) throw new CallerRefused(job, `job ${input.childJobId} is not a target of rollout ${job.id}`);
        if (child.runId && child.runId !== input.runId) throw new CallerRefused(job, `job ${child.id} already has its run`);
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
