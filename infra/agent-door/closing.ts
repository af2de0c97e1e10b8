// Revoking or re-enrolling a node closes its agent's door at once: the transaction that changes the
// node's credential or revocation also notifies the door (Postgres NOTIFY, delivered on commit), which
// drops the verdicts it reuses and checks its calls in flight again. The door's own once-a-second check
// stays the fallback should a notification be missed.
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';

export const DOOR_CLOSING_CHANNEL = 'agent_door_closing';

/** Tells the agent door, when `tx` commits, that node `nodeId`'s credential changed or was revoked. */
export async function closeDoorOf(tx: Executor, nodeId: string): Promise<void> {
  await tx.execute(sql`select pg_notify(${DOOR_CLOSING_CHANNEL}, ${nodeId})`);
}
