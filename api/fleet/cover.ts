// Whether a rollout's approval covers one of its children (ADR 0030). The rollout's approvals were each
// checked against Postgres when they were given (activities/jobs.ts confirmDecision); a child job may
// have stricter terms (its permission's approval policy: more people, named roles, no self-approval). The
// child is covered only when the rollout's approvers would each have been allowed to approve the child
// now (read again when the child is recorded: still active, still of a role or group its terms name, able
// to see its organization), each approval no older than the child's own request would have waited, and
// there are as many of them as it needs; then they are copied onto its record (via "rollout"), which is
// what lets the control plane sign its node steps. Otherwise the target fails with why, and nothing runs.
import { inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { users, type JobApproval, type JobApprovalPolicy, type Role } from '../../db/schema.ts';
import type { ApprovalTerms } from '../../workflows/job-record.ts';
import { MSP_ROLES } from '../authz.ts';
import { ConflictError } from '../errors.ts';
import { approvalsOfRequest, mayDecide } from '../jobs/approvers.ts';

export interface RolloutApprovals {
  jobId: string;
  requestedBy: string | null;
  approvals: readonly JobApproval[];
}

/** The rollout's approvers as they are now: who among them may approve the child today. */
export interface ApproversNow {
  allowed: ReadonlySet<string>;
  at: Date;
}

export function coveringApprovals(rollout: RolloutApprovals, terms: Partial<ApprovalTerms>, now: ApproversNow): JobApproval[] {
  if (!terms.approverRoles) return [];
  const given = approvalsOfRequest(rollout.approvals, 'approval').filter(
    (a) => terms.approverRoles!.includes(a.role) && !(terms.forbidSelfApproval && a.userId === rollout.requestedBy),
  );
  const maxAgeMs = (terms.approvalTimeoutSeconds ?? Infinity) * 1000;
  const stale = given.filter((a) => now.at.getTime() - Date.parse(a.at) > maxAgeMs);
  const gone = given.filter((a) => !now.allowed.has(a.userId!));
  const allowed = given.filter((a) => !stale.includes(a) && !gone.includes(a));
  const people = [...new Map(allowed.map((a) => [a.userId, a])).values()];
  const needed = terms.approvalsNeeded ?? 1;
  if (people.length < needed) {
    const why = [
      stale.length ? `${stale.length} given more than ${terms.approvalTimeoutSeconds} s ago` : '',
      gone.length ? `${gone.length} by people no longer active or allowed` : '',
    ].filter(Boolean);
    throw new ConflictError(
      'id',
      `The rollout's approval does not cover this target: its policy needs ${needed} approval(s) by ${terms.approverRoles.join(', ')}${terms.forbidSelfApproval ? ', not the requester' : ''}; the rollout has ${people.length}${why.length ? ` (not counted: ${why.join('; ')})` : ''}.`,
    );
  }
  return people.map((a) => ({ ...a, via: 'rollout', rolloutJobId: rollout.jobId }));
}

/** Who of the rollout's approvers may approve a child of `organizationId` under `terms` now, read from Postgres. */
export async function approversNow(db: Executor, approvals: readonly JobApproval[], terms: Partial<ApprovalTerms>, organizationId: string): Promise<ApproversNow> {
  const ids = [...new Set(approvalsOfRequest(approvals, 'approval').map((a) => a.userId!))];
  const people = ids.length ? await db.select().from(users).where(inArray(users.id, ids)) : [];
  const policy: JobApprovalPolicy | null = terms.approverRoles
    ? { approverRoles: terms.approverRoles as Role[], approverGroupIds: terms.approverGroupIds ?? [], forbidSelfApproval: terms.forbidSelfApproval ?? false }
    : null;
  const allowed = new Set<string>();
  for (const person of people) {
    if (!person.active || (!MSP_ROLES.includes(person.role) && person.organizationId !== organizationId)) continue;
    if (await mayDecide(db, { userId: person.id, role: person.role }, { organizationId, approvalPolicy: policy })) allowed.add(person.id);
  }
  return { allowed, at: new Date() };
}
