// A job that is only its approval, for workflows/approval.workflow.test.ts: the approval step and the
// job's end (workflows/job-record.ts) as every job workflow has them, without any node or instance work.
import { approvalStep } from './approval.ts';
import { approvalPolicy, asJob, jobRecorder, type ApprovalTerms } from './job-record.ts';

export interface ApprovalJobInput extends ApprovalTerms {
  jobId: string;
}

export async function approvalJob(input: ApprovalJobInput): Promise<{ state: string }> {
  return asJob(input.jobId, async () => {
    const record = jobRecorder(input.jobId);
    const approved = await approvalStep({ policy: approvalPolicy(input), timeoutSeconds: input.approvalTimeoutSeconds, record, nextStep: 'work' });
    if (!approved) return { state: 'ended without approval' };
    await record({ state: 'completed', step: null });
    return { state: 'completed' };
  });
}
