// Activities for nodes on the control plane: the status the node monitor workflow decides.
import { and, eq, ne } from 'drizzle-orm';
import { recordAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { loadConfig } from '../infra/config.ts';
import { nodes, type NodeStatus } from '../db/schema.ts';

export function createNodeActivities(deps: { db: Db }) {
  return {
    /**
     * Sets the node's status unless the node was revoked (a revoked node stays revoked), and audits a
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
