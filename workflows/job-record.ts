// What every job workflow shares: the activities that keep its record, the terms of its approval as the
// console sets them, and the policy the approval step enforces from those terms.
import { ApplicationFailure, CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { JobActivities } from '../activities/jobs.ts';
import type { ApprovalPolicy, Approver } from './approval.ts';

export const jobActivities = proxyActivities<JobActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

export interface ApprovalTerms {
  requestedBy: Approver;
  approvalPhrase: string;
  approverRoles: string[];
  forbidSelfApproval: boolean;
  approvalTimeoutSeconds: number;
}

/** Updates the job's record (state, step, approvals, result): see activities/jobs.ts. */
export const jobRecorder = (jobId: string) => (update: Omit<Parameters<JobActivities['updateJob']>[0], 'jobId'>) =>
  jobActivities.updateJob({ jobId, ...update });

export const approvalPolicy = (terms: ApprovalTerms): Omit<ApprovalPolicy, 'expiresAt'> => ({
  phrase: terms.approvalPhrase, approverRoles: terms.approverRoles, requesterId: terms.requestedBy.userId, forbidSelfApproval: terms.forbidSelfApproval,
});

/** Runs `body` as the job's work: a failure or cancellation ends the job with its reason. */
export async function asJob<T>(jobId: string, body: () => Promise<T>): Promise<T> {
  const record = jobRecorder(jobId);
  try {
    return await body();
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => record({ state: 'cancelled', step: null, failureReason: 'the run was cancelled in Temporal' }));
      throw err;
    }
    const reason = (err as Error).message;
    await record({ state: 'failed', failureReason: reason });
    throw err instanceof ApplicationFailure ? err : ApplicationFailure.nonRetryable(reason, 'JobFailed');
  }
}
