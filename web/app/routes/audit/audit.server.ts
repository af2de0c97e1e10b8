import { desc, eq } from 'drizzle-orm';
import { getDb } from '../../../../db/client.ts';
import { auditEvents } from '../../../../db/schema.ts';
import { isMspStaff, type Actor } from '../../../../api/authz.ts';

/** Newest events first; company staff see only their own organization's events. */
export async function recentAuditEvents(actor: Actor, limit = 100) {
  const rows = await getDb().select().from(auditEvents)
    .where(isMspStaff(actor) ? undefined : eq(auditEvents.organizationId, actor.organizationId))
    .orderBy(desc(auditEvents.id)).limit(limit);
  return rows.map((e) => ({ ...e, at: e.at.toISOString() }));
}
