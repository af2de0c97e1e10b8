// A record's history as the audit trail holds it: every change the product makes is audited (with its
// time, outcome and details), so a node's status changes and an instance's health checks are read back
// from there, newest first, in cursor pages. No second copy to drift from the trail.
import { and, desc, eq, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { auditEvents } from '../../db/schema.ts';
import { afterCursor, toPage, type PageQuery } from '../pagination.ts';

export type AuditedEvent = typeof auditEvents.$inferSelect;

/** The audited `action`s on one record, newest first (outcome `denied` is a refused change, not history). */
export async function auditedHistory(db: Db, target: { type: string; id: string }, action: string, page: PageQuery) {
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.targetType, target.type),
        eq(auditEvents.targetId, target.id),
        eq(auditEvents.action, action),
        ne(auditEvents.outcome, 'denied'),
        afterCursor(page.cursor, auditEvents.at, auditEvents.id, 'desc'),
      ),
    )
    .orderBy(desc(auditEvents.at), desc(auditEvents.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit, (r) => ({ at: r.at.toISOString(), id: String(r.id) }));
}
