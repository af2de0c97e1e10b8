// Who may decide a job's waiting approval request, in one place: the confirming activity (which alone
// records a decision, ADR 0010), the console's authorization of a decision, the Approvals inbox and the
// dashboard's count all ask here. An approver holds a role the job's policy names (MSP roles only), or
// belongs to an approver group it names (of the job's organization, or MSP-wide); membership is read
// now, so a person removed from a group cannot approve a request that was already waiting.
import { and, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { approverGroupMembers, approverGroups, jobs, organizations, type JobApproval, type JobApprovalPolicy, type Role } from '../../db/schema.ts';
import { APPROVER_ROLES } from '../authz.ts';

type JobFacts = { organizationId: string; approvalPolicy: JobApprovalPolicy | null };
type Person = { userId: string; role: Role };

const rolesOf = (policy: JobApprovalPolicy | null): readonly Role[] => (policy?.approverRoles ?? APPROVER_ROLES).filter((r) => APPROVER_ROLES.includes(r));

/** Whether the person may approve or reject the job's requests, by role or by a named group (read now). */
export async function mayDecide(db: Executor, person: Person, job: JobFacts): Promise<boolean> {
  if (rolesOf(job.approvalPolicy).includes(person.role)) return true;
  const groupIds = job.approvalPolicy?.approverGroupIds ?? [];
  if (!groupIds.length) return false;
  const [member] = await db
    .select({ groupId: approverGroupMembers.groupId })
    .from(approverGroupMembers)
    .innerJoin(approverGroups, eq(approverGroups.id, approverGroupMembers.groupId))
    .innerJoin(organizations, eq(organizations.id, approverGroups.organizationId))
    .where(
      and(
        eq(approverGroupMembers.userId, person.userId),
        inArray(approverGroupMembers.groupId, groupIds),
        or(eq(approverGroups.organizationId, job.organizationId), eq(organizations.kind, 'msp')),
      ),
    )
    .limit(1);
  return Boolean(member);
}

const ofRequest = (a: JobApproval, request: string | null) => Boolean(a.userId) && (a.request ?? 'approval') === (request ?? 'approval');

/** The approvals given so far to the request (the job's step while it waits), one per person. */
export const approvalsOfRequest = (approvals: readonly JobApproval[], request: string | null): JobApproval[] => {
  const given = approvals.filter((a) => a.outcome === 'approved' && ofRequest(a, request));
  return given.filter((a, i) => given.findIndex((b) => b.userId === a.userId) === i);
};

/** Distinct people the job's requests need. */
export const approvalsNeededOf = (policy: JobApprovalPolicy | null): number => policy?.approvalsNeeded ?? 1;

type JobDecisions = { state: string; step: string | null; approvals: readonly JobApproval[]; approvalPolicy: JobApprovalPolicy | null };

/**
 * The job's current approval request: the one it waits on, else the one its last recorded decision was on
 * (a job that never waited, such as a rollout's child with its rollout's approvals copied: `approval`).
 */
export function currentRequest(job: JobDecisions): string {
  if (job.state === 'waiting_for_approval') return job.step ?? 'approval';
  return job.approvals.findLast((a) => a.userId && a.outcome !== 'ignored')?.request ?? 'approval';
}

/** Whether a person rejected or cancelled the request: one rejection ends it for good. */
export const requestRefused = (job: JobDecisions, request = currentRequest(job)): boolean =>
  job.approvals.some((a) => (a.outcome === 'rejected' || a.outcome === 'cancelled') && ofRequest(a, request));

/**
 * Whether the job's current request is approved as its policy asks, from its record in Postgres: as many
 * distinct people as it needs approved that very request, and nobody rejected or cancelled it. What the
 * approval that completes a request (confirmDecision), the signing of a node step, and every record that
 * needs an approval ask (ADR 0010): a run's own word, its state or its step, is never enough. A rollout
 * names the request it asks about (`approval`, or `canary approval` after its canary).
 */
export function requestApproved(job: JobDecisions, request = currentRequest(job)): boolean {
  return !requestRefused(job, request) && approvalsOfRequest(job.approvals, request).length >= approvalsNeededOf(job.approvalPolicy);
}

/**
 * SQL: the job waits for a decision this person may give: by role or group, not their own request where
 * self-approval is forbidden, and not one they already approved.
 */
export function awaitingDecisionBy(person: Person): SQL {
  const roles = sql`coalesce(${jobs.approvalPolicy}->'approverRoles', ${JSON.stringify(APPROVER_ROLES)}::jsonb)`;
  const byRole = APPROVER_ROLES.includes(person.role) ? sql`${roles} @> jsonb_build_array(${person.role}::text)` : sql`false`;
  const byGroup = sql`exists (select 1 from ${approverGroupMembers} m join ${approverGroups} g on g.id = m.group_id join ${organizations} o on o.id = g.organization_id
    where m.user_id = ${person.userId}::uuid and (g.organization_id = ${jobs.organizationId} or o.kind = 'msp')
    and coalesce(${jobs.approvalPolicy}->'approverGroupIds', '[]'::jsonb) @> jsonb_build_array(g.id::text))`;
  const ownForbidden = sql`(coalesce((${jobs.approvalPolicy}->>'forbidSelfApproval')::boolean, false) and ${jobs.requestedBy} is not distinct from ${person.userId}::uuid)`;
  const alreadyApproved = sql`${jobs.approvals} @> jsonb_build_array(jsonb_build_object('userId', ${person.userId}::text, 'outcome', 'approved', 'request', coalesce(${jobs.step}, 'approval')))`;
  return sql`(${eq(jobs.state, 'waiting_for_approval')} and (${byRole} or ${byGroup}) and not ${ownForbidden} and not ${alreadyApproved})`;
}
