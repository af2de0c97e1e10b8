// The fleet at a glance (the console's home and GET /dashboard): counts, what failed lately and what waits
// for the caller (api/dashboard/recent.ts), each section for whoever may see its records, in the organization the caller asks for (MSP staff: every organization by default; a
// company person: their own). A section the caller may not see at all is null, not zero, so a page can
// leave it out instead of claiming an empty fleet.
import { awaitingDecisionBy } from '../jobs/approvers.ts';
import { count, eq, isNotNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { instances, jobs, NODE_STATUSES, nodes, type NodeStatus } from '../../db/schema.ts';
import { can, type ServiceContext } from '../authz.ts';
import { parseInput } from '../errors.ts';
import { healthIs } from '../instances/health.ts';
import { listScope } from '../list-scope.ts';
import { FAILED_WINDOW_HOURS, RecentFailures, recentFailures, WaitingForMe, waitingForMe } from './recent.ts';

export const DashboardQuery = z.object({ organizationId: z.string().uuid('organizationId must be a UUID').optional() });

const Count = z.number().int().min(0);
export const DashboardOutput = z.object({
  organizationId: z.string().nullable().describe('The organization counted; null: every organization (MSP staff)'),
  nodes: z
    .object(Object.fromEntries(NODE_STATUSES.map((s) => [s, Count])) as Record<NodeStatus, typeof Count>)
    .nullable()
    .describe('Nodes by status; null when the caller may not see nodes'),
  instances: z
    .object({
      managed: Count,
      discovered: Count,
      healthy: Count,
      unhealthy: Count,
      unknown: Count,
      drifted: Count.describe('managed instances whose gateway’s tool configuration differs from the one applied'),
    })
    .nullable()
    .describe('OpenClaw instances by state, and by the last health check’s verdict (unknown: never checked); null when the caller may not see instances'),
  jobs: z
    .object({
      awaitingMyApproval: Count.describe(
        'jobs waiting for an approval the caller may give (their role among the approvers, not their own request where self-approval is forbidden)',
      ),
      failedLast24h: Count,
    })
    .nullable()
    .describe('null when the caller may not see jobs'),
  failures: RecentFailures,
  waitingForMe: WaitingForMe,
});
export type DashboardOutput = z.infer<typeof DashboardOutput>;

const countWhere = (condition: SQL) => sql<number>`count(*) filter (where ${condition})::int`;

export async function getDashboard(ctx: ServiceContext, query: unknown, now = new Date()): Promise<DashboardOutput> {
  const q = parseInput(DashboardQuery, query ?? {});
  // The dashboard of an organization is a view of it: whoever may see the organization may ask for it.
  const organizationId = await listScope(ctx, 'organization.view', q.organizationId);
  const target = { organizationId: organizationId ?? ctx.actor.organizationId };
  const [nodeCounts, instanceCounts, jobCounts, failures, waiting] = await Promise.all([
    can(ctx.actor, 'node.view', target) ? countNodes(ctx, organizationId) : null,
    can(ctx.actor, 'instance.view', target) ? countInstances(ctx, organizationId) : null,
    can(ctx.actor, 'job.view', target) ? countJobs(ctx, organizationId, now) : null,
    recentFailures(ctx, organizationId, target, now),
    waitingForMe(ctx, organizationId, now),
  ]);
  return { organizationId: organizationId ?? null, nodes: nodeCounts, instances: instanceCounts, jobs: jobCounts, failures, waitingForMe: waiting };
}

async function countNodes(ctx: ServiceContext, organizationId: string | undefined): Promise<NonNullable<DashboardOutput['nodes']>> {
  const rows = await ctx.db
    .select({ status: nodes.status, n: count() })
    .from(nodes)
    .where(organizationId ? eq(nodes.organizationId, organizationId) : undefined)
    .groupBy(nodes.status);
  const counts = Object.fromEntries(NODE_STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>;
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}

async function countInstances(ctx: ServiceContext, organizationId: string | undefined): Promise<NonNullable<DashboardOutput['instances']>> {
  const [row] = await ctx.db
    .select({
      managed: countWhere(eq(instances.state, 'managed')),
      discovered: countWhere(eq(instances.state, 'discovered')),
      healthy: countWhere(healthIs('healthy')),
      unhealthy: countWhere(healthIs('unhealthy')),
      unknown: countWhere(healthIs('unknown')),
      drifted: countWhere(isNotNull(instances.driftedSince)),
    })
    .from(instances)
    .where(organizationId ? eq(instances.organizationId, organizationId) : undefined);
  return row!;
}

async function countJobs(ctx: ServiceContext, organizationId: string | undefined, now: Date): Promise<NonNullable<DashboardOutput['jobs']>> {
  const since = new Date(now.getTime() - FAILED_WINDOW_HOURS * 3_600_000);
  const [row] = await ctx.db
    .select({
      awaitingMyApproval: countWhere(awaitingDecisionBy(ctx.actor)),
      failedLast24h: countWhere(sql`${eq(jobs.state, 'failed')} and coalesce(${jobs.completedAt}, ${jobs.updatedAt}) >= ${since.toISOString()}::timestamptz`),
    })
    .from(jobs)
    .where(organizationId ? eq(jobs.organizationId, organizationId) : undefined);
  return row!;
}
