// A connection's status changes in one place: the status, the sentence saying why, and when. The runner
// (a secret that no longer opens, a provider refusing the credentials) and the service (people's actions)
// both come through here.
import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { connections, type ConnectionStatus } from '../../db/schema.ts';

export type ConnectionRow = typeof connections.$inferSelect;

export async function setConnectionStatus(db: Executor, row: ConnectionRow, status: ConnectionStatus, reason: string): Promise<ConnectionRow> {
  const now = new Date();
  const [updated] = await db
    .update(connections)
    .set({ status, statusReason: reason, ...(status !== row.status ? { statusChangedAt: now } : {}), updatedAt: now })
    .where(eq(connections.id, row.id))
    .returning();
  return updated ?? row;
}

/** What a credential is bound to, so a sealed value moved to another connection's row does not open. */
export const credentialBinding = (row: Pick<ConnectionRow, 'id' | 'organizationId'>) => ({ organizationId: row.organizationId, record: `connection:${row.id}` });
