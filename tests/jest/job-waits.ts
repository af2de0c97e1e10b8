// Waiting for a job's record (Postgres) to reach a state, for integration tests that drive jobs through
// the real control plane: the end of a job whatever it is, its approval step (failing early with the
// job's reason when it failed before), or any state a test names; and a rollout's child jobs.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { jobs } from '../../db/schema.ts';
import { waitFor } from './wait-for.ts';

const ENDED = ['completed', 'failed', 'expired', 'cancelled', 'rejected'];
type JobRow = typeof jobs.$inferSelect;

const jobRow = async (db: Db, jobId: string): Promise<JobRow | undefined> => (await db.select().from(jobs).where(eq(jobs.id, jobId)))[0];

/** The job's record once `test` holds of it (a rollout's step, say). */
export const jobUntil = (db: Db, jobId: string, test: (job: JobRow) => boolean, what: string, withinMs = 120_000): Promise<JobRow> =>
  waitFor(
    what,
    async () => {
      const job = await jobRow(db, jobId);
      return job && test(job) ? job : undefined;
    },
    withinMs,
  );

/** The child jobs a fleet rollout recorded (one per target it started). */
export const rolloutChildren = (db: Db, rolloutJobId: string): Promise<JobRow[]> =>
  db
    .select()
    .from(jobs)
    .where(sql`${jobs.params}->>'rolloutJobId' = ${rolloutJobId}`);

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
