// The big lists' world, seeded in bulk through the database (COPY), not through the API: customer
// organizations, nodes, jobs and audit events up to the counts asked for. Seeding again with larger
// counts appends, so one database grows through the scales a benchmark measures. The audit events are
// chained as the product chains them (db/audit.ts's hash, continuing from the last event stored), so
// `npm run audit:verify` finds the trail intact.
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';
import { GENESIS_HASH, hashAuditEvent } from '../../../db/audit.ts';
import type { ACTOR_TYPES, AUDIT_OUTCOMES, JOB_STATES, NODE_STATUSES } from '../../../db/schema.ts';

export interface BigListsScale {
  organizations: number;
  nodes: number;
  jobs: number;
  auditEvents: number;
}

/** Every seeded record's time is this long after the seed's epoch, by its position: the newest is the last seeded. */
const STEP_MS = { nodes: 3_000_000, jobs: 300_000, auditEvents: 30_000 } as const;
/** A year before the benchmark ran: 100,000 jobs 300 s apart end about a year later. */
const EPOCH = Date.UTC(2025, 11, 1);
const ORGANIZATION_PREFIX = 'Bench customer';

// Shares of each kind in thousandths: a list filtered by one of them is as selective as it would be in use.
// Jobs under way are few, as in use: a request waits for approval a day at most (APPROVAL_TIMEOUT_HOURS)
// and 100,000 jobs are a year's, so about 300 wait at a time (every console page counts those awaiting
// the viewer: api/approvals/service.ts).
const NODE_MIX: [(typeof NODE_STATUSES)[number], number][] = [
  ['online', 700],
  ['offline', 150],
  ['stale', 50],
  ['pending', 50],
  ['revoked', 50],
];
const JOB_MIX: [(typeof JOB_STATES)[number], number][] = [
  ['completed', 800],
  ['failed', 120],
  ['cancelled', 50],
  ['expired', 15],
  ['rejected', 9],
  ['waiting_for_approval', 3],
  ['running', 2],
  ['preflight', 1],
];
const JOB_TYPES = ['deploy_openclaw', 'health_check', 'restart_gateway', 'inventory_refresh', 'read_logs', 'apply_capabilities'];
const AUDIT_MIX: [action: string, actorType: (typeof ACTOR_TYPES)[number], outcome: (typeof AUDIT_OUTCOMES)[number], share: number][] = [
  ['node.heartbeat_rejected', 'agent', 'denied', 30],
  ['job.approve', 'person', 'success', 150],
  ['job.request', 'person', 'success', 200],
  ['job.complete', 'workflow', 'success', 300],
  ['job.fail', 'workflow', 'failure', 50],
  ['auth.sign_in', 'person', 'success', 200],
  ['auth.sign_in', 'person', 'denied', 50],
  ['node.update', 'api_token', 'success', 20],
];

/** The entry of a mix for record `i`: spread by a hash of `i`, so the kind is independent of the organization (i mod N). */
function pick<T extends unknown[]>(mix: T[], i: number): T {
  let h = Math.imul(i ^ (i >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  let slot = ((h ^ (h >>> 16)) >>> 0) % 1000;
  for (const entry of mix) {
    slot -= entry[entry.length - 1] as number;
    if (slot < 0) return entry;
  }
  return mix[0]!;
}

/** COPY's text format: a backslash, tab, newline or carriage return in a value is escaped; null is \N. */
const copyValue = (v: string | null) => (v === null ? '\\N' : v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!));
const copyLine = (values: (string | null)[]) => `${values.map(copyValue).join('\t')}\n`;

/**
 * Appends lines `line(i)` to `table`'s `columns` (COPY, in chunks) until the rows matching `seeded` (the
 * ones this seed made) number `target`; i counts on from those already there.
 */
async function seedUpTo(tx: postgres.TransactionSql, table: string, seeded: string, target: number, columns: string[], line: (i: number) => (string | null)[]) {
  const from = (await tx.unsafe<{ count: number }[]>(`select count(*)::int as count from ${table} where ${seeded}`))[0]!.count;
  if (target <= from) return;
  function* chunks() {
    let chunk = '';
    for (let i = from; i < target; i++) {
      chunk += copyLine(line(i));
      if (chunk.length > 256 * 1024) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  const stream = await tx.unsafe(`copy ${table} (${columns.join(', ')}) from stdin`).writable();
  await pipeline(Readable.from(chunks()), stream);
}

const JOB_COLUMNS = [
  'id',
  'type',
  'organization_id',
  'node_id',
  'params',
  'workflow_id',
  'requested_by',
  'state',
  'step',
  'failure_reason',
  'created_at',
  'updated_at',
  'completed_at',
];
const AUDIT_COLUMNS = ['at', 'actor_type', 'actor_id', 'actor_label', 'organization_id', 'action', 'target_type', 'target_id', 'outcome', 'reason', 'details', 'prev_hash', 'hash'];

const at = (kind: keyof typeof STEP_MS, i: number) => new Date(EPOCH + i * STEP_MS[kind]);

/**
 * Seeds up to `scale` (appending to what an earlier call seeded). The organizations' first person is the
 * requester of every job. Triggers are off for the seed's session (session_replication_role = replica):
 * a bulk load announces no live changes to consoles (ADR 0018), and the audit trail's append-only
 * trigger guards updates and deletes, which a seed never makes.
 */
export async function seedBigLists(sql: postgres.Sql, scale: BigListsScale, requesterId: string | null): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    // One writer of the audit trail at a time, as db/audit.ts's recordAudit takes it.
    await tx`select pg_advisory_xact_lock(hashtext('audit_events'))`;

    await seedUpTo(tx, 'organizations', `name like '${ORGANIZATION_PREFIX} %'`, scale.organizations, ['name', 'kind', 'created_at'], (i) => [
      `${ORGANIZATION_PREFIX} ${String(i + 1).padStart(3, '0')}`,
      'customer',
      new Date(EPOCH - 86_400_000 + i * 1000).toISOString(),
    ]);
    const orgs = (await tx<{ id: string }[]>`select id from organizations where name like ${`${ORGANIZATION_PREFIX} %`} order by name`).map((o) => o.id);

    await seedUpTo(
      tx,
      'nodes',
      "name like 'bench-node-%'",
      scale.nodes,
      ['id', 'organization_id', 'name', 'labels', 'status', 'created_at', 'updated_at', 'last_seen_at', 'last_report'],
      (i) => {
        const created = at('nodes', i).toISOString();
        const [status] = pick(NODE_MIX, i);
        const report = { agentVersion: '0.1.0', hostname: `host-${i}`, os: 'Debian GNU/Linux 13', dockerVersion: '28.5.2' };
        return [
          crypto.randomUUID(),
          orgs[i % orgs.length]!,
          `bench-node-${String(i + 1).padStart(5, '0')}`,
          JSON.stringify(['bench', `rack-${i % 20}`]),
          status,
          created,
          created,
          status === 'pending' ? null : created,
          status === 'pending' ? null : JSON.stringify(report),
        ];
      },
    );
    // Each job runs on a node of its own organization.
    const nodesByOrg = new Map<string, string[]>();
    for (const n of await tx<{ id: string; organization_id: string }[]>`select id, organization_id from nodes where name like 'bench-node-%' order by name`) {
      nodesByOrg.set(n.organization_id, [...(nodesByOrg.get(n.organization_id) ?? []), n.id]);
    }

    const terminal = new Set(['completed', 'failed', 'cancelled', 'expired', 'rejected']);
    const jobLine = (i: number) => {
      const org = orgs[i % orgs.length]!;
      const onOrg = nodesByOrg.get(org) ?? [];
      const [state] = pick(JOB_MIX, i);
      const created = at('jobs', i);
      const ended = terminal.has(state) ? new Date(created.getTime() + 20_000 + (i % 40) * 1000).toISOString() : null;
      return [
        crypto.randomUUID(),
        JOB_TYPES[i % JOB_TYPES.length]!,
        org,
        onOrg.length ? onOrg[Math.floor(i / orgs.length) % onOrg.length]! : null,
        JSON.stringify({ instanceName: `gateway-${i % 7}`, port: 18789 }),
        `bench-job-${i + 1}`,
        requesterId,
        state,
        state === 'running' ? 'wait-healthy' : null,
        state === 'failed' ? 'The gateway did not answer /healthz within 120 s.' : null,
        created.toISOString(),
        ended ?? created.toISOString(),
        ended,
      ];
    };
    await seedUpTo(tx, 'jobs', "workflow_id like 'bench-job-%'", scale.jobs, JOB_COLUMNS, jobLine);

    // The audit trail continues from the last event stored, whoever wrote it (the bench's own sign-in).
    const [last] = await tx<{ hash: string }[]>`select hash from audit_events order by id desc limit 1`;
    let prevHash = last?.hash ?? GENESIS_HASH;
    const auditLine = (i: number) => {
      const [action, actorType, outcome] = pick(AUDIT_MIX, i);
      const org = orgs[i % orgs.length]!;
      const fields = {
        at: at('auditEvents', i),
        actorType,
        actorId: actorType === 'person' || actorType === 'api_token' ? requesterId : null,
        actorLabel: `bench-${actorType}-${i % 50}@customer-${i % orgs.length}.example`,
        organizationId: org,
        action,
        targetType: action.startsWith('auth.') ? null : action.split('.')[0]!,
        targetId: action.startsWith('auth.') ? null : `bench-target-${i % 5000}`,
        outcome,
        reason: outcome === 'success' ? null : outcome === 'denied' ? 'The password did not match.' : 'The gateway did not answer /healthz within 120 s.',
        details: { seq: i, source: 'bench' },
        prevHash,
      };
      const hash = hashAuditEvent(fields);
      prevHash = hash;
      return [
        fields.at.toISOString(),
        fields.actorType,
        fields.actorId,
        fields.actorLabel,
        fields.organizationId,
        fields.action,
        fields.targetType,
        fields.targetId,
        fields.outcome,
        fields.reason,
        JSON.stringify(fields.details),
        fields.prevHash,
        hash,
      ];
    };
    await seedUpTo(tx, 'audit_events', "actor_label like 'bench-%'", scale.auditEvents, AUDIT_COLUMNS, auditLine);
  });
  // The planner's statistics and the visibility map, as autovacuum would leave them after a bulk load.
  await sql`vacuum analyze organizations, nodes, jobs, audit_events`;
}
