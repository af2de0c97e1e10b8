// Standing approvals (issue 15): a person who may approve a scheduled definition's confirmations says yes
// in advance, for up to N runs or until a date, so that a 3 a.m. run does not wait for anyone; without one,
// each run's confirmation waits and expires by its policy as usual. Granted by the approver themselves,
// only for steps they may approve now (the one rule set, api/jobs/approvers.ts, with the approval policy
// each run would ask); used by a run only if they still may then (activities/standing-approvals.ts), and
// recorded on the run as their approval of that step. Revocable by them and by whoever manages the schedule.
import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { organizations, standingApprovals, users } from '../../db/schema.ts';
import { auditTarget, recordDenied, recordSuccess } from '../audit/record.ts';
import { can, type ServiceContext } from '../authz.ts';
import { displayText } from '../display-text.ts';
import { ConflictError, ForbiddenError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { mayDecide } from '../jobs/approvers.ts';
import { findSchedule, ownerActorOf, ownerWarningOf, policyOf } from './service.ts';

export const GrantStandingApprovalInput = z
  .object({
    stepId: z.string('stepId must be text').max(100).optional().describe('The step it approves; default every step that asks for a confirmation'),
    maxRuns: z.number('maxRuns must be a number').int('maxRuns must be a whole number').min(1, 'maxRuns is at least 1').max(1000, 'maxRuns is at most 1000').optional(),
    expiresAt: z.iso.datetime({ offset: true, error: 'expiresAt must be a date and time such as 2026-12-31T00:00:00Z' }).optional(),
    note: displayText('note', 500, { trim: true }).default(''),
  })
  .superRefine((v, c) => {
    if (v.maxRuns === undefined && v.expiresAt === undefined)
      c.addIssue({ code: 'custom', path: ['maxRuns'], message: 'maxRuns or expiresAt is required: a standing approval ends' });
    if (v.expiresAt && Date.parse(v.expiresAt) <= Date.now()) c.addIssue({ code: 'custom', path: ['expiresAt'], message: 'expiresAt must be in the future' });
  });

export const StandingApprovalOutput = z.object({
  id: z.string().uuid(),
  scheduleId: z.string().uuid(),
  stepId: z.string().nullable(),
  approver: z.string(),
  maxRuns: z.number().int().nullable(),
  runsUsed: z.number().int(),
  expiresAt: z.string().nullable(),
  note: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
export type StandingApprovalOutput = z.infer<typeof StandingApprovalOutput>;

const toOutput = (r: typeof standingApprovals.$inferSelect, approver: string): StandingApprovalOutput => ({
  id: r.id,
  scheduleId: r.scheduleId,
  stepId: r.stepId,
  approver,
  maxRuns: r.maxRuns,
  runsUsed: r.runsUsed,
  expiresAt: r.expiresAt?.toISOString() ?? null,
  note: r.note,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
});

/** The schedule's standing approvals that are not revoked, oldest first. */
export async function listStandingApprovals(ctx: ServiceContext, scheduleId: string): Promise<StandingApprovalOutput[]> {
  await findSchedule(ctx, scheduleId, 'schedule.pre_approve');
  const rows = await ctx.db
    .select({ r: standingApprovals, approver: users.email })
    .from(standingApprovals)
    .innerJoin(users, eq(users.id, standingApprovals.approverId))
    .where(and(eq(standingApprovals.scheduleId, scheduleId), isNull(standingApprovals.revokedAt)))
    .orderBy(standingApprovals.createdAt);
  return rows.map(({ r, approver }) => toOutput(r, approver));
}

export async function grantStandingApproval(ctx: ServiceContext, scheduleId: string, input: unknown): Promise<StandingApprovalOutput> {
  const { s } = await findSchedule(ctx, scheduleId, 'schedule.pre_approve');
  const body = parseInput(GrantStandingApprovalInput, input ?? {});
  // What each run would ask, as its owner's runs ask it (a company approver may not build definitions).
  const gone = await ownerWarningOf(ctx.db, s.createdBy);
  if (gone) throw new ConflictError('id', gone);
  const owner = await ownerActorOf(ctx.db, s.createdBy);
  if (!can(owner, 'workflow_definition.build', { organizationId: s.organizationId }))
    throw new ConflictError('id', 'The schedule’s owner may no longer build this organization’s workflows: what its runs ask cannot be worked out in their name.');
  const { confirmations } = await policyOf({ db: ctx.db, actor: owner }, s.definitionId, undefined, false);
  const covered = body.stepId === undefined ? confirmations : confirmations.filter((c) => c.stepId === body.stepId);
  if (!covered.length)
    throw new ConflictError(
      body.stepId === undefined ? 'id' : 'stepId',
      body.stepId === undefined ? 'No step of this schedule’s runs asks for a confirmation now.' : `Step "${body.stepId}" asks for no confirmation now.`,
    );
  const [org] = await ctx.db.select({ forbid: organizations.forbidSelfApproval }).from(organizations).where(eq(organizations.id, s.organizationId));
  const target = auditTarget('schedule', s);
  for (const c of covered) {
    const policy = { approverRoles: c.approverRoles as never, approverGroupIds: c.approverGroupIds, forbidSelfApproval: false };
    if (!(await mayDecide(ctx.db, ctx.actor, { organizationId: s.organizationId, approvalPolicy: policy }))) {
      await recordDenied(ctx.db, ctx.actor, 'schedule.standing_approval.grant', target, `may not approve step ${c.stepId}`);
      throw new ForbiddenError(`You may not approve step "${c.name}" of this schedule’s runs, so you cannot approve it in advance.`);
    }
  }
  if (org?.forbid && ctx.actor.userId === s.createdBy) {
    await recordDenied(ctx.db, ctx.actor, 'schedule.standing_approval.grant', target, 'self-approval forbidden');
    throw new ForbiddenError('This organization does not let the requester approve their own request: the schedule’s runs are yours.');
  }
  const [row] = await ctx.db
    .insert(standingApprovals)
    .values({
      scheduleId: s.id,
      stepId: body.stepId ?? null,
      approverId: ctx.actor.userId,
      maxRuns: body.maxRuns ?? null,
      expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
      note: body.note,
    })
    .returning();
  await recordSuccess(ctx.db, ctx.actor, 'schedule.standing_approval.grant', target, {
    standingApprovalId: row!.id,
    stepId: body.stepId ?? null,
    maxRuns: body.maxRuns ?? null,
    expiresAt: body.expiresAt ?? null,
  });
  return toOutput(row!, ctx.actor.email);
}

/** Ends a standing approval: its approver, or whoever manages the schedule. Runs already approved stay approved. */
export async function revokeStandingApproval(ctx: ServiceContext, scheduleId: string, id: string): Promise<StandingApprovalOutput> {
  const { s } = await findSchedule(ctx, scheduleId, 'schedule.pre_approve');
  const [row] = isUuid(id)
    ? await ctx.db
        .select()
        .from(standingApprovals)
        .where(and(eq(standingApprovals.id, id), eq(standingApprovals.scheduleId, s.id)))
    : [];
  if (!row) throw new NotFoundError('standing approval');
  const target = auditTarget('schedule', s);
  if (row.approverId !== ctx.actor.userId && !can(ctx.actor, 'schedule.manage', { organizationId: s.organizationId })) {
    await recordDenied(ctx.db, ctx.actor, 'schedule.standing_approval.revoke', target, 'neither its approver nor a manager of the schedule');
    throw new ForbiddenError();
  }
  if (row.revokedAt) throw new ConflictError('id', 'This standing approval was already revoked.');
  const [revoked] = await ctx.db.update(standingApprovals).set({ revokedAt: new Date(), revokedBy: ctx.actor.userId }).where(eq(standingApprovals.id, row.id)).returning();
  await recordSuccess(ctx.db, ctx.actor, 'schedule.standing_approval.revoke', target, { standingApprovalId: row.id });
  const [approver] = await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, row.approverId));
  return toOutput(revoked!, approver?.email ?? '');
}
