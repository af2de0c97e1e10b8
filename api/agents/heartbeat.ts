// A node's heartbeat, as the API receives it from the agent (already authenticated by its signature):
// the report and the container inventory are stored here, and the node's monitor workflow is told
// (signal-with-start), which decides the status.
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { Db, Executor } from '../../db/client.ts';
import { instances, nodeContainers, nodes } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import { asReported, HeartbeatReport, type ContainerRecord } from '../../protocol/heartbeat.ts';
import { heartbeatSignal, nodeMonitor } from '../../workflows/node-monitor.ts';
import { storeInstanceConfigs } from '../instances/drift.ts';
import { NODE_MONITOR_ID_PREFIX } from '../jobs/workflow-organization.ts';
import { ForbiddenError, parseInput, UnavailableError } from '../errors.ts';
import { controlPlaneTaskQueue, getTemporalClient } from '../temporal-client.ts';
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
 * also answers the node as it was before (to tell whether this report was late): its row is locked by the
 * subquery, so a concurrent beat of the same node waits and then sees this one's. Undefined when refused.
 */
export async function storeNodeReport(
  tx: Executor,
  nodeId: string,
  lastReport: Record<string, unknown>,
  now: Date,
): Promise<{ lastSeenAt: Date | null; status: string } | undefined> {
  const rows = await tx.execute<{ last_seen_at: string | Date | null; status: string }>(sql`
    update ${nodes} set ${sql.identifier(nodes.lastSeenAt.name)} = ${now.toISOString()}, ${sql.identifier(nodes.lastReport.name)} = ${JSON.stringify(lastReport)}::jsonb
    from (select ${nodes.id} as id, ${nodes.lastSeenAt} as last_seen_at, ${nodes.status} as status from ${nodes} where ${nodes.id} = ${nodeId} for update) as before
    where ${nodes.id} = before.id and ${nodes.revokedAt} is null
    returning before.last_seen_at, before.status`);
  const [before] = rows;
  if (!before) return undefined;
  return { lastSeenAt: before.last_seen_at === null ? null : new Date(before.last_seen_at), status: before.status };
}

export async function receiveHeartbeat(db: Db, nodeId: string, input: unknown): Promise<{ accepted: true }> {
  const { containers, discovered, instanceConfigs, ...report } = parseInput(HeartbeatReport, input);
  const now = new Date();
  const config = loadConfig();
  let late: { lastSeenAt: Date | null; status: string } | undefined;
  const storeReport = async (tx: Executor): Promise<boolean> => {
    const before = await storeNodeReport(tx, nodeId, { ...report, receivedAt: now.toISOString() }, now);
    if (!before) return false;
    if (heartbeatWasLate(before, now, config)) late = before;
    return true;
  };
  // Most beats carry no inventory and no gateway configuration (unchanged since the last one): one
  // statement, no transaction, which at a thousand nodes is most of what the database does for them.
  const accepted =
    !instanceConfigs && !containers
      ? await storeReport(db)
      : await db.transaction(async (tx) => {
          if (!(await storeReport(tx))) return false;
          if (instanceConfigs) await storeInstanceConfigs(tx, { nodeId, hostname: report.hostname }, instanceConfigs, now);
          if (!containers) return true;
          await storeInventory(tx, nodeId, containers, now);
          if (discovered) await storeDiscoveredInstances(tx, nodeId, discovered);
          return true;
        });
  // A revoked (or removed) node's heartbeats are refused and never reach its monitor.
  if (!accepted) throw new ForbiddenError('This node was revoked; its agent must enroll again with a new token.');
  const metrics = processMetrics();
  metrics.heartbeatsReceived.inc();
  if (late) {
    metrics.heartbeatsLate.inc();
    log.info({ nodeId, previousAt: late.lastSeenAt?.toISOString() ?? null, status: late.status }, 'late heartbeat');
  }
  try {
    const client = await getTemporalClient();
    await client.workflow.signalWithStart(nodeMonitor, {
      workflowId: nodeMonitorId(nodeId),
      taskQueue: controlPlaneTaskQueue(),
      args: [{ nodeId, intervalSeconds: config.NODE_HEARTBEAT_SECONDS, staleAfterMissed: config.NODE_STALE_AFTER_MISSED, offlineAfterMissed: config.NODE_OFFLINE_AFTER_MISSED }],
      signal: heartbeatSignal,
      signalArgs: [{ at: now.toISOString(), agentVersion: report.agentVersion }],
    });
  } catch {
    // The report is stored; the agent sends the next one on its schedule.
    throw new UnavailableError('The report was stored, but the node’s monitor could not be told: Temporal is not reachable.');
  }
  return { accepted: true };
}

/**
 * Ends a node's monitor (on revocation), so a re-enrolled node starts with a fresh one. Best effort: a
 * monitor that is not running is fine, and a monitor that could not be reached ends by itself the next
 * time it finds the node revoked.
 */
export async function endNodeMonitor(nodeId: string): Promise<void> {
  try {
    const client = await getTemporalClient();
    await client.workflow.getHandle(nodeMonitorId(nodeId)).terminate('node revoked');
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}
