// Waiting for a job (GET /api/v1/jobs/{id}, read by the caller's own client) to reach a state; a failure on
// the way stops the wait with its reason instead of running into the timeout.
import { waitFor } from './wait-for.ts';

export const jobInState = <J extends { state: string; failureReason: string | null }>(id: string, read: () => Promise<J>, state: string, withinMs = 60_000): Promise<J> =>
  waitFor(
    `job ${id} to be ${state}`,
    async () => {
      const job = await read();
      if (job.state === 'failed' && state !== 'failed') throw new Error(`job failed: ${job.failureReason}`);
      return job.state === state ? job : undefined;
    },
    withinMs,
  );
