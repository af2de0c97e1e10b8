// Activities for nodes on the control plane: the status the node monitor workflow decides.
import { and, eq, ne } from 'drizzle-orm';
import { recordAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { nodes, type NodeStatus } from '../db/schema.ts';

export function createNodeActivities(deps: { db: Db }) {
  return {
    /**
     * Sets the node's status unless the node was revoked (a revoked node stays revoked), and audits a
     * real change. Idempotent: setting the status it already has changes nothing.
     */
    async setNodeStatus(input: { nodeId: string; status: Exclude<NodeStatus, 'revoked'>; reason: string }): Promise<{ changed: boolean; revoked: boolean }> {
      return deps.db.transaction(async (tx) => {
        const [node] = await tx.select({ status: nodes.status, organizationId: nodes.organizationId, revokedAt: nodes.revokedAt })
          .from(nodes).where(eq(nodes.id, input.nodeId)).for('update');
        if (!node) return { changed: false, revoked: true }; // removed: nothing left to monitor
        if (node.revokedAt || node.status === 'revoked') return { changed: false, revoked: true };
        const [updated] = await tx.update(nodes).set({ status: input.status, updatedAt: new Date() })
          .where(and(eq(nodes.id, input.nodeId), ne(nodes.status, input.status))).returning({ id: nodes.id });
        if (updated) {
          await recordAudit(tx, {
            actorType: 'workflow', actorId: `node-monitor.${input.nodeId}`, actorLabel: 'node monitor', organizationId: node.organizationId,
            action: 'node.status', targetType: 'node', targetId: input.nodeId, outcome: 'success', reason: input.reason,
            details: { from: node.status, to: input.status },
          });
        }
        return { changed: Boolean(updated), revoked: false };
      });
    },
  };
}

export type NodeActivities = ReturnType<typeof createNodeActivities>;
