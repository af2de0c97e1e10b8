// The control plane's activities as mocks, for workflow tests in the time-skipping server whose node's
// agent is a mock too: the job's record kept in a call log, a decision's grant believed as it comes, an
// envelope "signed" with what it was asked, and the agent's result believed as it comes. (The real ones
// have their own tests: activities/jobs, activities/node-jobs.)
import type { JobActivities } from '../../activities/jobs.ts';
import type { NodeDispatchActivities } from '../../activities/node-jobs.ts';
import type { JobEnvelope, JobResult } from '../../protocol/envelope.ts';
import { callLog } from './time-skipping.ts';

/** The activities mockJobRecord and mockNodeDispatch stand for (for useTimeSkipping's list). */
export const MOCKED_JOB_ACTIVITIES = ['updateJob', 'confirmDecision', 'signNodeJob', 'verifyNodeResult', 'recordNodeJobRefusal'] as const;

/** updateJob into `updates`, and confirmDecision that takes the grant's person as the approver. */
export function mockJobRecord() {
  const updates = callLog<Parameters<JobActivities['updateJob']>[0]>();
  const activities: Pick<JobActivities, 'updateJob' | 'confirmDecision'> = {
    async updateJob(u) {
      updates.add(u);
    },
    async confirmDecision(c) {
      return { ok: true, by: { userId: c.grant.userId, email: c.grant.email, role: c.grant.role } };
    },
  };
  return { updates, activities };
}

export function mockNodeDispatch(): Pick<NodeDispatchActivities, 'signNodeJob' | 'verifyNodeResult' | 'recordNodeJobRefusal'> {
  return {
    signNodeJob: (async (input: { envelopeId: string; nodeId: string; action: string; params: unknown }) => ({
      v: 1,
      envelopeId: input.envelopeId,
      jobId: 'job',
      nodeId: input.nodeId,
      agentKey: '0123456789abcdef',
      action: input.action,
      params: input.params,
      issuedAt: new Date().toISOString(),
      notAfter: '9999-12-31T00:00:00.000Z',
      signature: 'mock',
    })) as unknown as NodeDispatchActivities['signNodeJob'],
    verifyNodeResult: (async (input: { result: { output: unknown } }) => input.result.output) as unknown as NodeDispatchActivities['verifyNodeResult'],
    async recordNodeJobRefusal() {},
  };
}

/** The mock agent's answer to `envelope`: `output`, as a signed result looks. */
export const mockAgentResult = (envelope: JobEnvelope, output: unknown): JobResult =>
  ({ v: 1, envelopeId: envelope.envelopeId, nodeId: envelope.nodeId, ok: true, output, finishedAt: new Date().toISOString(), signature: 'mock' }) as JobResult;
