// The System page's readiness check, a job that runs on the control plane only (it has no node): proves
// the whole chain (console → Temporal → control-plane worker → Postgres) by checking each part from
// inside a real workflow run, and records the verdict as the job's result.
import { proxyActivities } from '@temporalio/workflow';
import type { ReadinessActivities, ReadinessCheckResult } from '../activities/readiness.ts';
import { asJob, jobRecorder } from './job-record.ts';

// Checks report a failed dependency as a result (ok: false); retries are only for the worker's own faults.
const checks = proxyActivities<ReadinessActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: [] },
});

export interface ReadinessCheckInput {
  jobId: string;
}
export interface ReadinessCheckOutcome {
  status: 'passed' | 'failed';
  results: ReadinessCheckResult[];
}

export async function readinessCheck(input: ReadinessCheckInput): Promise<ReadinessCheckOutcome> {
  const record = jobRecorder(input.jobId);
  return asJob(input.jobId, async () => {
    await record({ state: 'running', step: 'checks' });
    const results = [await checks.checkPostgres(), await checks.checkTemporal()];
    const failed = results.filter((r) => !r.ok);
    const status = failed.length ? 'failed' : 'passed';
    await record({
      state: failed.length ? 'failed' : 'completed',
      step: null,
      result: { status, results },
      ...(failed.length ? { failureReason: failed.map((r) => `${r.name}: ${r.detail}`).join('; ') } : {}),
    });
    return { status, results };
  });
}
