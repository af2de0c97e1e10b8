// The decision rules the workflow's validators apply, as a pure function: a decision stands only on a
// grant the console signed for this run (ADR 0010), and each refusal is one sentence.
import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { grantPublicKey, signGrant, type GrantClaims, type GrantDecision } from '../protocol/approval-grant.ts';
import { decisionProblem, type ApprovalPolicy } from './approval.ts';

const seed = crypto.randomBytes(32).toString('hex');
const WORKFLOW = 'deploy-openclaw-job-1';
const policy: ApprovalPolicy = {
  jobId: 'job-1',
  phrase: 'deploy openclaw to edge-01',
  approverRoles: ['msp_admin', 'msp_operator'],
  approverGroupIds: [],
  approvalsNeeded: 1,
  requesterId: 'u-requester',
  forbidSelfApproval: false,
  grantKey: grantPublicKey(seed),
  expiresAt: 10_000,
};
const grant = (over: Partial<GrantClaims> = {}) => ({
  grant: signGrant(seed, {
    v: 1,
    decision: 'approve',
    workflowId: WORKFLOW,
    jobId: 'job-1',
    phrase: policy.phrase,
    userId: 'u-admin',
    email: 'admin@example.com',
    role: 'msp_admin',
    organizationId: 'org-msp',
    reason: null,
    issuedAt: new Date(0).toISOString(),
    notAfter: new Date(600_000).toISOString(),
    nonce: crypto.randomUUID(),
    ...over,
  }),
});
const problem = (input: ReturnType<typeof grant> | undefined, decision: GrantDecision = 'approve', now = 0, p = policy, approvedBy: string[] = []) =>
  decisionProblem(p, input, decision, now, WORKFLOW, approvedBy);

describe('decisionProblem', () => {
  it('accepts the exact phrase from an allowed role, proved by a grant for this run, before the expiry', () => {
    expect(problem(grant(), 'approve', 9_999)).toBeUndefined();
  });
  it('refuses a phrase that is not exactly the one shown (case, spaces, a prefix)', () => {
    for (const phrase of ['Deploy openclaw to edge-01', 'deploy openclaw to edge-01 ', 'deploy openclaw', '']) {
      expect(problem(grant({ phrase }))).toBe('The phrase does not match: type exactly "deploy openclaw to edge-01".');
    }
  });
  it('refuses a role that may not approve, naming the roles that may', () => {
    expect(problem(grant({ role: 'company_admin' }))).toBe('A company admin may not approve this; it needs one of: msp_admin, msp_operator.');
  });
  it('refuses after the expiry', () => {
    expect(problem(grant(), 'approve', 10_000)).toBe('This approval request has expired.');
  });
  it("refuses the requester's own approval only where the organization forbids it", () => {
    expect(problem(grant({ userId: 'u-requester' }))).toBeUndefined();
    expect(problem(grant({ userId: 'u-requester' }), 'approve', 0, { ...policy, forbidSelfApproval: true })).toBe(
      'This organization does not let the requester approve their own request.',
    );
  });
  it('refuses a claimed identity without a grant, a forged grant, and one for another run or decision', () => {
    expect(problem({ phrase: policy.phrase, approver: { userId: 'u', email: 'boss@msp', role: 'msp_admin' } } as never)).toBe(
      'No approval grant was given (ask the console for one).',
    );
    expect(problem(undefined)).toBe('No approval grant was given (ask the console for one).');
    const forged = grant();
    forged.grant.userId = 'someone-else';
    expect(problem(forged)).toBe("The approval grant is not signed by this product's console (forged or altered).");
    expect(problem(grant({ workflowId: 'deploy-openclaw-job-2' }))).toBe('The approval grant is for another run.');
    expect(problem(grant({ decision: 'reject' }))).toBe('The approval grant is for reject, not approve.');
  });
  it('lets an approver reject, the requester cancel, and refuses either to others', () => {
    expect(problem(grant({ decision: 'reject', phrase: null }), 'reject')).toBeUndefined();
    expect(problem(grant({ decision: 'reject', phrase: null, role: 'company_user' }), 'reject')).toBe('A company user may not reject this request.');
    expect(problem(grant({ decision: 'cancel', phrase: null, userId: 'u-requester', role: 'company_admin' }), 'cancel')).toBeUndefined();
    expect(problem(grant({ decision: 'cancel', phrase: null, role: 'company_admin' }), 'cancel')).toBe('A company admin may not cancel this request.');
  });
  it('with N-of-M, refuses a second approval by the same person, naming how many different people it needs', () => {
    const twoOf = { ...policy, approvalsNeeded: 2 };
    expect(problem(grant(), 'approve', 0, twoOf, ['u-other'])).toBeUndefined();
    expect(problem(grant(), 'approve', 0, twoOf, ['u-admin'])).toBe('You already approved this; it needs 2 approvals by different people.');
  });
  it('leaves a role outside the policy to Postgres when the policy names approver groups (membership is checked there), and refuses it otherwise', () => {
    const grouped = { ...policy, approverRoles: [], approverGroupIds: ['g-acme'] };
    expect(problem(grant({ role: 'company_user' }), 'approve', 0, grouped)).toBeUndefined();
    expect(problem(grant({ decision: 'reject', phrase: null, role: 'company_user' }), 'reject', 0, grouped)).toBeUndefined();
    expect(problem(grant({ role: 'company_user' }), 'approve', 0, { ...policy, approverRoles: [] })).toBe('A company user may not approve this; it needs one of: nobody.');
  });
});
