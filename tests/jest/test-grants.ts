// Approval grants for workflow tests: what the web process signs for one person and one run (ADR 0010),
// signed here with the test's own seed, good for ever (the time-skipping server's clock runs ahead).
import crypto from 'node:crypto';
import { grantPublicKey, signGrant, type ApprovalGrant } from '../../protocol/approval-grant.ts';
import type { ApprovalTerms } from '../../workflows/job-record.ts';

export const approveGrantFor = (seed: string, workflowId: string, phrase: string, by: { userId: string; email: string; role: string }): ApprovalGrant =>
  signGrant(seed, {
    v: 1,
    decision: 'approve',
    workflowId,
    jobId: workflowId,
    phrase,
    ...by,
    organizationId: 'org',
    reason: null,
    issuedAt: new Date(0).toISOString(),
    notAfter: '9999-12-31T00:00:00.000Z',
    nonce: crypto.randomUUID(),
  });

/** A job's approval terms as the console sets them: an operator's request, MSP staff may approve, a day to do it. */
export const operatorRequestTerms = (seed: string, phrase: string): ApprovalTerms => ({
  requestedBy: { userId: 'u-operator', email: 'operator@example.com', role: 'msp_operator' },
  approvalGrantKey: grantPublicKey(seed),
  approvalPhrase: phrase,
  approverRoles: ['msp_admin', 'msp_operator'],
  forbidSelfApproval: false,
  approvalTimeoutSeconds: 24 * 3600,
});
