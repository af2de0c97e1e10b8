// Approval terms and grants for workflow tests in the time-skipping server: the terms an MSP operator's
// request carries (MSP roles may approve, a day to decide) and an MSP admin's approve grant for a run,
// both under a grant key of the test's own.
import crypto from 'node:crypto';
import { grantPublicKey, signGrant } from '../../protocol/approval-grant.ts';
import type { ApprovalTerms } from '../../workflows/job-record.ts';

export const TEST_ADMIN = { userId: 'u-admin', email: 'admin@example.com', role: 'msp_admin' };

/** An operator's request's approval terms, `phrase` to type. */
export const testApprovalTerms = (seed: string, phrase: string): ApprovalTerms => ({
  requestedBy: { userId: 'u-operator', email: 'operator@example.com', role: 'msp_operator' },
  approvalGrantKey: grantPublicKey(seed),
  approvalPhrase: phrase,
  approverRoles: ['msp_admin', 'msp_operator'],
  forbidSelfApproval: false,
  approvalTimeoutSeconds: 24 * 3600,
});

/** The MSP admin's grant approving the run `workflowId` with `phrase` typed. */
export const testApproveGrant = (seed: string, workflowId: string, phrase: string) =>
  signGrant(seed, {
    v: 1,
    decision: 'approve',
    workflowId,
    jobId: workflowId,
    phrase,
    ...TEST_ADMIN,
    organizationId: 'org',
    reason: null,
    issuedAt: new Date(0).toISOString(),
    notAfter: '9999-12-31T00:00:00.000Z',
    nonce: crypto.randomUUID(),
  });
