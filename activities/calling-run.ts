// Which job's run is calling (ADR 0010). An activity is scheduled by whatever workflow code runs on the
// control-plane queue, so its input proves nothing; the activity's own info (the workflow id and run
// id, set by the Temporal server) says which run asked. A record or a signature is made only for the
// job whose row names that very run: another workflow, or a second run under a reused workflow id,
// is refused and the refusal audited.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
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

class NotThisJobsRun extends Error {
  readonly job: JobRecord | undefined;
  readonly reason: string;
  constructor(job: JobRecord | undefined, reason: string) {
    super(reason);
    this.job = job;
    this.reason = reason;
  }
}

/**
 * The job `jobId`, locked, when the calling run is that job's own; otherwise throws. A job whose run id
 * the console has not written yet (it writes it right after starting the run) is asked again later.
 */
export async function jobOfCallingRun(tx: Executor, jobId: string): Promise<JobRecord> {
  const run = callingRun();
  const [job] = typeof jobId === 'string' && /^[0-9a-f-]{36}$/.test(jobId) ? await tx.select().from(jobs).where(eq(jobs.id, jobId)).for('update') : [];
  if (!job) throw new NotThisJobsRun(undefined, `job ${String(jobId).slice(0, 60)} does not exist`);
  if (job.workflowId !== run.workflowId) throw new NotThisJobsRun(job, `run ${run.workflowId} is not job ${job.id}'s run`);
  if (!job.runId) throw ApplicationFailure.retryable(`job ${job.id}'s run is not recorded yet`, 'RunNotRecordedYet');
  if (job.runId !== run.runId) throw new NotThisJobsRun(job, `run ${run.runId} of ${run.workflowId} is not the run job ${job.id} started`);
  return job;
}

/**
 * Runs `fn` (which calls jobOfCallingRun) in a transaction; a refused caller is audited outside it (the
 * transaction is rolled back) and ends the activity for good.
 */
export async function asCallingRun<T>(db: Db, what: string, fn: (tx: Executor) => Promise<T>): Promise<T> {
  try {
    return await db.transaction((tx) => fn(tx));
  } catch (err) {
    if (!(err instanceof NotThisJobsRun)) throw err;
    const run = callingRun();
    await recordAudit(db, {
      actorType: 'workflow', actorId: run.workflowId, actorLabel: `workflow ${run.workflowType}`, organizationId: err.job?.organizationId ?? null,
      action: what, targetType: 'job', targetId: err.job?.id ?? null, outcome: 'denied', reason: `refused: ${err.reason}`,
      details: { workflowId: run.workflowId, runId: run.runId },
    });
    throw ApplicationFailure.nonRetryable(`refused: ${err.reason}`, 'NotThisJobsRun');
  }
}
