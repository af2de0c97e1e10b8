// The product's own series, computed from PostgreSQL when Prometheus scrapes (so every web replica answers
// the same, and a restart loses nothing): jobs and workflow runs by state, approvals waiting and the age of
// the oldest, nodes by status, and policy blocks by rule. One snapshot of a few grouped queries feeds every
// series of a scrape. When the database does not answer, `anthropy_product_metrics_up` is 0 and the
// product's series are left out, instead of the whole scrape failing.
import { sql } from 'drizzle-orm';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../../db/client.ts';
import { JOB_STATES, NODE_STATUSES } from '../../db/schema.ts';

const WORKFLOW_RUN = 'workflow_run';

interface Snapshot {
  jobs: { type: string; state: string; count: number }[];
  approvals: { type: string; waiting: number; oldestAgeSeconds: number }[];
  nodes: { status: string; count: number }[];
  policyBlocks: { rule: string; count: number }[];
}

async function snapshot(db: Db): Promise<Snapshot> {
  const [jobs, approvals, nodes, policyBlocks] = await Promise.all([
    db.execute<{ type: string; state: string; count: number }>(sql`select type, state, count(*)::int as count from jobs group by type, state`),
    // Waiting since its current approval was asked; a row older than the column, since it was created.
    db.execute<{ type: string; waiting: number; oldest: number }>(
      sql`select type, count(*)::int as waiting, extract(epoch from now() - min(coalesce(approval_requested_at, created_at)))::float8 as oldest
          from jobs where state = 'waiting_for_approval' group by type`,
    ),
    db.execute<{ status: string; count: number }>(sql`select status, count(*)::int as count from nodes group by status`),
    // Every block of the policy engine is audited as a denied `policy.enforce`, naming its rule (api/policy/service.ts).
    db.execute<{ rule: string; count: number }>(
      sql`select coalesce(details->>'rule', 'unknown') as rule, count(*)::int as count from audit_events
          where action = 'policy.enforce' and outcome = 'denied' group by 1`,
    ),
  ]);
  return {
    jobs: [...jobs],
    approvals: approvals.map((a) => ({ type: a.type, waiting: a.waiting, oldestAgeSeconds: Math.max(0, a.oldest) })),
    nodes: [...nodes],
    policyBlocks: [...policyBlocks],
  };
}

/** Registers the product's series on `registry`, read from `db` at each scrape. */
export function registerProductMetrics(registry: Registry, db: () => Db): void {
  const registers = [registry];
  // A scrape collects every series at once, so each series' collect awaits the snapshot in flight: the
  // queries run once per scrape, not once per series, and the next scrape queries afresh.
  let inFlight: Promise<Snapshot | undefined> | undefined;
  const taken = (): Promise<Snapshot | undefined> => {
    inFlight ??= snapshot(db())
      .catch(() => undefined)
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  new Gauge({
    name: 'anthropy_product_metrics_up',
    help: 'Whether the database answered the queries behind the anthropy_ series of this scrape (1) or not (0)',
    registers,
    async collect() {
      this.set((await taken()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'anthropy_jobs',
    help: 'Jobs by type and state (every state of a type that has jobs, zero included)',
    labelNames: ['type', 'state'],
    registers,
    async collect() {
      this.reset();
      const s = await taken();
      if (!s) return;
      for (const type of new Set(s.jobs.map((j) => j.type))) for (const state of JOB_STATES) this.set({ type, state }, 0);
      for (const j of s.jobs) this.set({ type: j.type, state: j.state }, j.count);
    },
  });
  new Gauge({
    name: 'anthropy_workflow_runs',
    help: 'Workflow runs (jobs of type workflow_run, scheduled runs included) by state',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      const s = await taken();
      if (!s) return;
      for (const state of JOB_STATES) this.set({ state }, s.jobs.find((j) => j.type === WORKFLOW_RUN && j.state === state)?.count ?? 0);
    },
  });
  // By job type, only the types that have one waiting: sum() for the total, max() for the oldest.
  new Gauge({
    name: 'anthropy_approvals_waiting',
    help: 'Jobs and workflow runs waiting for an approval, by job type',
    labelNames: ['type'],
    registers,
    async collect() {
      this.reset();
      for (const a of (await taken())?.approvals ?? []) this.set({ type: a.type }, a.waiting);
    },
  });
  new Gauge({
    name: 'anthropy_approvals_waiting_oldest_age_seconds',
    help: 'How long the longest-waiting approval of each job type has waited, in seconds',
    labelNames: ['type'],
    registers,
    async collect() {
      this.reset();
      for (const a of (await taken())?.approvals ?? []) this.set({ type: a.type }, a.oldestAgeSeconds);
    },
  });
  new Gauge({
    name: 'anthropy_nodes',
    help: 'Nodes by status',
    labelNames: ['status'],
    registers,
    async collect() {
      this.reset();
      const s = await taken();
      if (!s) return;
      for (const status of NODE_STATUSES) this.set({ status }, s.nodes.find((n) => n.status === status)?.count ?? 0);
    },
  });
  // A counter read from the append-only audit trail: monotonic across restarts and equal on every replica.
  new Counter({
    name: 'anthropy_policy_blocks_total',
    help: 'Requests and workflow steps the policy engine blocked, by the rule that blocked them (from the audit trail)',
    labelNames: ['rule'],
    registers,
    async collect() {
      const s = await taken();
      this.reset();
      for (const b of s?.policyBlocks ?? []) this.inc({ rule: b.rule }, b.count);
    },
  });
}
