// Whether a rollout's approval covers one of its children (ADR 0030). The rollout's approvals were each
// checked against Postgres when they were given (activities/jobs.ts confirmDecision); a child job may
// have stricter terms (its permission's approval policy: more people, named roles, no self-approval). The
// child is covered only when the rollout's approvers would each have been allowed to approve the child,
// and there are as many of them as it needs; then they are copied onto its record (via "rollout"), which
// is what lets the control plane sign its node steps. Otherwise the target fails with why, and nothing runs.
import type { JobApproval } from '../../db/schema.ts';
import type { ApprovalTerms } from '../../workflows/job-record.ts';
import { ConflictError } from '../errors.ts';
import { approvalsOfRequest } from '../jobs/approvers.ts';

export interface RolloutApprovals {
  jobId: string;
  requestedBy: string | null;
  approvals: readonly JobApproval[];
}

export function coveringApprovals(rollout: RolloutApprovals, terms: Partial<ApprovalTerms>): JobApproval[] {
  if (!terms.approverRoles) return [];
  const allowed = approvalsOfRequest(rollout.approvals, 'approval').filter(
    (a) => terms.approverRoles!.includes(a.role) && !(terms.forbidSelfApproval && a.userId === rollout.requestedBy),
  );
  const people = [...new Map(allowed.map((a) => [a.userId, a])).values()];
  const needed = terms.approvalsNeeded ?? 1;
  if (people.length < needed) {
    throw new ConflictError(
      'id',
      `The rollout's approval does not cover this target: its policy needs ${needed} approval(s) by ${terms.approverRoles.join(', ')}${terms.forbidSelfApproval ? ', not the requester' : ''}; the rollout has ${people.length}.`,
    );
  }
  return people.map((a) => ({ ...a, via: 'rollout', rolloutJobId: rollout.jobId }));
}
