// A node's status change as the node status sweep records it (activities/nodes.ts: an audited `node.status`
// with from and to), for tests that script a node's history; `at` backdates it (the dashboard's 7-day chart).
import { NODE_STATUS_SWEEP_ACTOR } from '../../activities/nodes.ts';
import { recordAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';

export interface NodeStatusChange {
  organizationId: string;
  nodeId: string;
  from: string;
  to: string;
  outcome?: 'success' | 'denied';
  reason?: string;
}

export const recordNodeStatusChange = (db: Db, c: NodeStatusChange, at = new Date()) =>
  recordAudit(db, {
    ...NODE_STATUS_SWEEP_ACTOR,
    organizationId: c.organizationId,
    action: 'node.status',
    targetType: 'node',
    targetId: c.nodeId,
    outcome: c.outcome ?? 'success',
    reason: c.reason ?? null,
    details: { from: c.from, to: c.to },
    at,
  });
