// The System page's readiness check: proves the whole chain (console → Temporal → control-plane worker →
// Postgres) by checking each part from inside a real workflow run and recording the verdict.
import { proxyActivities } from '@temporalio/workflow';
import type { ReadinessActivities } from '../activities/readiness.ts';
import type { ReadinessCheckResult } from '../db/schema.ts';

// Checks report a failed dependency as a result (ok: false); retries are only for the worker's own faults.
const checks = proxyActivities<ReadinessActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: [] },
});
// Recording the verdict is idempotent (an UPDATE by workflow id), so it may retry for longer.
const recorder = proxyActivities<ReadinessActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
});

export interface ReadinessCheckOutcome {
  status: 'passed' | 'failed';
  results: ReadinessCheckResult[];
}

export async function readinessCheck(): Promise<ReadinessCheckOutcome> {
  const results = [await checks.checkPostgres(), await checks.checkTemporal()];
  const status = results.every((r) => r.ok) ? 'passed' : 'failed';
  await recorder.recordReadinessResult({ status, results });
  return { status, results };
}
