// Asks a node's agent for its container inventory now (the node page's "Refresh inventory"). The job is
// signed on the control plane, runs only on the node's own queue, and its result is believed only if
// the node's registered agent signed it. A node that does not pick the job up in time fails the run
// with "node offline".
import { TimeoutType } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, proxyActivities, TimeoutFailure, uuid4, workflowInfo } from '@temporalio/workflow';
import type { ControlPlaneNodeJobActivities } from '../activities/node-jobs.ts';
import type { NodeJobActivities } from '../agent-worker/node-jobs.ts';
import { nodeTaskQueue } from './task-queues.ts';

const controlPlane = proxyActivities<ControlPlaneNodeJobActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: ['NodeUnavailable', 'ResultRefused'] },
});

export interface RefreshNodeInventoryInput { nodeId: string; offlineAfterSeconds?: number }

export async function refreshNodeInventory(input: RefreshNodeInventoryInput): Promise<{ containers: number }> {
  const { workflowId } = workflowInfo();
  const jobId = uuid4();
  const waitForNode = input.offlineAfterSeconds ?? 120;
  const envelope = await controlPlane.signNodeJob({ nodeId: input.nodeId, jobId, action: 'inventory', params: {}, ttlSeconds: waitForNode + 60 });
  // One attempt: the agent refuses a replayed envelope, and a refusal is final.
  const agent = proxyActivities<NodeJobActivities>({
    taskQueue: nodeTaskQueue(input.nodeId),
    scheduleToStartTimeout: `${waitForNode} seconds`,
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 1 },
  });
  let result;
  try {
    result = await agent.runNodeJob(envelope);
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === 'JobRefused') {
      await controlPlane.recordNodeJobRefusal({ workflowId, nodeId: input.nodeId, jobId, action: 'inventory', reason: cause.message });
      throw ApplicationFailure.nonRetryable(`the node refused the job: ${cause.message}`, 'JobRefused');
    }
    if (cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
      throw ApplicationFailure.nonRetryable(`node offline: no agent picked up the job within ${waitForNode} s`, 'NodeOffline');
    }
    throw err;
  }
  try {
    return await controlPlane.acceptNodeResult({ workflowId, nodeId: input.nodeId, jobId, action: 'inventory', result });
  } catch (err) {
    // Fail the run with the reason itself (e.g. a result not signed by the node's registered agent).
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type);
    throw err;
  }
}
