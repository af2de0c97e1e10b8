// Workflow code of a rogue: someone who reaches the Temporal frontend and runs their own worker, whose
// workflows schedule the control plane's activities on its queue (ADR 0010's threat model), or who runs
// a real job's run after polling its workflow task. Used by tests/integration/node-jobs.test.ts and
// rogue-approval.test.ts to show that the real worker signs and records nothing for them beyond what
// Postgres allows.
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
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

/** One call a rogue makes as a job's run, and what the control plane answered. */
export type RogueCall =
  | { updateJob: Parameters<JobActivities['updateJob']>[0] }
  | { signNodeJob: Parameters<NodeDispatchActivities['signNodeJob']>[0] }
  | { recordInstanceRemoved: Parameters<JobActivities['recordInstanceRemoved']>[0] };
export type RogueAnswer = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * A rogue worker's code run as a real job's run: it polled the control-plane queue and got that run's
 * workflow task, so every activity it schedules carries the job's own workflow id and run id. Makes each
 * call in turn and answers what the real worker said to each.
 */
export async function rogueAsJobRun(input: { controlPlaneQueue: string; calls: RogueCall[] }): Promise<RogueAnswer[]> {
  // Retried only while the job's run id is not on record yet (RunNotRecordedYet); a refusal is final.
  const controlPlane = proxyActivities<JobActivities & NodeDispatchActivities>({
    taskQueue: input.controlPlaneQueue,
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 6, initialInterval: '300 milliseconds' },
  });
  const answers: RogueAnswer[] = [];
  for (const call of input.calls) {
    try {
      const value =
        'updateJob' in call
          ? await controlPlane.updateJob(call.updateJob)
          : 'signNodeJob' in call
            ? await controlPlane.signNodeJob(call.signNodeJob)
            : await controlPlane.recordInstanceRemoved(call.recordInstanceRemoved);
      answers.push({ ok: true, value: value ?? null });
    } catch (err) {
      answers.push({ ok: false, message: err instanceof ActivityFailure && err.cause ? err.cause.message : String(err) });
    }
  }
  return answers;
}
