// How approvals are counted wherever they are used (ADR 0033): distinct people of one request, and a
// rejection or cancellation of that request ends it whatever else was given.
import { describe, expect, it } from '@jest/globals';
import type { JobApproval, JobApprovalPolicy } from '../../db/schema.ts';
import { currentRequest, requestApproved } from './approvers.ts';

const decision = (userId: string, outcome: JobApproval['outcome'], request: string): JobApproval => ({
  at: '2026-12-01T00:00:00.000Z',
  by: `${userId}@example.com`,
  role: 'msp_admin',
  via: 'console',
  outcome,
  userId,
  request,
});
const twoNeeded: JobApprovalPolicy = { approverRoles: ['msp_admin'], forbidSelfApproval: true, approvalsNeeded: 2 };
const rollout = (approvals: JobApproval[]) => ({ state: 'running', step: 'canary approval', approvals, approvalPolicy: twoNeeded });

describe('requestApproved', () => {
  it('counts distinct people of the named request only', () => {
    const job = rollout([
      decision('a', 'approved', 'approval'),
      decision('b', 'approved', 'approval'),
      decision('a', 'approved', 'canary approval'),
      decision('a', 'approved', 'canary approval'),
    ]);
    expect(requestApproved(job, 'approval')).toBe(true);
    expect(requestApproved(job, 'canary approval')).toBe(false); // one person twice
    expect(requestApproved(rollout([...job.approvals, decision('c', 'approved', 'canary approval')]), 'canary approval')).toBe(true);
  });

  it('is ended by a rejection of that request, whoever approved it besides', () => {
    const job = rollout([
      decision('a', 'approved', 'approval'),
      decision('b', 'approved', 'approval'),
      decision('a', 'rejected', 'canary approval'),
      decision('b', 'approved', 'canary approval'),
      decision('c', 'approved', 'canary approval'),
    ]);
    expect(requestApproved(job, 'canary approval')).toBe(false);
    expect(requestApproved(job, 'approval')).toBe(true);
    // Without a request named: the one the last decision was on.
    expect(currentRequest(job)).toBe('canary approval');
    expect(requestApproved(job)).toBe(false);
  });
});
