// Waiting for a job's record (Postgres) to reach a state, for integration tests that drive jobs through
// the real control plane: the end of a job whatever it is, or its approval step (failing early with the
// job's reason when it failed before).
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { jobs } from '../../db/schema.ts';
import { waitFor } from './wait-for.ts';

const ENDED = ['completed', 'failed', 'expired', 'cancelled', 'rejected'];
const jobRow = async (db: Db, jobId: string) => (await db.select().from(jobs).where(eq(jobs.id, jobId)))[0];

/** The job's record once it has ended, whatever the outcome. */
export const jobEnded = (db: Db, jobId: string, withinMs: number) =>
  waitFor(
    `job ${jobId} to end`,
    async () => {
      const job = await jobRow(db, jobId);
      return job && ENDED.includes(job.state) ? job : undefined;
    },
    withinMs,
  );

/** The job's record once it waits for its approval; throws with the job's reason if it failed first. */
export const jobWaitingForApproval = (db: Db, jobId: string, withinMs = 120_000) =>
  waitFor(
    'the approval step',
    async () => {
      const job = await jobRow(db, jobId);
      if (job?.state === 'failed') throw new Error(`job failed: ${job.failureReason}`);
      return job?.state === 'waiting_for_approval' ? job : undefined;
    },
    withinMs,
  );
