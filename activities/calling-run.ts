// Which job's run is calling (ADR 0010). An activity is scheduled by whatever workflow code runs on the
// control-plane queue, so its input proves nothing; the activity's own info (the workflow id and run
// id, set by the Temporal server) says which run asked. A record or a signature is made only for the
// job whose row names that very run: another workflow, or a second run under a reused workflow id,
// is refused and the refusal audited. The one exception is a run that continued as new from the recorded
// one (a long fleet rollout): Temporal's own history says so, and the row then follows it.
import { ApplicationFailure, Context } from '@temporalio/activity';
import proto from '@temporalio/proto';
import { and, eq } from 'drizzle-orm';
import { recordAudit } from '../db/audit.ts';
import type { Db, Executor } from '../db/client.ts';
import { jobs } from '../db/schema.ts';

export type JobRecord = typeof jobs.$inferSelect;

/** The calling run, from the activity's info. */
export function callingRun(): { workflowId: string; runId: string; workflowType: string } {
  const info = Context.current().info;
  // A standalone activity (no workflow) is no job's run.
  return { workflowId: info.workflowExecution?.workflowId ?? '', runId: info.workflowExecution?.runId ?? '', workflowType: info.workflowType ?? '' };
}

/** A call refused for its caller: audited by asCallingRun, then the activity fails for good with `type`. */
export class CallerRefused extends Error {
  readonly job: JobRecord | undefined;
  readonly reason: string;
  readonly type: string;
  constructor(job: JobRecord | undefined, reason: string, type = 'NotThisJobsRun') {
    super(reason);
    this.job = job;
    this.reason = reason;
    this.type = type;
  }
}

/**
 * The calling run's job, locked (found by the run's own workflow id, never by what the caller says); when
 * the caller names a job (`jobId`), it must be that one. Otherwise throws. A job whose run id the
 * console has not written yet (it writes it right after starting the run) is asked again later.
 */
export async function jobOfCallingRun(tx: Executor, jobId?: string): Promise<JobRecord> {
  const run = callingRun();
  const [job] = await tx.select().from(jobs).where(eq(jobs.workflowId, run.workflowId)).for('update');
  if (!job) throw new CallerRefused(undefined, `run ${run.workflowId.slice(0, 120)} is no job's run`);
  if (jobId !== undefined && job.id !== jobId) throw new CallerRefused(job, `run ${run.workflowId} is not job ${String(jobId).slice(0, 60)}'s run`);
  if (!job.runId) throw ApplicationFailure.retryable(`job ${job.id}'s run is not recorded yet`, 'RunNotRecordedYet');
  if (job.runId === run.runId) return job;
  if (!(await continuedFrom(run, job.runId))) throw new CallerRefused(job, `run ${run.runId} of ${run.workflowId} is not the run job ${job.id} started`);
  // Compare-and-set on the recorded run (the row is locked too): two runs never both take the job over.
  const [moved] = await tx
    .update(jobs)
    .set({ runId: run.runId })
    .where(and(eq(jobs.id, job.id), eq(jobs.runId, job.runId)))
    .returning();
  if (!moved) throw new CallerRefused(job, `job ${job.id}'s run changed meanwhile`);
  Context.current().log.info('job run continued as new', { jobId: job.id, from: job.runId, to: run.runId });
  return moved;
}

/** Runs followed back from the calling run: more than any job's chain of continue-as-new between two of its activities. */
const MAX_CONTINUED_RUNS = 10;

/**
 * Whether the calling run continued as new (by its workflow's own choice: not a retry, not a cron run) from
 * the run `from`, directly or through a few runs that called no activity. Read from each run's first event,
 * which the Temporal server writes: no caller can claim it.
 */
async function continuedFrom(run: { workflowId: string; runId: string }, from: string): Promise<boolean> {
  const ctx = Context.current();
  let client;
  try {
    client = ctx.client;
  } catch {
    return false; // an activity run outside a worker (a test's mock environment) has no Temporal to ask
  }
  const namespace = ctx.info.workflowNamespace ?? ctx.info.namespace;
  let runId = run.runId;
  for (let i = 0; i < MAX_CONTINUED_RUNS; i++) {
    const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId: run.workflowId, runId }, maximumPageSize: 1 });
    const started = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    if (!started?.continuedExecutionRunId || started.initiator !== proto.temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW) return false;
    if (started.continuedExecutionRunId === from) return true;
    runId = started.continuedExecutionRunId;
  }
  return false;
}

/**
 * Runs `fn` (which calls jobOfCallingRun) in a transaction; a refused caller is audited outside it (the
 * transaction is rolled back) and ends the activity for good.
 */
export async function asCallingRun<T>(db: Db, what: string, fn: (tx: Executor) => Promise<T>): Promise<T> {
  try {
    return await db.transaction((tx) => fn(tx));
  } catch (err) {
    if (!(err instanceof CallerRefused)) throw err;
    return refuseCaller(db, what, err);
  }
}

/** Audits a refused caller and ends the activity for good (asCallingRun does it for refusals inside its transaction). */
export async function refuseCaller(db: Db, what: string, err: CallerRefused): Promise<never> {
  const run = callingRun();
  await recordAudit(db, {
    actorType: 'workflow',
    actorId: run.workflowId,
    actorLabel: `workflow ${run.workflowType}`,
    organizationId: err.job?.organizationId ?? null,
    action: what,
    targetType: 'job',
    targetId: err.job?.id ?? null,
    outcome: 'denied',
    reason: `refused: ${err.reason}`,
    details: { workflowId: run.workflowId, runId: run.runId },
  });
  throw ApplicationFailure.nonRetryable(`refused: ${err.reason}`, err.type);
}

/** A job's state change in the worker's log, with the ids one grep follows across processes (the SDK's logger adds the run's workflowId and runId). */
export function logJobState(job: JobRecord, to: string, step: string | null): void {
  Context.current().log.info('job state', { jobId: job.id, type: job.type, organizationId: job.organizationId, nodeId: job.nodeId, from: job.state, to, step });
}
