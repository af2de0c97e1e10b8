// A node's heartbeat, as the API receives it from the agent (already authenticated by its signature):
// the report and the container inventory are stored here, and the node's monitor workflow is told
// (signal-with-start), which decides the status.
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, isNull, notInArray } from 'drizzle-orm';
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

export async function receiveHeartbeat(db: Db, nodeId: string, input: unknown): Promise<{ accepted: true }> {
  const { containers, discovered, instanceConfigs, ...report } = parseInput(HeartbeatReport, input);
  const now = new Date();
  const config = loadConfig();
  let late: { lastSeenAt: Date | null; status: string } | undefined;
  const accepted = await db.transaction(async (tx) => {
    // The node as it was before this report: was this one late?
    const [before] = await tx.select({ lastSeenAt: nodes.lastSeenAt, status: nodes.status }).from(nodes).where(eq(nodes.id, nodeId)).for('update');
    if (before && heartbeatWasLate(before, now, config)) late = before;
    const [node] = await tx
      .update(nodes)
      .set({ lastSeenAt: now, lastReport: { ...report, receivedAt: now.toISOString() } })
      .where(and(eq(nodes.id, nodeId), isNull(nodes.revokedAt)))
      .returning({ id: nodes.id });
    if (!node) return false;
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
