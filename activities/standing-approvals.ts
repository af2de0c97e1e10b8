// A scheduled run's gated step meets the schedule's standing approvals (api/schedules/standing-approvals.ts)
// when it opens its approval: each live one (not revoked, not expired, runs left) whose approver may still
// approve this step now (the one rule set, api/jobs/approvers.ts, with the step's policy as the run asks
// it), who is not the requester where self-approval is forbidden and has not approved this step yet,
// counts as that person's approval, recorded on the job like any other (via `standing`) and audited. A run
// uses a standing approval once however many of its steps it covers; a retried activity uses none twice.
import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { approvalsOfRequest, mayDecide } from '../api/jobs/approvers.ts';
import { recordAudit } from '../db/audit.ts';
import type { Executor } from '../db/client.ts';
import { organizations, standingApprovals, users, type JobApproval, type JobApprovalPolicy } from '../db/schema.ts';
import type { Approver } from '../workflows/approval.ts';
import type { JobRecord } from './calling-run.ts';

export const standingNonce = (standingApprovalId: string) => `standing:${standingApprovalId}`;

export async function useStandingApprovals(
  tx: Executor,
  job: JobRecord,
  stepId: string,
  policy: Required<JobApprovalPolicy>,
): Promise<{ approvers: Approver[]; entries: JobApproval[] }> {
  const scheduleId = job.params.scheduleId;
  if (typeof scheduleId !== 'string') return { approvers: [], entries: [] };
  const given = approvalsOfRequest(job.approvals, stepId);
  const approvers: Approver[] = given.filter((a) => a.via === 'standing').map((a) => ({ userId: a.userId!, email: a.by, role: a.role }));
  if (approvers.length) return { approvers, entries: [] }; // this step already met them (a retried activity)
  const now = new Date();
  const rows = await tx
    .select({ r: standingApprovals, person: users })
    .from(standingApprovals)
    .innerJoin(users, eq(users.id, standingApprovals.approverId))
    .where(
      and(
        eq(standingApprovals.scheduleId, scheduleId),
        isNull(standingApprovals.revokedAt),
        or(isNull(standingApprovals.stepId), eq(standingApprovals.stepId, stepId)),
        or(isNull(standingApprovals.expiresAt), gt(standingApprovals.expiresAt, now)),
        or(isNull(standingApprovals.maxRuns), lt(standingApprovals.runsUsed, standingApprovals.maxRuns)),
      ),
    )
    .orderBy(standingApprovals.createdAt)
    .for('update', { of: standingApprovals });
  const [org] = await tx.select({ forbid: organizations.forbidSelfApproval }).from(organizations).where(eq(organizations.id, job.organizationId));
  const entries: JobApproval[] = [];
  const seen = new Set(given.map((a) => a.userId));
  for (const { r, person } of rows) {
    if (given.length + entries.length >= policy.approvalsNeeded) break;
    if (!person.active || seen.has(person.id)) continue;
    if ((org?.forbid || policy.forbidSelfApproval) && person.id === job.requestedBy) continue;
    if (!(await mayDecide(tx, { userId: person.id, role: person.role }, { organizationId: job.organizationId, approvalPolicy: policy }))) continue;
    // One use per run, whichever of its steps it covers.
    if (!job.approvals.some((a) => a.nonce === standingNonce(r.id)))
      await tx
        .update(standingApprovals)
        .set({ runsUsed: sql`${standingApprovals.runsUsed} + 1` })
        .where(eq(standingApprovals.id, r.id));
    seen.add(person.id);
    entries.push({
      at: now.toISOString(),
      by: person.email,
      role: person.role,
      via: 'standing',
      outcome: 'approved',
      userId: person.id,
      nonce: standingNonce(r.id),
      request: stepId,
      reason: `standing approval${r.note ? `: ${r.note}` : ''}`,
    });
    await recordAudit(tx, {
      actorType: 'person',
      actorId: person.id,
      actorLabel: `${person.email} via standing approval`,
      organizationId: job.organizationId,
      action: 'job.approve',
      targetType: 'job',
      targetId: job.id,
      outcome: 'success',
      details: { type: job.type, step: stepId, standingApprovalId: r.id, scheduleId },
    });
  }
  return { approvers: [...approvers, ...entries.map((e) => ({ userId: e.userId!, email: e.by, role: e.role }))], entries };
}
