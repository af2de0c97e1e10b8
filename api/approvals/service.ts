// The Approvals inbox (issue 14): everything waiting for the signed-in person's decision, across jobs and
// workflow runs (a run is a job), with what it will do, who may approve, progress (1 of 2) and time left.
// Deciding happens on the job's page (a typed phrase, POSTed); nothing here approves by being opened.
// Which requests are the person's is api/jobs/approvers.ts's to say, the same rule the confirming activity applies.
import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { approverGroups, jobs } from '../../db/schema.ts';
import { isMspStaff, type ServiceContext } from '../authz.ts';
import { approversOf } from '../policy/engine.ts';
import { awaitingDecisionBy } from '../jobs/approvers.ts';
import { JobOutput, selectJobs, toOutput } from '../jobs/job-output.ts';

export const InboxItem = z.object({
  job: JobOutput,
  approvers: z.string().describe('Who may approve, in words: roles and named approver groups'),
  secondsLeft: z.number().int().nullable().describe('Until the request expires'),
});
export const InboxOutput = z.object({ items: z.array(InboxItem) });
export type InboxOutput = z.infer<typeof InboxOutput>;

/** A company person sees only their own organization's requests; MSP staff every organization's. */
const mine = (ctx: ServiceContext) => and(awaitingDecisionBy(ctx.actor), isMspStaff(ctx.actor) ? undefined : eq(jobs.organizationId, ctx.actor.organizationId));

export async function countAwaitingMe(ctx: ServiceContext): Promise<number> {
  const [row] = await ctx.db.select({ n: count() }).from(jobs).where(mine(ctx));
  return row?.n ?? 0;
}

export async function listInbox(ctx: ServiceContext, now = new Date()): Promise<InboxOutput> {
  const rows = await selectJobs(ctx).where(mine(ctx)).orderBy(asc(jobs.approvalExpiresAt), asc(jobs.createdAt)).limit(200);
  const groupIds = [...new Set(rows.flatMap((r) => r.job.approvalPolicy?.approverGroupIds ?? []))];
  const groups = groupIds.length ? await ctx.db.select({ id: approverGroups.id, name: approverGroups.name }).from(approverGroups).where(inArray(approverGroups.id, groupIds)) : [];
  return {
    items: rows.map((row) => {
      const policy = row.job.approvalPolicy;
      const expires = row.job.approvalExpiresAt;
      return {
        job: toOutput(row),
        approvers: approversOf({ approverRoles: policy?.approverRoles ?? [], approverGroupIds: policy?.approverGroupIds }, (id) => groups.find((g) => g.id === id)?.name),
        secondsLeft: expires ? Math.max(0, Math.round((expires.getTime() - now.getTime()) / 1000)) : null,
      };
    }),
  };
}
