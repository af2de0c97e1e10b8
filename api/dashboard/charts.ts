// The dashboard's charts (GET /dashboard/charts), computed in PostgreSQL from the records, over the last
// 7 days, each for whoever may see its records (a chart the caller may not see is null, like the counts):
//
// - Node status per day: the status each node held at the END of each day of the viewer's time zone
//   (today: now), from the audited status changes (`node.status`, as GET /nodes/{id}/status-history
//   reads them): the last change's `to` at or before the day's end; before a node's first change, that
//   change's `from`; a node never changed, its status now. A node counts from its creation, and not once
//   revoked. One status a node a day, so a bar's height is the number of nodes that day.
// - Durations: from a job's creation to its end (what the person who asked waited, approvals included),
//   of the jobs that completed or failed in the window (not simulations, which call nothing; not a record
//   that ends before it starts, which only a hand-written row can), median and
//   95th percentile (percentile_cont, interpolated) per job type, and per workflow definition for runs.
// - Time to decision: each approval or rejection a person gave (not a standing approval, not an ignored
//   signal) in the window, from when its request opened: a job's audited move to waiting_for_approval, or
//   for a workflow run's step (its request is the step's id) when the step started. Median, p95 and a
//   histogram.
import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { auditEvents, jobs, nodes, workflowDefinitions } from '../../db/schema.ts';
import { can, type ServiceContext } from '../authz.ts';
import { InvalidInputError, parseInput } from '../errors.ts';
import { jobTypeOf } from '../jobs/registry.ts';
import { listScope } from '../list-scope.ts';
import { isTimeZone } from '../schedules/calendar.ts';

/** Days the charts look back, today included. */
export const CHART_DAYS = 7;
/** The node statuses the status chart stacks (revoked nodes are left out). */
export const CHARTED_STATUSES = ['online', 'stale', 'offline', 'pending'] as const;
/** The time-to-decision histogram's buckets: [label, from seconds, to seconds (exclusive; null: no end)]. */
export const DECISION_BUCKETS: readonly [string, number, number | null][] = [
  ['under 1 min', 0, 60],
  ['1–5 min', 60, 300],
  ['5–30 min', 300, 1800],
  ['30 min–2 h', 1800, 7200],
  ['2–8 h', 7200, 28_800],
  ['8 h or more', 28_800, null],
];

const ZONE_MESSAGE = 'timeZone must be an IANA time zone such as Europe/Berlin';
export const ChartsQuery = z.object({
  organizationId: z.string().uuid('organizationId must be a UUID').optional(),
  timeZone: z.string().refine(isTimeZone, ZONE_MESSAGE).default('UTC').describe('The time zone whose days the node status chart counts'),
});

const Count = z.number().int().min(0);
const Seconds = z.number().min(0);
export const ChartsOutput = z.object({
  organizationId: z.string().nullable().describe('The organization charted; null: every organization (MSP staff)'),
  timeZone: z.string(),
  days: z.number().int().describe('How many days the charts look back, today included'),
  nodeStatus: z
    .array(z.object({ day: z.string().describe('YYYY-MM-DD in timeZone'), online: Count, stale: Count, offline: Count, pending: Count }))
    .nullable()
    .describe(`Per day of the last ${CHART_DAYS}, oldest first: how many nodes held each status at the day's end (today: now); null when the caller may not see nodes`),
  durations: z
    .array(
      z.object({
        type: z.string(),
        definitionId: z.string().nullable().describe('For workflow runs: the workflow definition'),
        label: z.string(),
        count: Count,
        medianSeconds: Seconds,
        p95Seconds: Seconds,
      }),
    )
    .nullable()
    .describe(
      `Jobs and workflow runs that completed or failed in the last ${CHART_DAYS} days, from creation to end, per job type or definition, most frequent first; null when the caller may not see jobs`,
    ),
  timeToDecision: z
    .object({
      count: Count,
      medianSeconds: Seconds.nullable(),
      p95Seconds: Seconds.nullable(),
      buckets: z.array(z.object({ label: z.string(), fromSeconds: Seconds, toSeconds: Seconds.nullable(), count: Count })),
    })
    .nullable()
    .describe(`Approvals and rejections given in the last ${CHART_DAYS} days, from the request's opening; null when the caller may not see jobs`),
});
export type ChartsOutput = z.infer<typeof ChartsOutput>;

let postgresZones: Promise<Set<string>> | undefined;

/**
 * The zone's canonical IANA name, once PostgreSQL knows it too (it counts the days): JavaScript also takes
 * offsets such as "+05:00", which PostgreSQL would read as POSIX zones, west of Greenwich.
 */
async function dayZone(ctx: ServiceContext, zone: string): Promise<string> {
  const canonical = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  postgresZones ??= ctx.db
    .execute<{ name: string }>(sql`select name from pg_timezone_names`)
    .then((rows) => new Set(rows.map((r) => r.name)))
    .catch((err: unknown) => {
      postgresZones = undefined;
      throw err;
    });
  if (!(await postgresZones).has(canonical)) throw new InvalidInputError({ timeZone: ZONE_MESSAGE });
  return canonical;
}

/** Seconds to one decimal, as the charts and their tables show them. */
const tenths = (s: number | string | null) => (s === null ? null : Math.round(Number(s) * 10) / 10);

export async function getDashboardCharts(ctx: ServiceContext, query: unknown, now = new Date()): Promise<ChartsOutput> {
  const q = parseInput(ChartsQuery, query ?? {});
  const timeZone = await dayZone(ctx, q.timeZone);
  const organizationId = await listScope(ctx, 'organization.view', q.organizationId);
  const target = { organizationId: organizationId ?? ctx.actor.organizationId };
  const since = new Date(now.getTime() - CHART_DAYS * 86_400_000);
  const seeJobs = can(ctx.actor, 'job.view', target);
  const [nodeStatus, durations, timeToDecision] = await Promise.all([
    can(ctx.actor, 'node.view', target) ? nodeStatusByDay(ctx, organizationId, timeZone, now) : null,
    seeJobs ? jobDurations(ctx, organizationId, since, now) : null,
    seeJobs ? decisionTimes(ctx, organizationId, since, now) : null,
  ]);
  return { organizationId: organizationId ?? null, timeZone, days: CHART_DAYS, nodeStatus, durations, timeToDecision };
}

const inOrganization = (column: SQL | typeof jobs.organizationId, organizationId: string | undefined) => (organizationId ? sql`${column} = ${organizationId}::uuid` : sql`true`);

async function nodeStatusByDay(ctx: ServiceContext, organizationId: string | undefined, timeZone: string, now: Date): Promise<ChartsOutput['nodeStatus']> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const today = sql`date_trunc('day', ${at} at time zone ${timeZone})`;
  const changes = (when: SQL) =>
    sql`from ${auditEvents} e where e.target_type = 'node' and e.target_id = n.id::text and e.action = 'node.status' and e.outcome = 'success' and ${when}`;
  const rows = await ctx.db.execute<{ day: string; status: string; n: number }>(sql`
    with days as (
      select to_char(d, 'YYYY-MM-DD') as day, least((d + interval '1 day') at time zone ${timeZone}, ${at}) as day_end
      from generate_series(${today} - ${`${CHART_DAYS - 1} days`}::interval, ${today}, interval '1 day') d
    ), held as (
      select days.day, coalesce(
        (select e.details->>'to' ${changes(sql`e.at <= days.day_end`)} order by e.at desc, e.id desc limit 1),
        (select e.details->>'from' ${changes(sql`e.at > days.day_end`)} order by e.at, e.id limit 1),
        n.status) as status
      from days join ${nodes} n on n.created_at <= days.day_end and (n.revoked_at is null or n.revoked_at > days.day_end)
      where ${inOrganization(sql`n.organization_id`, organizationId)}
    )
    select days.day, held.status, count(held.status)::int as n
    from days left join held on held.day = days.day
    group by days.day, held.status order by days.day`);
  const byDay = new Map<string, Record<(typeof CHARTED_STATUSES)[number], number>>();
  for (const r of rows) {
    const counts = byDay.get(r.day) ?? { online: 0, stale: 0, offline: 0, pending: 0 };
    if ((CHARTED_STATUSES as readonly string[]).includes(r.status)) counts[r.status as (typeof CHARTED_STATUSES)[number]] = r.n;
    byDay.set(r.day, counts);
  }
  return [...byDay].map(([day, counts]) => ({ day, ...counts }));
}

async function jobDurations(ctx: ServiceContext, organizationId: string | undefined, since: Date, now: Date): Promise<ChartsOutput['durations']> {
  const seconds = sql`extract(epoch from ${jobs.completedAt} - ${jobs.createdAt})`;
  const definitionId = sql<string | null>`${jobs.params}->>'definitionId'`;
  const rows = await ctx.db.execute<{ type: string; definition_id: string | null; name: string | null; count: number; median: number; p95: number }>(sql`
    select ${jobs.type} as type, ${definitionId} as definition_id, max(${workflowDefinitions.name}) as name, count(*)::int as count,
      percentile_cont(0.5) within group (order by ${seconds}) as median, percentile_cont(0.95) within group (order by ${seconds}) as p95
    from ${jobs} left join ${workflowDefinitions} on ${workflowDefinitions.id}::text = ${definitionId}
    where ${jobs.state} in ('completed', 'failed') and ${jobs.completedAt} >= ${since.toISOString()}::timestamptz and ${jobs.completedAt} <= ${now.toISOString()}::timestamptz
      and ${jobs.completedAt} >= ${jobs.createdAt}
      and coalesce(${jobs.params}->>'simulate', 'false') <> 'true' and ${inOrganization(jobs.organizationId, organizationId)}
    group by ${jobs.type}, ${definitionId} order by count(*) desc, ${jobs.type}, ${definitionId}`);
  return rows.map((r) => ({
    type: r.type,
    definitionId: r.definition_id,
    label: r.definition_id ? `${r.name ?? 'workflow'} (run)` : (jobTypeOf(r.type)?.label ?? r.type),
    count: r.count,
    medianSeconds: tenths(r.median)!,
    p95Seconds: tenths(r.p95)!,
  }));
}

async function decisionTimes(ctx: ServiceContext, organizationId: string | undefined, since: Date, now: Date): Promise<ChartsOutput['timeToDecision']> {
  const buckets = DECISION_BUCKETS.map(([, from, to], i) => sql`count(*) filter (where s >= ${from} ${to === null ? sql`` : sql`and s < ${to}`})::int as ${sql.raw(`b${i}`)}`);
  const [row] = await ctx.db.execute<Record<string, number | null>>(sql`
    with decisions as (
      select j.id, j.result, coalesce(a->>'request', 'approval') as request, (a->>'at')::timestamptz as at
      from ${jobs} j cross join lateral jsonb_array_elements(j.approvals) a
      where a->>'userId' is not null and a->>'outcome' in ('approved', 'rejected') and a->>'via' not in ('standing', 'rollout') and ${inOrganization(sql`j.organization_id`, organizationId)}
    ), timed as (
      select extract(epoch from d.at - coalesce(
        case when jsonb_typeof(d.result->'steps') = 'array' then
          (select min((st->>'startedAt')::timestamptz) from jsonb_array_elements(d.result->'steps') st where st->>'id' = d.request) end,
        case when d.request = 'approval' then
          (select min(e.at) from ${auditEvents} e where e.target_type = 'job' and e.target_id = d.id::text and e.action = 'job.waiting_for_approval') end
      )) as s
      from decisions d where d.at >= ${since.toISOString()}::timestamptz and d.at <= ${now.toISOString()}::timestamptz
    )
    select count(*)::int as count, percentile_cont(0.5) within group (order by s) as median, percentile_cont(0.95) within group (order by s) as p95, ${sql.join(buckets, sql`, `)}
    from timed where s >= 0`);
  return {
    count: Number(row?.count ?? 0),
    medianSeconds: tenths(row?.median ?? null),
    p95Seconds: tenths(row?.p95 ?? null),
    buckets: DECISION_BUCKETS.map(([label, fromSeconds, toSeconds], i) => ({ label, fromSeconds, toSeconds, count: Number(row?.[`b${i}`] ?? 0) })),
  };
}
