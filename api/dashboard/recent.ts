// The dashboard's lists: what failed in the last 24 hours (jobs on nodes or the control plane, workflow
// runs, scheduled runs) and what waits for the caller's decision, soonest to expire first. Each list is the
// newest few with its total, so the page links to the full list instead of growing without bound.
//
// A scheduled run records its failure on the job it launched (workflows/scheduled-run.ts fails when that
// job ends other than completed, and activities/schedules.ts pauses the row when it pauses on failure), so a
// schedule's failures are its runs' jobs that ended unsuccessfully, by the Schedules page's own rule
// (api/schedules/at-a-glance.ts). Jobs and runs list state `failed`, the count the Jobs tile shows.
import { and, count, desc, eq, inArray, isNotNull, isNull, ne, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { jobs, schedules } from '../../db/schema.ts';
import { listInbox } from '../approvals/service.ts';
import { can, type ServiceContext, type Target } from '../authz.ts';
import { selectJobs } from '../jobs/job-output.ts';
import { jobTypeOf } from '../jobs/registry.ts';
import { UNSUCCESSFUL } from '../schedules/at-a-glance.ts';

/** How many of each list the dashboard shows. */
export const LIST_LIMIT = 10;
/** How far back "failed recently" looks. */
export const FAILED_WINDOW_HOURS = 24;

const FailedItem = z.object({
  jobId: z.string(),
  what: z.string().describe('The job’s kind and target, the run’s workflow definition, or the schedule’s name'),
  organizationName: z.string(),
  state: z.string(),
  reason: z.string().nullable(),
  at: z.string().describe('When it ended'),
  scheduleId: z.string().nullable(),
});
const FailedList = z.object({ items: z.array(FailedItem).describe(`The newest ${LIST_LIMIT}`), total: z.number().int().min(0) });
export const RecentFailures = z
  .object({
    jobs: FailedList.nullable().describe('Failed jobs other than workflow runs; null when the caller may not see jobs'),
    runs: FailedList.nullable().describe('Failed workflow runs started by a person; null when the caller may not see jobs'),
    schedules: FailedList.nullable().describe('Scheduled runs that failed, expired, were rejected or cancelled; null when the caller may not see schedules'),
  })
  .describe(`What failed in the last ${FAILED_WINDOW_HOURS} hours`);
export type RecentFailures = z.infer<typeof RecentFailures>;

export const WaitingItem = z.object({
  jobId: z.string(),
  what: z.string(),
  organizationName: z.string(),
  given: z.number().int().describe('Distinct people who approved the current request'),
  needed: z.number().int(),
  expiresAt: z.string().nullable(),
  secondsLeft: z.number().int().nullable().describe('Until the request expires'),
});
export const WaitingForMe = z
  .object({ items: z.array(WaitingItem).describe(`The ${LIST_LIMIT} soonest to expire`), total: z.number().int().min(0) })
  .describe('Requests waiting for the caller’s decision (the Approvals inbox), soonest to expire first');

const scheduleIdOf = sql<string | null>`${jobs.params}->>'scheduleId'`;
const endedAt = sql`coalesce(${jobs.completedAt}, ${jobs.updatedAt})`;

/** What a job is, in a few words: a run's definition (and the step it waits at), else the kind of job and what it acted on. */
function whatOf(j: { type: string; params: Record<string, unknown>; nodeName: string | null; step?: string | null }): string {
  if (typeof j.params.definitionName === 'string') return j.step ? `${j.params.definitionName}: ${j.step}` : j.params.definitionName;
  const label = jobTypeOf(j.type)?.label ?? j.type;
  const on = [typeof j.params.instanceName === 'string' ? j.params.instanceName : null, j.nodeName].filter(Boolean).join(' on ');
  return on ? `${label}: ${on}` : label;
}

async function failedList(ctx: ServiceContext, where: SQL | undefined): Promise<z.infer<typeof FailedList>> {
  const [rows, [total]] = await Promise.all([
    selectJobs(ctx).where(where).orderBy(desc(endedAt), desc(jobs.id)).limit(LIST_LIMIT),
    ctx.db.select({ n: count() }).from(jobs).where(where),
  ]);
  return {
    items: rows.map((r) => ({
      jobId: r.job.id,
      what: whatOf({ ...r.job, step: null, nodeName: r.nodeName }),
      organizationName: r.organizationName,
      state: r.job.state,
      reason: r.job.failureReason,
      at: (r.job.completedAt ?? r.job.updatedAt).toISOString(),
      scheduleId: typeof r.job.params.scheduleId === 'string' ? r.job.params.scheduleId : null,
    })),
    total: total?.n ?? 0,
  };
}

/**
 * The failures the caller may see in `organizationId` (undefined: every organization). Who may not see an
 * organization's jobs still sees the ones they asked for (a company user's own runs), as on the Jobs page,
 * and whoever may see its schedules sees their runs.
 */
export async function recentFailures(ctx: ServiceContext, organizationId: string | undefined, target: Target, now: Date): Promise<RecentFailures> {
  const since = new Date(now.getTime() - FAILED_WINDOW_HOURS * 3_600_000);
  const seeAll = can(ctx.actor, 'job.view', target);
  const seeOwn = !seeAll && can(ctx.actor, 'job.view', { ...target, requester: true });
  const recent = and(organizationId ? eq(jobs.organizationId, organizationId) : undefined, sql`${endedAt} >= ${since.toISOString()}::timestamptz`);
  // A schedule's runs are its organization's (whoever may see the schedule sees them); other jobs, the caller's own where that is all they may see.
  const failed = and(recent, seeOwn ? eq(jobs.requestedBy, ctx.actor.userId) : undefined, eq(jobs.state, 'failed'));
  const [jobList, runList, scheduleList] = await Promise.all([
    seeAll || seeOwn ? failedList(ctx, and(failed, ne(jobs.type, 'workflow_run'))) : null,
    seeAll || seeOwn ? failedList(ctx, and(failed, eq(jobs.type, 'workflow_run'), isNull(scheduleIdOf))) : null,
    can(ctx.actor, 'schedule.view', target) ? failedList(ctx, and(recent, isNotNull(scheduleIdOf), inArray(jobs.state, UNSUCCESSFUL))) : null,
  ]);
  if (scheduleList) await nameSchedules(ctx, scheduleList);
  return { jobs: jobList, runs: runList, schedules: scheduleList };
}

/** A scheduled run is told by its schedule's name (its definition's name stays in the run). */
async function nameSchedules(ctx: ServiceContext, list: z.infer<typeof FailedList>) {
  const ids = [...new Set(list.items.flatMap((i) => (i.scheduleId ? [i.scheduleId] : [])))];
  if (!ids.length) return;
  const rows = await ctx.db.select({ id: schedules.id, name: schedules.name }).from(schedules).where(inArray(schedules.id, ids));
  for (const item of list.items) {
    const name = rows.find((r) => r.id === item.scheduleId)?.name;
    if (name) item.what = `${name} (${item.what})`;
  }
}

/** The caller's Approvals inbox, in `organizationId` when the dashboard counts one. */
export async function waitingForMe(ctx: ServiceContext, organizationId: string | undefined, now: Date): Promise<z.infer<typeof WaitingForMe>> {
  const { items } = await listInbox(ctx, now);
  const mine = items.filter((i) => !organizationId || i.job.organizationId === organizationId);
  return {
    items: mine.slice(0, LIST_LIMIT).map(({ job, secondsLeft }) => ({
      jobId: job.id,
      what: whatOf(job),
      organizationName: job.organizationName,
      given: job.approvalProgress?.given ?? 0,
      needed: job.approvalProgress?.needed ?? 1,
      expiresAt: job.approvalExpiresAt,
      secondsLeft,
    })),
    total: mine.length,
  };
}
