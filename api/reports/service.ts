// The customer report (issue 16): one organization over one period, for the MSP to print and to share with
// the customer: its nodes and their time online, its OpenClaw instances and their uptime from the health
// history, its jobs and workflow runs with who approved them, what the policy engine blocked and by which
// rule, and the audit trail's highlights. Read from the records as they are: nothing is stored for it.
// Nothing secret is in it: no job parameters, results or audit details, only what the console's own
// pages show of these records.
import { and, asc, desc, eq, gte, inArray, lt, ne, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { auditEvents, instances, jobs, NODE_STATUSES, nodes, organizations, users, type NodeStatus } from '../../db/schema.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { jobTypeOf } from '../jobs/registry.ts';
import { periodOf, type Period } from './period.ts';
import { coveredSpan, stateShares, type StateRecord } from './uptime.ts';

/** How many of each list one report shows at most (the newest); the totals say how many there were. */
export const REPORT_LIMITS = { jobs: 300, blocked: 200, highlights: 100 } as const;

/** The method, as the report states it on its page. */
export const UPTIME_METHOD =
  'Uptime is the share of the period during which the instance’s last known health was healthy: each health check (a check job, or the checks before and after a restart) sets the health until the next one. Before an instance’s first check, its health is unknown, and that time is shown as unknown, not as up or down. Time before an instance or node was added and time still to come are not counted. A node’s time online is computed the same way from its status changes (online, stale, offline).';

/**
 * Audit highlights: what a customer wants to see of the trail, not all of it. Decisions on jobs (approvals,
 * rejections, cancellations, standing approvals), changes to connections, people, permissions, nodes,
 * instances and the organization's settings, share links of this report, company admins' sign-ins, and
 * every refusal except the policy engine's (listed on their own under "blocked").
 */
export const HIGHLIGHT_ACTIONS = [
  'job.decision',
  'job.approve',
  'job.cancel',
  'connection.create',
  'connection.delete',
  'connection.disable',
  'connection.credentials.set',
  'connection.oauth.connect',
  'person.invite',
  'person.deactivate',
  'person.revoke_invitation',
  'permission.set',
  'permission.delete',
  'organization.rename',
  'organization.time_zone',
  'organization.approval_policy',
  'organization.archive',
  'node.create',
  'node.revoke',
  'instance.managed',
  'instance.removed',
  'instance.tool_policy_applied',
  'schedule.standing_approval.grant',
  'schedule.standing_approval.revoke',
  'report.share_link.create',
  'report.share_link.revoke',
] as const;

const Share = z.number().min(0).max(1);
const Id = z.string();
export const ReportOutput = z.object({
  organization: z.object({ id: Id, name: z.string(), timeZone: z.string() }),
  period: z.object({
    from: z.string().describe('First day, in the organization’s time zone'),
    to: z.string().describe('Last day, inclusive'),
    timeZone: z.string(),
    start: z.string().describe('The first instant of `from`'),
    end: z.string().describe('The first instant after `to`'),
  }),
  generatedAt: z.string(),
  uptimeMethod: z.string(),
  nodes: z.array(
    z.object({
      id: Id,
      name: z.string(),
      status: z.enum(NODE_STATUSES).describe('Now'),
      online: Share.describe('Share of the counted time it was online'),
      notOnline: Share.describe('Share it was stale, offline, pending or revoked'),
      unknown: Share.describe('Share before its first recorded status change'),
      countedMs: z.number().int().min(0),
    }),
  ),
  instances: z.array(
    z.object({
      id: Id,
      name: z.string(),
      nodeName: z.string(),
      state: z.enum(['discovered', 'managed']),
      bundleVersion: z.string().nullable(),
      uptime: Share.describe('Share of the counted time its last known health was healthy'),
      unhealthy: Share,
      unknown: Share.describe('Share with no check yet'),
      countedMs: z.number().int().min(0),
      checks: z.number().int().min(0).describe('Health checks in the period'),
      lastCheck: z.object({ at: z.string(), healthy: z.boolean() }).nullable().describe('The last check up to the end of the period'),
    }),
  ),
  jobs: z.object({
    total: z.number().int().min(0),
    byState: z.record(z.string(), z.number().int().min(0)),
    items: z.array(
      z.object({
        id: Id,
        type: z.string(),
        label: z.string(),
        name: z.string().nullable().describe('A workflow run’s definition'),
        simulated: z.boolean(),
        state: z.string(),
        requestedBy: z.string().nullable(),
        createdAt: z.string(),
        completedAt: z.string().nullable(),
        failureReason: z.string().nullable(),
        approvals: z.array(z.object({ by: z.string(), at: z.string(), outcome: z.enum(['approved', 'rejected', 'cancelled']), via: z.string() })),
      }),
    ),
  }),
  blocked: z.object({
    total: z.number().int().min(0),
    items: z.array(
      z.object({
        at: z.string(),
        rule: z.string(),
        sentence: z.string(),
        what: z.string().describe('The capability and action, or the run’s step'),
        by: z.string(),
        jobId: z.string().nullable().describe('The run whose step it was, or the job it was asked for (a refused job was never created)'),
      }),
    ),
  }),
  highlights: z.object({
    total: z.number().int().min(0),
    items: z.array(
      z.object({
        at: z.string(),
        action: z.string(),
        actor: z.string(),
        outcome: z.enum(['success', 'denied', 'failure']),
        target: z.string().nullable(),
        reason: z.string().nullable(),
      }),
    ),
  }),
});
export type ReportOutput = z.infer<typeof ReportOutput>;
type Organization = Pick<typeof organizations.$inferSelect, 'id' | 'name' | 'timeZone'>;

const target = (id: string) => ({ organizationId: id, type: 'organization', id });

/** The organization's report over the period the query asks (default: its last 30 days), for whoever may view it. */
export async function getOrganizationReport(ctx: ServiceContext, id: string, query: unknown, now = new Date()): Promise<ReportOutput> {
  if (!isUuid(id)) throw new NotFoundError('organization');
  await authorize(ctx, 'report.view', target(id));
  const org = await organizationOf(ctx.db, id);
  return buildReport(ctx.db, org, periodOf(query, org.timeZone, now), now);
}

export async function organizationOf(db: Db, id: string): Promise<Organization> {
  const [org] = await db.select({ id: organizations.id, name: organizations.name, timeZone: organizations.timeZone }).from(organizations).where(eq(organizations.id, id));
  if (!org) throw new NotFoundError('organization');
  return org;
}

/** The report itself, for one organization the caller was allowed (or the share link) already. */
export async function buildReport(db: Db, org: Organization, period: Period, now: Date): Promise<ReportOutput> {
  const [nodeRows, instanceRows, jobRows, blocked, highlights] = await Promise.all([
    nodeReport(db, org.id, period, now),
    instanceReport(db, org.id, period, now),
    jobReport(db, org.id, period),
    policyBlocks(db, org.id, period),
    auditHighlights(db, org.id, period),
  ]);
  return {
    organization: { id: org.id, name: org.name, timeZone: org.timeZone },
    period: { from: period.from, to: period.to, timeZone: period.timeZone, start: period.start.toISOString(), end: period.end.toISOString() },
    generatedAt: now.toISOString(),
    uptimeMethod: UPTIME_METHOD,
    nodes: nodeRows,
    instances: instanceRows,
    jobs: jobRows.report,
    blocked: mergeBlocks(blocked, jobRows.blockedSteps),
    highlights,
  };
}

type AuditRow = typeof auditEvents.$inferSelect;

/** A record's audited changes in the period, and for each record the last one before it. */
async function auditedStates(db: Db, targetType: string, action: string, ids: string[], period: Period) {
  if (ids.length === 0) return { before: new Map<string, AuditRow>(), during: [] as AuditRow[] };
  const on = and(eq(auditEvents.targetType, targetType), inArray(auditEvents.targetId, ids), eq(auditEvents.action, action), ne(auditEvents.outcome, 'denied'));
  const [during, lastBefore] = await Promise.all([
    db
      .select()
      .from(auditEvents)
      .where(and(on, gte(auditEvents.at, period.start), lt(auditEvents.at, period.end)))
      .orderBy(asc(auditEvents.at), asc(auditEvents.id)),
    db
      .selectDistinctOn([auditEvents.targetId])
      .from(auditEvents)
      .where(and(on, lt(auditEvents.at, period.start)))
      .orderBy(auditEvents.targetId, desc(auditEvents.at), desc(auditEvents.id)),
  ]);
  return { before: new Map(lastBefore.map((r) => [r.targetId!, r])), during };
}

const asNodeStatus = (v: unknown): NodeStatus | null => ((NODE_STATUSES as readonly unknown[]).includes(v) ? (v as NodeStatus) : null);
const nodeState = (e: AuditRow) => asNodeStatus(e.details.to);
const healthState = (e: AuditRow) => (e.outcome === 'success' ? ('healthy' as const) : ('unhealthy' as const));

async function nodeReport(db: Db, organizationId: string, period: Period, now: Date): Promise<ReportOutput['nodes']> {
  const rows = await db.select().from(nodes).where(eq(nodes.organizationId, organizationId)).orderBy(asc(nodes.name));
  const history = await auditedStates(
    db,
    'node',
    'node.status',
    rows.map((n) => n.id),
    period,
  );
  return rows.map((n) => {
    const span = coveredSpan(period.start, period.end, n.createdAt, now);
    const before = history.before.get(n.id);
    const records = history.during.filter((e) => e.targetId === n.id).flatMap((e): StateRecord<NodeStatus>[] => (nodeState(e) ? [{ at: e.at, state: nodeState(e)! }] : []));
    const s = stateShares(NODE_STATUSES, before ? nodeState(before) : null, records, span.start, span.end);
    return { id: n.id, name: n.name, status: n.status, online: s.share.online, notOnline: 1 - s.share.online - s.share.unknown, unknown: s.share.unknown, countedMs: s.spanMs };
  });
}

async function instanceReport(db: Db, organizationId: string, period: Period, now: Date): Promise<ReportOutput['instances']> {
  const rows = await db
    .select({ instance: instances, nodeName: nodes.name })
    .from(instances)
    .innerJoin(nodes, eq(nodes.id, instances.nodeId))
    .where(eq(instances.organizationId, organizationId))
    .orderBy(asc(instances.name), asc(instances.id));
  const history = await auditedStates(
    db,
    'instance',
    'instance.health',
    rows.map((r) => r.instance.id),
    period,
  );
  return rows.map(({ instance: i, nodeName }) => {
    const span = coveredSpan(period.start, period.end, i.createdAt, now);
    const before = history.before.get(i.id);
    const checks = history.during.filter((e) => e.targetId === i.id);
    const s = stateShares(
      ['healthy', 'unhealthy'],
      before ? healthState(before) : null,
      checks.map((e) => ({ at: e.at, state: healthState(e) })),
      span.start,
      span.end,
    );
    const last = checks.at(-1) ?? before;
    return {
      id: i.id,
      name: i.name,
      nodeName,
      state: i.state,
      bundleVersion: i.bundleVersion,
      uptime: s.share.healthy,
      unhealthy: s.share.unhealthy,
      unknown: s.share.unknown,
      countedMs: s.spanMs,
      checks: checks.length,
      lastCheck: last ? { at: last.at.toISOString(), healthy: last.outcome === 'success' } : null,
    };
  });
}

interface StepBlock {
  at: string;
  rule: string;
  sentence: string;
  what: string;
  by: string;
  jobId: string;
}

interface RunResult {
  simulate?: boolean;
  definitionName?: string;
  steps?: { name?: string; state?: string; endedAt?: string; verdict?: { rule?: string; sentence?: string } }[];
}

async function jobReport(db: Db, organizationId: string, period: Period) {
  const inPeriod = and(eq(jobs.organizationId, organizationId), gte(jobs.createdAt, period.start), lt(jobs.createdAt, period.end));
  const [rows, states] = await Promise.all([
    db
      .select({ job: jobs, requestedBy: users.email })
      .from(jobs)
      .leftJoin(users, eq(users.id, jobs.requestedBy))
      .where(inPeriod)
      .orderBy(desc(jobs.createdAt), desc(jobs.id))
      .limit(REPORT_LIMITS.jobs),
    db
      .select({ state: jobs.state, n: sql<number>`count(*)::int` })
      .from(jobs)
      .where(inPeriod)
      .groupBy(jobs.state),
  ]);
  const blockedSteps: StepBlock[] = [];
  const items = rows.map(({ job, requestedBy }) => {
    const run = (job.type === 'workflow_run' ? (job.result ?? {}) : {}) as RunResult;
    if (!run.simulate) {
      for (const step of run.steps ?? []) {
        if (step.state !== 'blocked' || !step.verdict?.rule) continue;
        blockedSteps.push({
          at: step.endedAt ?? job.updatedAt.toISOString(),
          rule: step.verdict.rule,
          sentence: step.verdict.sentence ?? '',
          what: `${run.definitionName ?? 'workflow run'}: step ${step.name ?? ''}`.trim(),
          by: requestedBy ?? 'a schedule',
          jobId: job.id,
        });
      }
    }
    return {
      id: job.id,
      type: job.type,
      label: jobTypeOf(job.type)?.label ?? job.type,
      name: run.definitionName ?? null,
      simulated: run.simulate === true,
      state: job.state,
      requestedBy,
      createdAt: job.createdAt.toISOString(),
      completedAt: job.completedAt?.toISOString() ?? null,
      failureReason: job.failureReason,
      // Decisions of people (a raw signal with a claimed approver is "ignored", and not one).
      approvals: job.approvals.flatMap((a) => (a.outcome === 'ignored' ? [] : [{ by: a.by, at: a.at, outcome: a.outcome, via: a.via }])),
    };
  });
  const total = states.reduce((sum, s) => sum + s.n, 0);
  return { report: { total, byState: Object.fromEntries(states.map((s) => [s.state, s.n])), items }, blockedSteps };
}

async function policyBlocks(db: Db, organizationId: string, period: Period) {
  const where = and(
    eq(auditEvents.organizationId, organizationId),
    eq(auditEvents.action, 'policy.enforce'),
    eq(auditEvents.outcome, 'denied'),
    gte(auditEvents.at, period.start),
    lt(auditEvents.at, period.end),
  );
  return db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.at), desc(auditEvents.id)).limit(REPORT_LIMITS.blocked);
}

/**
 * What the policy engine refused: every `policy.enforce` refusal in the audit trail (requests and real
 * runs' steps), and the runs' blocked steps the trail has no refusal of (a step naming a missing instance,
 * an instance's action asked of the engine for its own job). A run's step the trail names is listed once.
 */
function mergeBlocks(events: AuditRow[], steps: StepBlock[]): ReportOutput['blocked'] {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const audited = new Set(events.map((e) => `${str(e.details.jobId)}|${str(e.details.rule)}`));
  const fromTrail = events.map((e) => ({
    at: e.at.toISOString(),
    rule: str(e.details.rule) || 'unknown',
    sentence: e.reason ?? '',
    what: [str(e.details.capability), str(e.details.capabilityAction)].filter(Boolean).join(': ') || (e.targetType ?? ''),
    by: e.actorLabel,
    jobId: str(e.details.jobId) || null,
  }));
  const fromRuns = steps.filter((s) => !audited.has(`${s.jobId}|${s.rule}`));
  const all = [...fromTrail, ...fromRuns].sort((a, b) => b.at.localeCompare(a.at));
  return { total: all.length, items: all.slice(0, REPORT_LIMITS.blocked) };
}

async function auditHighlights(db: Db, organizationId: string, period: Period): Promise<ReportOutput['highlights']> {
  const where = and(
    eq(auditEvents.organizationId, organizationId),
    gte(auditEvents.at, period.start),
    lt(auditEvents.at, period.end),
    or(
      inArray(auditEvents.action, [...HIGHLIGHT_ACTIONS]),
      and(eq(auditEvents.outcome, 'denied'), ne(auditEvents.action, 'policy.enforce')),
      // Company admins' sign-ins (MSP staff's are filed under the MSP's own organization).
      and(eq(auditEvents.action, 'auth.sign_in'), sql`exists (select 1 from ${users} where ${users.id}::text = ${auditEvents.actorId} and ${users.role} = 'company_admin')`),
    ),
  );
  const [rows, [counted]] = await Promise.all([
    db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.at), desc(auditEvents.id)).limit(REPORT_LIMITS.highlights),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(auditEvents)
      .where(where),
  ]);
  return {
    total: counted?.n ?? 0,
    items: rows.map((e) => ({ at: e.at.toISOString(), action: e.action, actor: e.actorLabel, outcome: e.outcome, target: e.targetType, reason: e.reason })),
  };
}
