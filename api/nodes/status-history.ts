// A node's status over time (online, stale, offline, pending, revoked): each change a heartbeat or the node status sweep made,
// with its reason, from the audit trail (api/history/audited-history.ts). Whoever may see the node reads it.
import { z } from 'zod';
import { NODE_STATUSES } from '../../db/schema.ts';
import type { ServiceContext } from '../authz.ts';
import { parseInput } from '../errors.ts';
import { auditedHistory } from '../history/audited-history.ts';
import { PageQuery } from '../pagination.ts';
import { getNode } from './service.ts';

export const StatusChange = z.object({
  at: z.string(),
  from: z.enum(NODE_STATUSES).nullable(),
  to: z.enum(NODE_STATUSES),
  reason: z.string().nullable(),
});

const asStatus = (v: unknown) => ((NODE_STATUSES as readonly unknown[]).includes(v) ? (v as (typeof NODE_STATUSES)[number]) : null);

export async function getNodeStatusHistory(ctx: ServiceContext, id: string, query: unknown) {
  await getNode(ctx, id); // authorizes node.view (another organization's node is "not found")
  const page = await auditedHistory(ctx.db, { type: 'node', id }, 'node.status', parseInput(PageQuery, query ?? {}));
  return {
    items: page.items.flatMap((e) => {
      const to = asStatus(e.details.to);
      return to ? [{ at: e.at.toISOString(), from: asStatus(e.details.from), to, reason: e.reason }] : [];
    }),
    nextCursor: page.nextCursor,
  };
}
