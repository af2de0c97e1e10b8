// A job row waiting for its typed approval, as its run's first steps leave it (the run itself absent): for
// tests of the approval's checks against a real database, called as that run (MockActivityEnvironment
// with the row's workflowId and runId).
import crypto from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { jobs } from '../../db/schema.ts';

type JobValues = typeof jobs.$inferInsert;

export async function insertWaitingJob(db: Db, values: Omit<JobValues, 'workflowId' | 'runId' | 'state' | 'step'> & { approvalPhrase: string }) {
  const [row] = await db
    .insert(jobs)
    .values({
      workflowId: `${values.type}-${crypto.randomUUID()}`,
      runId: crypto.randomUUID(),
      state: 'waiting_for_approval',
      step: 'approval',
      approvalExpiresAt: new Date(Date.now() + 3_600_000),
      ...values,
    })
    .returning();
  return { ...row!, runId: row!.runId! };
}
