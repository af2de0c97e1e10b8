import { desc, eq } from 'drizzle-orm';
import { getDb } from '../../../../db/client.ts';
import { auditEvents } from '../../../../db/schema.ts';
import type { SessionUser } from '../../auth/session.server.ts';

/** Newest events first; company staff see only their own organization's events. */
export async function recentAuditEvents(user: SessionUser, limit = 100) {
  const mspStaff = user.role === 'msp_admin' || user.role === 'msp_operator';
  const rows = await getDb().select().from(auditEvents)
    .where(mspStaff ? undefined : eq(auditEvents.organizationId, user.organizationId))
    .orderBy(desc(auditEvents.id)).limit(limit);
  return rows.map((e) => ({ ...e, at: e.at.toISOString() }));
}
