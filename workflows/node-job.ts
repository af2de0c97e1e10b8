// Running one step on a node from a workflow: sign an envelope for it (control plane), run it on the
// node's own queue (only that node's agent polls it), and believe the output only if the node's
// registered agent signed it and it fits the action's schema. The action, its parameters and its output
// are typed by the node-action catalogue (protocol/node-actions.ts: types only here, checked by the
// activities). Each attempt is a new signed envelope with its own envelopeId (never the console's job
// id): the agent refuses a replayed envelope.
// `mode` says what a failed attempt means:
//   'at-most-once'  one attempt; whatever happens, it is not run again by surprise.
//   'idempotent'    the action finds its earlier work (by container label) and continues, so a timed-out
//                   or crashed attempt is tried again with a fresh envelope, up to `attempts` times.
import { TimeoutType } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, patched, proxyActivities, TimeoutFailure, uuid4, workflowInfo } from '@temporalio/workflow';
import type { NodeDispatchActivities, SignNodeJobInput } from '../activities/node-jobs.ts';
import type { JobEnvelope, NodeAgentActivities } from '../protocol/envelope.ts';
import type { NodeActionName, NodeActionOutput, NodeActionParams } from '../protocol/node-actions.ts';
import { nodeJobActivityId, nodeTaskQueue } from './task-queues.ts';

/** Failures of the control plane's own steps that no retry can mend; they end the step with their reason. */
const FINAL_DISPATCH_FAILURES = ['NodeUnavailable', 'BadParameters', 'ResultRefused'];

const controlPlane = proxyActivities<NodeDispatchActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: FINAL_DISPATCH_FAILURES },
});

export interface NodeStep<A extends NodeActionName> {
  nodeId: string;
  action: A;
  params: NodeActionParams<A>;
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

/** The job's node and how long a step waits for it to pick the step up (each job input carries both). */
export const jobNode = (input: { nodeId: string; nodeWaitSeconds: number }) => ({ nodeId: input.nodeId, waitForNodeSeconds: input.nodeWaitSeconds });

/** How long without a heartbeat means the agent is gone, for the steps that report progress (deploy, restart, health waits). */
export const PROGRESS_HEARTBEAT_SECONDS = 20;

/** The control plane's refusal (unknown or revoked node, bad parameters, refused result) as the step's own failure. */
const finalDispatchFailure = (err: unknown): ApplicationFailure | undefined => {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return cause instanceof ApplicationFailure && FINAL_DISPATCH_FAILURES.includes(cause.type ?? '') ? ApplicationFailure.nonRetryable(cause.message, cause.type) : undefined;
};

/** What the control plane signs for one attempt of the step. */
export const signInput = <A extends NodeActionName>(step: NodeStep<A>, envelopeId: string): SignNodeJobInput<A> => ({
  nodeId: step.nodeId,
  envelopeId,
  action: step.action,
  params: step.params,
  ttlSeconds: step.waitForNodeSeconds + step.runSeconds + 60,
});

/** The first attempt's envelope, signed already (by the check of the approval before the step: ADR 0032). */
export interface PreSigned {
  envelopeId: string;
  envelope: JobEnvelope;
}

/**
 * Runs the step and returns its verified output. Fails (non-retryable ApplicationFailure, message in one
 * sentence) with type JobRefused, NodeOffline, ResultRefused, StepFailed, or NodeUnavailable and
 * BadParameters when the control plane cannot sign it.
 */
export async function runOnNode<A extends NodeActionName>(step: NodeStep<A>, preSigned?: PreSigned): Promise<NodeActionOutput<A>> {
  const { workflowId } = workflowInfo();
  const attempts = step.mode === 'idempotent' ? (step.attempts ?? 3) : 1;
  // The agent's activity, for one envelope: its id names it as a node step, whose input stays plain. A run
  // that scheduled its step before this id existed replays with the sequence number it had (the patch).
  const agent = (envelopeId: string) =>
    proxyActivities<NodeAgentActivities>({
      ...(patched('node-job-activity-id') ? { activityId: nodeJobActivityId(envelopeId) } : {}),
      taskQueue: nodeTaskQueue(step.nodeId),
      scheduleToStartTimeout: `${step.waitForNodeSeconds} seconds`,
      startToCloseTimeout: `${step.runSeconds} seconds`,
      ...(step.heartbeatSeconds ? { heartbeatTimeout: `${step.heartbeatSeconds} seconds` } : {}),
      // Retrying is decided here, with a fresh envelope: the agent would refuse the same one again.
      retry: { maximumAttempts: 1 },
    });
  for (let attempt = 1; ; attempt++) {
    const signed = attempt === 1 ? preSigned : undefined;
    const envelopeId = signed?.envelopeId ?? uuid4();
    const about = { workflowId, nodeId: step.nodeId, envelopeId, action: step.action };
    let envelope = signed?.envelope;
    try {
      envelope ??= await controlPlane.signNodeJob(signInput(step, envelopeId));
    } catch (err) {
      throw finalDispatchFailure(err) ?? err;
    }
    try {
      const result = await agent(envelopeId).runNodeJob(envelope);
      return await controlPlane.verifyNodeResult({ ...about, result });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === 'JobRefused') {
        await controlPlane.recordNodeJobRefusal({ ...about, reason: cause.message });
        throw ApplicationFailure.nonRetryable(`the node refused the job: ${cause.message}`, 'JobRefused');
      }
      if (cause instanceof TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_START) {
        throw ApplicationFailure.nonRetryable(`node offline: no agent picked up the job within ${step.waitForNodeSeconds} s`, 'NodeOffline');
      }
      // The result was refused (not signed by the node's agent, or not the action's output shape).
      const refused = finalDispatchFailure(err);
      if (refused) throw refused;
      const reason =
        cause instanceof TimeoutFailure
          ? cause.timeoutType === TimeoutType.HEARTBEAT
            ? 'the agent stopped reporting progress'
            : `it took longer than ${step.runSeconds} s`
          : (cause?.message ?? (err as Error).message);
      if (attempt >= attempts) throw ApplicationFailure.nonRetryable(`${step.action} failed on the node: ${reason}`, 'StepFailed');
    }
  }
}
