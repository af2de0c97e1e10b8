// Workflow code of a rogue: someone who reaches the Temporal frontend and runs their own worker, whose
// workflows schedule the control plane's activities on its queue (ADR 0010's threat model). Used by
// tests/integration/node-jobs.test.ts to show that the real worker signs and records nothing for them.
import { proxyActivities } from '@temporalio/workflow';
import type { JobActivities } from '../../activities/jobs.ts';
import type { NodeDispatchActivities } from '../../activities/node-jobs.ts';

export async function rogueSign(input: { controlPlaneQueue: string; nodeId: string; action: 'openclaw.remove' | 'openclaw.logs'; params: Record<string, unknown> }) {
  const controlPlane = proxyActivities<NodeDispatchActivities>({ taskQueue: input.controlPlaneQueue, startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });
  return controlPlane.signNodeJob({ nodeId: input.nodeId, envelopeId: 'rogue-envelope', action: input.action, params: input.params as never, ttlSeconds: 60 });
}

export async function rogueRecord(input: { controlPlaneQueue: string; jobId: string }) {
  const record = proxyActivities<JobActivities>({ taskQueue: input.controlPlaneQueue, startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });
  await record.updateJob({ jobId: input.jobId, state: 'running', step: 'owned' });
}
