// What the live provider tests share: pointing this process's configuration at stand-ins for a while, and
// the audit event one action left on a connection.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { auditEvents } from '../../db/schema.ts';

/** Sets these variables (the product reads its configuration at each call); the returned function puts back what was there. */
export function setEnv(vars: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(before))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  };
}

/** The first audit event of `action` on this target. */
export async function auditEventOf(db: Db, action: string, targetId: string) {
  const [event] = await db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.targetId, targetId)));
  return event;
}
