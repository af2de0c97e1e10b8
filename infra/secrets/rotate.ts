// Re-wraps every organization's data key under a new KEK, online: each row keeps its previous wrapping
// beside the new one, so web and worker processes still running with the old SECRETS_KEY keep opening
// secrets until they restart with the new one. Idempotent: a row already wrapped by the new KEK is left
// alone, so an interrupted run is simply run again. `finish` then drops the old wrappings, once nothing
// runs with the old key any more (a leaked old KEK then opens nothing).
import { and, eq, isNotNull, ne } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { organizationDataKeys } from '../../db/schema.ts';
import { wrapContext } from './data-keys.ts';
import type { KeyEncryptionKey } from './kek.ts';

export interface RotationReport {
  rewrapped: number;
  alreadyRewrapped: number;
  total: number;
}

export async function rewrapDataKeys(db: Executor, from: KeyEncryptionKey, to: KeyEncryptionKey): Promise<RotationReport> {
  if (from.fingerprint === to.fingerprint) throw new Error('SECRETS_KEY_NEW is the same key as SECRETS_KEY: nothing to rotate to');
  const rows = await db.select().from(organizationDataKeys);
  let rewrapped = 0;
  let alreadyRewrapped = 0;
  for (const row of rows) {
    if (row.kekFingerprint === to.fingerprint) {
      alreadyRewrapped++;
      continue;
    }
    // The row may already be in an earlier, unfinished rotation: the old KEK is then its previous wrapping.
    const old = row.kekFingerprint === from.fingerprint ? row.wrappedKey : row.previousKekFingerprint === from.fingerprint ? row.previousWrappedKey : null;
    if (!old) throw new Error(`the data key of organization ${row.organizationId} is not wrapped by SECRETS_KEY (fingerprint ${row.kekFingerprint}): nothing was changed for it`);
    const context = wrapContext(row.organizationId, row.id);
    const wrappedKey = await to.wrap(await from.unwrap(old, context), context);
    // Only if nobody changed the row meanwhile (another rotation run): otherwise the next run picks it up.
    const done = await db
      .update(organizationDataKeys)
      .set({ wrappedKey, kekFingerprint: to.fingerprint, previousWrappedKey: old, previousKekFingerprint: from.fingerprint, rewrappedAt: new Date() })
      .where(and(eq(organizationDataKeys.id, row.id), eq(organizationDataKeys.wrappedKey, row.wrappedKey)))
      .returning({ id: organizationDataKeys.id });
    if (done.length) rewrapped++;
    else alreadyRewrapped++;
  }
  return { rewrapped, alreadyRewrapped, total: rows.length };
}

/** Drops the previous wrappings once every row is wrapped by `current`; refuses (changing nothing) otherwise. */
export async function finishRotation(db: Executor, current: KeyEncryptionKey): Promise<{ dropped: number }> {
  const behind = await db.select({ id: organizationDataKeys.id }).from(organizationDataKeys).where(ne(organizationDataKeys.kekFingerprint, current.fingerprint));
  if (behind.length) throw new Error(`${behind.length} data key(s) are not wrapped by SECRETS_KEY yet: run the rotation again first`);
  const dropped = await db
    .update(organizationDataKeys)
    .set({ previousWrappedKey: null, previousKekFingerprint: null })
    .where(isNotNull(organizationDataKeys.previousWrappedKey))
    .returning({ id: organizationDataKeys.id });
  return { dropped: dropped.length };
}
