// A node's heartbeat, as the API receives it from the agent (already authenticated by its signature):
// the report and the container inventory are stored here, and a node that was not online turns online
// (audited). Nothing goes to Temporal: the control plane's sweep turns silent nodes stale and offline from
// what Postgres holds (activities/nodes.ts, ADR 0029).
import { and, eq, notInArray, sql } from 'drizzle-orm';
import { agentAuditActor, recordAudit } from '../../db/audit.ts';
import type { Db, Executor } from '../../db/client.ts';
import { instances, nodeContainers, nodes } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import { asReported, HeartbeatReport, type ContainerRecord } from '../../protocol/heartbeat.ts';
import { storeInstanceConfigs } from '../instances/drift.ts';
import { NODE_MONITOR_ID_PREFIX } from '../jobs/workflow-organization.ts';
import { ForbiddenError, parseInput } from '../errors.ts';
import { processMetrics } from '../metrics/registry.ts';
import { createLogger } from '../../infra/logger.ts';

const log = createLogger('api');

/**
 * A container's date as PostgreSQL can store it, or null. Docker reports whatever the container says (an
 * odd image can claim year 0000, which no timestamp column holds): one unusable date must not cost the
 * whole report, so it becomes null and the rest of the container is kept.
 */
export function storableDate(value: string | null): Date | null {
  if (!value) return null;
  const at = new Date(value);
  const year = at.getUTCFullYear();
  return Number.isNaN(at.getTime()) || year < 1 || year > 9999 ? null : at;
}
export const nodeMonitorId = (nodeId: string) => `${NODE_MONITOR_ID_PREFIX}${nodeId}`;

/**
 * Records what discovery saw as `discovered` instances of the node's organization: new ones are added,
 * known ones updated, and discovered ones no longer seen removed. Managed instances are never touched,
 * and their containers are never reported as a discovery of their own.
 */
export async function storeDiscoveredInstances(tx: Executor, nodeId: string, found: NonNullable<HeartbeatReport['discovered']>): Promise<void> {
  const [node] = await tx.select({ organizationId: nodes.organizationId }).from(nodes).where(eq(nodes.id, nodeId));
  if (!node) return;
  // A managed instance's own containers look like OpenClaw too: they are that instance, not a discovery.
  const managed = await tx
    .select({ containerIds: instances.containerIds })
    .from(instances)
    .where(and(eq(instances.nodeId, nodeId), eq(instances.state, 'managed')));
  const managedIds = new Set(managed.flatMap((m) => m.containerIds));
  found = found.filter((f) => !f.containerIds.some((id) => managedIds.has(id)));
  const names = found.map((f) => f.name);
  await tx.delete(instances).where(and(eq(instances.nodeId, nodeId), eq(instances.state, 'discovered'), names.length ? notInArray(instances.name, names) : undefined));
  for (const f of found) {
    const values = { containerIds: f.containerIds, reasons: f.reasons, confidence: f.confidence.toFixed(2), updatedAt: new Date() };
    await tx
      .insert(instances)
      .values({ organizationId: node.organizationId, nodeId, name: f.name, state: 'discovered', ...values })
      .onConflictDoUpdate({ target: [instances.nodeId, instances.name], set: values, setWhere: eq(instances.state, 'discovered') });
  }
}

/** Replaces the stored inventory of a node with what its agent reported. */
export async function storeInventory(tx: Executor, nodeId: string, containers: ContainerRecord[], seenAt: Date): Promise<void> {
  const ids = containers.map((c) => c.id);
  await tx.delete(nodeContainers).where(and(eq(nodeContainers.nodeId, nodeId), ids.length ? notInArray(nodeContainers.containerId, ids) : undefined));
  for (const c of containers) {
    const row = {
      nodeId,
      containerId: c.id,
      ...asReported(c),
      labels: c.labels,
      networkMode: c.networkMode ?? null,
      createdAt: storableDate(c.created),
      startedAt: storableDate(c.started),
      seenAt,
    };
    await tx
      .insert(nodeContainers)
      .values(row)
      .onConflictDoUpdate({ target: [nodeContainers.nodeId, nodeContainers.containerId], set: row });
  }
}

/**
 * A heartbeat is late when it comes after the node had turned stale: the monitor had marked it stale or
 * offline, or its previous report is older than the NODE_STALE_AFTER_MISSED intervals after which the
 * monitor turns a node stale (the monitor may not have run yet). A node's first report is never late.
 */
export function heartbeatWasLate(
  before: { lastSeenAt: Date | null; status: string },
  now: Date,
  config: { NODE_HEARTBEAT_SECONDS: number; NODE_STALE_AFTER_MISSED: number },
): boolean {
  if (before.status === 'stale' || before.status === 'offline') return true;
  return before.lastSeenAt !== null && now.getTime() - before.lastSeenAt.getTime() > config.NODE_HEARTBEAT_SECONDS * config.NODE_STALE_AFTER_MISSED * 1000;
}

/**
 * Stores the report as the node's last, unless the node was revoked (or removed), in one statement that
 * also answers the node as it was before (to tell whether this report was late, and whether it turned the
 * node online): its row is locked by the subquery, so a concurrent beat of the same node, or the status
 * sweep, waits and then sees this one's. A node not yet online turns online, unless `onlyIfOnline`, which
 * then leaves it untouched (undefined) for a caller that audits the change in a transaction. Undefined
 * when refused.
 */
export async function storeNodeReport(
  tx: Executor,
  nodeId: string,
  lastReport: Record<string, unknown>,
  now: Date,
  options: { onlyIfOnline?: boolean } = {},
): Promise<{ lastSeenAt: Date | null; status: string; organizationId: string } | undefined> {
  const rows = await tx.execute<{ last_seen_at: string | Date | null; status: string; organization_id: string }>(sql`
    update ${nodes} set ${sql.identifier(nodes.lastSeenAt.name)} = ${now.toISOString()}, ${sql.identifier(nodes.lastReport.name)} = ${JSON.stringify(lastReport)}::jsonb,
      status = 'online', updated_at = case when before.status = 'online' then ${nodes.updatedAt} else ${now.toISOString()}::timestamptz end
    from (select ${nodes.id} as id, ${nodes.lastSeenAt} as last_seen_at, ${nodes.status} as status from ${nodes} where ${nodes.id} = ${nodeId} for update) as before
    where ${nodes.id} = before.id and ${nodes.revokedAt} is null ${options.onlyIfOnline ? sql`and before.status = 'online'` : sql``}
    returning before.last_seen_at, before.status, ${nodes.organizationId} as organization_id`);
  const [before] = rows;
  if (!before) return undefined;
  return { lastSeenAt: before.last_seen_at === null ? null : new Date(before.last_seen_at), status: before.status, organizationId: before.organization_id };
}

export async function receiveHeartbeat(db: Db, nodeId: string, input: unknown): Promise<{ accepted: true }> {
  const { containers, discovered, instanceConfigs, ...report } = parseInput(HeartbeatReport, input);
  const now = new Date();
  const config = loadConfig();
  const lastReport = { ...report, receivedAt: now.toISOString() };
  // Most beats come from an online node and carry no inventory and no gateway configuration (unchanged
  // since the last one): one statement, no transaction, which at a thousand nodes is most of what the
  // control plane does for them. The others (a first beat, a beat after silence, an inventory) take a
  // transaction, so that a node turned online is audited with it.
  let before = !instanceConfigs && !containers ? await storeNodeReport(db, nodeId, lastReport, now, { onlyIfOnline: true }) : undefined;
  if (!before) {
    before = await db.transaction(async (tx) => {
      const stored = await storeNodeReport(tx, nodeId, lastReport, now);
      if (!stored) return undefined;
      if (stored.status !== 'online') {
        await recordAudit(tx, {
          ...agentAuditActor({ nodeId, hostname: report.hostname }),
          organizationId: stored.organizationId,
          action: 'node.status',
          targetType: 'node',
          targetId: nodeId,
          outcome: 'success',
          reason: `heartbeat from agent ${report.agentVersion}`,
          details: { from: stored.status, to: 'online' },
        });
      }
      if (instanceConfigs) await storeInstanceConfigs(tx, { nodeId, hostname: report.hostname }, instanceConfigs, now);
      if (containers) {
        await storeInventory(tx, nodeId, containers, now);
        if (discovered) await storeDiscoveredInstances(tx, nodeId, discovered);
      }
      return stored;
    });
  }
  // A revoked (or removed) node's heartbeats are refused.
  if (!before) throw new ForbiddenError('This node was revoked; its agent must enroll again with a new token.');
  const metrics = processMetrics();
  metrics.heartbeatsReceived.inc();
  if (heartbeatWasLate(before, now, config)) {
    metrics.heartbeatsLate.inc();
    log.info({ nodeId, previousAt: before.lastSeenAt?.toISOString() ?? null, status: before.status }, 'late heartbeat');
  }
  return { accepted: true };
}
