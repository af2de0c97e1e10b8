// What every job workflow shares: the activities that keep its record, the terms of its approval as the
// console sets them, and the policy the approval step enforces from those terms.
import { ActivityFailure, allHandlersFinished, ApplicationFailure, CancellationScope, condition, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { JobActivities } from '../activities/jobs.ts';
import type { ApprovalPolicy, Approver } from './approval.ts';

export const jobActivities = proxyActivities<JobActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

export interface ApprovalTerms {
  requestedBy: Approver;
  /** The web process's approval-grant public key (hex): only grants it signed stand for a person. */
  approvalGrantKey: string;
  approvalPhrase: string;
  approverRoles: string[];
  /** Approver groups whose members may approve too (their membership is checked in Postgres at each decision). */
  approverGroupIds?: string[];
  /** Distinct people needed (1 when absent). */
  approvalsNeeded?: number;
  forbidSelfApproval: boolean;
  approvalTimeoutSeconds: number;
}

/** Updates the job's record (state, step, approvals, result): see activities/jobs.ts. */
export const jobRecorder = (jobId: string) => (update: Omit<Parameters<JobActivities['updateJob']>[0], 'jobId'>) => jobActivities.updateJob({ jobId, ...update });

export const approvalPolicy = (terms: ApprovalTerms & { jobId: string }): Omit<ApprovalPolicy, 'expiresAt'> => ({
  jobId: terms.jobId,
  phrase: terms.approvalPhrase,
  approverRoles: terms.approverRoles,
  approverGroupIds: terms.approverGroupIds ?? [],
  approvalsNeeded: terms.approvalsNeeded ?? 1,
  requesterId: terms.requestedBy.userId,
  forbidSelfApproval: terms.forbidSelfApproval,
  grantKey: terms.approvalGrantKey,
});

/**
 * Runs `body` as the job's work: a failure or cancellation ends the job with its reason. The run ends only
 * once every Update and signal handler has finished, so that none is cut off (an ignored `approve` signal
 * still being recorded, say).
 */
export async function asJob<T>(jobId: string, body: () => Promise<T>): Promise<T> {
  const record = jobRecorder(jobId);
  const handlersFinished = () => CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  try {
    const result = await body();
    await handlersFinished();
    return result;
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => record({ state: 'cancelled', step: null, failureReason: 'the run was cancelled in Temporal' }));
      await handlersFinished();
      throw err;
    }
    // An activity's failure says only "Activity task failed": the reason is its cause's.
    const reason = err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message;
    await record({ state: 'failed', failureReason: reason });
    await handlersFinished();
    throw err instanceof ApplicationFailure ? err : ApplicationFailure.nonRetryable(reason, 'JobFailed');
  }
}
