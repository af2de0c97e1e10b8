// The approval rules the workflow's validator applies, as a pure function: each refusal in one sentence.
import { describe, expect, it } from '@jest/globals';
import { approvalProblem, type ApprovalPolicy } from './approval.ts';

const policy: ApprovalPolicy = {
  phrase: 'deploy openclaw to edge-01', approverRoles: ['msp_admin', 'msp_operator'], requesterId: 'u-requester', forbidSelfApproval: false, expiresAt: 10_000,
};
const admin = { userId: 'u-admin', email: 'admin@example.com', role: 'msp_admin' };

describe('approvalProblem', () => {
  it('accepts the exact phrase from an allowed role before the expiry', () => {
    expect(approvalProblem(policy, { phrase: 'deploy openclaw to edge-01', approver: admin }, 9_999)).toBeUndefined();
  });
  it('refuses a phrase that is not exactly the one shown (case, spaces, a prefix)', () => {
    for (const phrase of ['Deploy openclaw to edge-01', 'deploy openclaw to edge-01 ', 'deploy openclaw', '']) {
      expect(approvalProblem(policy, { phrase, approver: admin }, 0)).toBe('The phrase does not match: type exactly "deploy openclaw to edge-01".');
    }
  });
  it('refuses a role that may not approve, naming the roles that may', () => {
    expect(approvalProblem(policy, { phrase: policy.phrase, approver: { ...admin, role: 'company_admin' } }, 0))
      .toBe('A company admin may not approve this; it needs one of: msp_admin, msp_operator.');
  });
  it('refuses after the expiry', () => {
    expect(approvalProblem(policy, { phrase: policy.phrase, approver: admin }, 10_000)).toBe('This approval request has expired.');
  });
  it('refuses the requester\'s own approval only where the organization forbids it', () => {
    const own = { phrase: policy.phrase, approver: { ...admin, userId: 'u-requester' } };
    expect(approvalProblem(policy, own, 0)).toBeUndefined();
    expect(approvalProblem({ ...policy, forbidSelfApproval: true }, own, 0)).toBe('This organization does not let the requester approve their own request.');
  });
  it('refuses a malformed approval (as a signal from the CLI might carry)', () => {
    expect(approvalProblem(policy, { phrase: policy.phrase } as never, 0)).toBe('An approval needs a phrase and the approver (userId, email, role).');
    expect(approvalProblem(policy, undefined, 0)).toBe('An approval needs a phrase and the approver (userId, email, role).');
  });
});
