// Part of `npm run secrets:rotate`: TOTP keys sealed with SECRETS_KEY itself (infra/secret-box.ts) would
// not open once SECRETS_KEY is replaced, so the rotation moves them under their organization's data key,
// which the re-wrap carries over to the new KEK. Values already moved are left alone (idempotent).
import { and, eq, isNotNull, not, like } from 'drizzle-orm';
import { keyContext } from '../../api/auth/totp.ts';
import type { Executor } from '../../db/client.ts';
import { users } from '../../db/schema.ts';
import { open } from '../secret-box.ts';
import { localKek } from './kek.ts';
import { sealSecret } from './sealed.ts';

/** Moves every SECRETS_KEY-sealed TOTP key (under `oldKey`, or already under `newKey`) to data-key sealing. */
export async function moveTotpKeys(db: Executor, oldKey: string, newKey: string): Promise<{ moved: number; unreadable: number }> {
  const rows = await db
    .select({ id: users.id, organizationId: users.organizationId, sealed: users.totpKeyEncrypted })
    .from(users)
    .where(and(isNotNull(users.totpKeyEncrypted), not(like(users.totpKeyEncrypted, 'aw1.%'))));
  let moved = 0;
  let unreadable = 0;
  for (const row of rows) {
    const context = keyContext(row.id);
    let key: Uint8Array | null = null;
    for (const candidate of [oldKey, newKey]) {
      try {
        key = open(row.sealed!, context, candidate);
        break;
      } catch {
        /* try the other key */
      }
    }
    // Opens with neither: the person turns two-factor on again (their status page says so already).
    if (!key) {
      unreadable++;
      continue;
    }
    // Sealed through the old KEK's wrapping: a data key made here is then re-wrapped with the others.
    const resealed = await sealSecret(db, localKek(oldKey), { organizationId: row.organizationId, record: context }, Buffer.from(key).toString('base64'));
    const done = await db
      .update(users)
      .set({ totpKeyEncrypted: resealed })
      .where(and(eq(users.id, row.id), eq(users.totpKeyEncrypted, row.sealed!)))
      .returning({ id: users.id });
    moved += done.length;
  }
  return { moved, unreadable };
}
