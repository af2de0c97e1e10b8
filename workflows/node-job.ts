// Running one step on a node from a workflow: sign an envelope for it (control plane), run it on the
// node's own queue (only that node's agent polls it), and believe the output only if the node's
// registered agent signed it. Each attempt is a new signed job: the agent refuses a replayed envelope.
// `mode` says what a failed attempt means:
//   'at-most-once'  one attempt; whatever happens, it is not run again by surprise.
//   'idempotent'    the action finds its earlier work (by container label) and continues, so a timed-out
//                   or crashed attempt is tried again with a fresh envelope, up to `attempts` times.
import { TimeoutType } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure, uuid4, workflowInfo } from '@temporalio/workflow';
import type { ControlPlaneNodeJobActivities } from '../activities/node-jobs.ts';
import type { NodeJobActivities } from '../agent-worker/node-jobs.ts';
import { nodeTaskQueue } from './task-queues.ts';

const controlPlane = proxyActivities<ControlPlaneNodeJobActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: ['NodeUnavailable', 'ResultRefused'] },
});

export interface NodeStep {
  nodeId: string;
  action: string;
  params: Record<string, unknown>;
  mode: 'at-most-once' | 'idempotent';
  /** How long the node may take to pick the step up before it counts as offline. */
  waitForNodeSeconds: number;
  /** How long one attempt may run once started. */
  runSeconds: number;
  /** Steps that report progress: how long without a heartbeat means the agent is gone. */
  heartbeatSeconds?: number;
  /** For 'idempotent' steps (default 3). */
  attempts?: number;
}

/**
 * Runs the step and returns its verified output. Fails (non-retryable ApplicationFailure, message in one
 * sentence) with type JobRefused, NodeOffline, ResultRefused or StepFailed.
 */
export async function runOnNode<T = unknown>(step: NodeStep): Promise<T> {
  const { workflowId } = workflowInfo();
  const attempts = step.mode === 'idempotent' ? (step.attempts ?? 3) : 1;
  for (let attempt = 1; ; attempt++) {
    const jobId = uuid4();
    const envelope = await controlPlane.signNodeJob({
      nodeId: step.nodeId, jobId, action: step.action, params: step.params, ttlSeconds: step.waitForNodeSeconds + step.runSeconds + 60,
    });
    const agent = proxyActivities<NodeJobActivities>({
      taskQueue: nodeTaskQueue(step.nodeId),
      scheduleToStartTimeout: `${step.waitForNodeSeconds} seconds`,
      startToCloseTimeout: `${step.runSeconds} seconds`,
      ...(step.heartbeatSeconds ? { heartbeatTimeout: `${step.heartbeatSeconds} seconds` } : {}),
      // Retrying is decided here, with a fresh envelope: the agent would refuse the same one again.
      retry: { maximumAttempts: 1 },
    });
    try {
      const result = await agent.runNodeJob(envelope);
      return await controlPlane.verifyNodeResult({ workflowId, nodeId: step.nodeId, jobId, action: step.action, result }) as T;
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === 'JobRefused') {
        await controlPlane.recordNodeJobRefusal({ workflowId, nodeId: step.nodeId, jobId, action: step.action, reason: cause.message });
        throw ApplicationFailure.nonRetryable(`the node refused the job: ${cause.message}`, 'JobRefused');
      }
      if (cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
        throw ApplicationFailure.nonRetryable(`node offline: no agent picked up the job within ${step.waitForNodeSeconds} s`, 'NodeOffline');
      }
      // The result was refused (not signed by the node's agent), or the verification itself failed.
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'ResultRefused') {
        throw ApplicationFailure.nonRetryable(err.cause.message, 'ResultRefused');
      }
      const reason = cause instanceof TimeoutFailure
        ? (cause.timeoutType === TimeoutType.HEARTBEAT ? 'the agent stopped reporting progress' : `it took longer than ${step.runSeconds} s`)
        : (cause?.message ?? (err as Error).message);
      if (attempt >= attempts) throw ApplicationFailure.nonRetryable(`${step.action} failed on the node: ${reason}`, 'StepFailed');
    }
  }
}
