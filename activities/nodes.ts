// Activities for nodes on the control plane: the sweep that turns silent nodes stale and then offline
// (workflows/node-status-sweep.ts, ADR 0029), and the status write of the node monitors it replaced,
// kept for monitors still running when the control plane was upgraded.
import { and, eq, ne, sql } from 'drizzle-orm';
import { recordAudit, recordAudits, type AuditInput } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { loadConfig, type Config } from '../infra/config.ts';
import { nodes, type NodeStatus } from '../db/schema.ts';

/**
 * How long a node may stay silent: stale after NODE_STALE_AFTER_MISSED intervals and offline after
 * NODE_OFFLINE_AFTER_MISSED, each from its last verified report and each plus a grace (half an interval, at
 * most 10 s) so that one beat a little late does not flap the status. The node monitor used the same.
 */
export function nodeStatusThresholds(config: Pick<Config, 'NODE_HEARTBEAT_SECONDS' | 'NODE_STALE_AFTER_MISSED' | 'NODE_OFFLINE_AFTER_MISSED'>) {
  const interval = config.NODE_HEARTBEAT_SECONDS * 1000;
  const grace = Math.min(interval / 2, 10_000);
  return { staleAfterMs: interval * config.NODE_STALE_AFTER_MISSED + grace, offlineAfterMs: interval * config.NODE_OFFLINE_AFTER_MISSED + grace };
}

/** The sweep's actor in the audit trail. */
export const NODE_STATUS_SWEEP_ACTOR = { actorType: 'workflow', actorId: 'node-status-sweep', actorLabel: 'node status sweep' } as const;
/** The sweep waits at least this long between two passes, and at most until a node may next turn. */
const MIN_SWEEP_GAP_MS = 200;

export interface SweepResult {
  stale: number;
  offline: number;
  /** When the next pass is due: when the first node could cross a threshold, from what Postgres holds now. */
  nextInMs: number;
}

export function createNodeActivities(deps: { db: Db }) {
  return {
    /**
     * One pass of the node status sweep: in one transaction, one UPDATE turns every `online` node whose
     * last verified report is older than the stale threshold `stale`, and one more every `stale` node past
     * the offline threshold `offline`; each change is audited (`node.status`, as the monitors did) and
     * announced to live pages by the nodes table's trigger. Only Postgres decides: no input is taken (a
     * rogue caller can only make it run early, which changes nothing that is not due), and the clock is
     * the database's, the same for every worker. A node the API has turned online since cannot be caught:
     * each UPDATE re-checks its row after waiting for a heartbeat holding it. Never-heard nodes (no report
     * yet) and revoked ones are left alone. Idempotent: a second pass, or two at once, changes nothing more.
     */
    async sweepNodeStatuses(): Promise<SweepResult> {
      const { staleAfterMs, offlineAfterMs } = nodeStatusThresholds(loadConfig());
      return deps.db.transaction(async (tx) => {
        type Changed = { id: string; organization_id: string; last_seen_at: string | Date };
        const turn = (from: NodeStatus, to: NodeStatus, afterMs: number) =>
          tx.execute<Changed>(sql`
            update ${nodes} set status = ${to}, updated_at = now()
            where status = ${from} and revoked_at is null and last_seen_at < now() - ${afterMs} * interval '1 millisecond'
            returning id, organization_id, last_seen_at`);
        const stale = await turn('online', 'stale', staleAfterMs);
        const offline = await turn('stale', 'offline', offlineAfterMs); // after a long silence, both in one pass
        const audit = (from: NodeStatus, to: NodeStatus, afterMs: number) => (n: Changed) =>
          ({
            ...NODE_STATUS_SWEEP_ACTOR,
            organizationId: n.organization_id,
            action: 'node.status',
            targetType: 'node',
            targetId: n.id,
            outcome: 'success',
            reason: `no heartbeat for ${Math.round(afterMs / 1000)} s`,
            details: { from, to, lastSeenAt: new Date(n.last_seen_at).toISOString() },
          }) satisfies AuditInput;
        await recordAudits(tx, [...stale.map(audit('online', 'stale', staleAfterMs)), ...offline.map(audit('stale', 'offline', offlineAfterMs))]);
        // No node can turn sooner than the first of these (a node the API turns online later has a later
        // report); with none, a whole stale threshold, by which any node turned online meanwhile is due.
        const [next] = await tx.execute<{ ms: number | null }>(sql`
          select extract(epoch from least(
            min(last_seen_at) filter (where status = 'online') + ${staleAfterMs} * interval '1 millisecond',
            min(last_seen_at) filter (where status = 'stale') + ${offlineAfterMs} * interval '1 millisecond'
          ) - now()) * 1000 as ms
          from ${nodes} where status in ('online', 'stale') and revoked_at is null and last_seen_at is not null`);
        const due = next?.ms === null || next?.ms === undefined ? staleAfterMs : Number(next.ms);
        return { stale: stale.length, offline: offline.length, nextInMs: Math.round(Math.min(staleAfterMs, Math.max(MIN_SWEEP_GAP_MS, due))) };
      });
    },

    /**
     * (The node monitors' write, for runs that were in flight when the sweep replaced them: see
     * workflows/node-monitor.ts.) Sets the node's status unless the node was revoked (a revoked node stays revoked), and audits a
     * real change. Idempotent: setting the status it already has changes nothing. The status must agree
     * with Postgres (ADR 0010): `online` only with a verified report stored recently (the heartbeat API
     * stores one only after checking the agent's signature), `stale` or `offline` only without one; a
     * heartbeat signal that no stored report backs changes nothing, and the refusal is audited.
     */
    async setNodeStatus(input: { nodeId: string; status: Exclude<NodeStatus, 'revoked'>; reason: string }): Promise<{ changed: boolean; revoked: boolean; refused?: boolean }> {
      return deps.db.transaction(async (tx) => {
        const [node] = await tx
          .select({ status: nodes.status, organizationId: nodes.organizationId, revokedAt: nodes.revokedAt, lastSeenAt: nodes.lastSeenAt })
          .from(nodes)
          .where(eq(nodes.id, input.nodeId))
          .for('update');
        if (!node) return { changed: false, revoked: true }; // removed: nothing left to monitor
        if (node.revokedAt || node.status === 'revoked') return { changed: false, revoked: true };
        const config = loadConfig();
        const interval = config.NODE_HEARTBEAT_SECONDS * 1000;
        const age = node.lastSeenAt ? Date.now() - node.lastSeenAt.getTime() : Infinity;
        const unbacked =
          input.status === 'online'
            ? age > interval * config.NODE_STALE_AFTER_MISSED + Math.min(interval / 2, 10_000)
              ? 'no verified report from its agent backs this heartbeat'
              : undefined
            : age < interval * config.NODE_STALE_AFTER_MISSED
              ? `its agent's last verified report is ${Math.round(age / 1000)} s old`
              : undefined;
        const audit = (outcome: 'success' | 'denied', reason: string) =>
          recordAudit(tx, {
            actorType: 'workflow',
            actorId: `node-monitor.${input.nodeId}`,
            actorLabel: 'node monitor',
            organizationId: node.organizationId,
            action: 'node.status',
            targetType: 'node',
            targetId: input.nodeId,
            outcome,
            reason,
            details: { from: node.status, to: input.status },
          });
        if (unbacked) {
          await audit('denied', `not ${input.status}: ${unbacked}`);
          return { changed: false, revoked: false, refused: true };
        }
        const [updated] = await tx
          .update(nodes)
          .set({ status: input.status, updatedAt: new Date() })
          .where(and(eq(nodes.id, input.nodeId), ne(nodes.status, input.status)))
          .returning({ id: nodes.id });
        if (updated) await audit('success', input.reason);
        return { changed: Boolean(updated), revoked: false };
      });
    },
  };
}

export type NodeActivities = ReturnType<typeof createNodeActivities>;
