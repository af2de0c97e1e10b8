// Whether a rollout's approval covers a child's terms: the right people (still allowed now), recent enough, as many as it needs.
import { describe, expect, it } from '@jest/globals';
import type { JobApproval } from '../../db/schema.ts';
import { coveringApprovals } from './cover.ts';

const approval = (userId: string, role: string, request = 'approval'): JobApproval => ({
  at: '2026-12-01T00:00:00.000Z',
  by: `${userId}@example.com`,
  role,
  via: 'console',
  outcome: 'approved',
  userId,
  nonce: `n-${userId}`,
  request,
});
const rollout = (approvals: JobApproval[]) => ({ jobId: 'r1', requestedBy: 'op', approvals });
const terms = { approverRoles: ['msp_admin', 'msp_operator'], approvalsNeeded: 1, forbidSelfApproval: false, approvalTimeoutSeconds: 3600 };
/** Everyone still allowed, half an hour after the approvals. */
const now = { allowed: new Set(['a', 'b', 'op']), at: new Date('2026-12-01T00:30:00.000Z') };

describe('coveringApprovals', () => {
  it('needs nothing for a job without approval terms', () => {
    expect(coveringApprovals(rollout([]), {}, now)).toEqual([]);
  });

  it("copies the rollout's approvals that the child's terms allow, marked as the rollout's", () => {
    expect(coveringApprovals(rollout([approval('a', 'msp_admin')]), terms, now)).toEqual([{ ...approval('a', 'msp_admin'), via: 'rollout', rolloutJobId: 'r1' }]);
  });

  it('refuses when the child needs more people, other roles, or not the requester', () => {
    const given = rollout([approval('a', 'msp_admin'), approval('op', 'msp_operator')]);
    expect(() => coveringApprovals(given, { ...terms, approvalsNeeded: 3 }, now)).toThrow(/needs 3 approval\(s\).*the rollout has 2/);
    expect(() => coveringApprovals(given, { ...terms, approverRoles: ['company_admin'] }, now)).toThrow(/the rollout has 0/);
    expect(() => coveringApprovals(given, { ...terms, approvalsNeeded: 2, forbidSelfApproval: true }, now)).toThrow(/not the requester; the rollout has 1/);
    // The approval after the canary is no approval of the rollout as a whole.
    expect(() => coveringApprovals(rollout([approval('a', 'msp_admin', 'canary approval')]), terms, now)).toThrow(/the rollout has 0/);
  });

  it('counts neither a person no longer allowed (deactivated, role or group changed) nor an approval older than the child would wait', () => {
    const given = rollout([approval('a', 'msp_admin'), approval('b', 'msp_admin')]);
    expect(coveringApprovals(given, { ...terms, approvalsNeeded: 2 }, now)).toHaveLength(2);
    expect(() => coveringApprovals(given, { ...terms, approvalsNeeded: 2 }, { ...now, allowed: new Set(['a']) })).toThrow(
      /the rollout has 1 \(not counted: 1 by people no longer active or allowed\)/,
    );
    expect(() => coveringApprovals(given, { ...terms, approvalTimeoutSeconds: 1200 }, now)).toThrow(/the rollout has 0 \(not counted: 2 given more than 1200 s ago\)/);
  });
});
