// Each organization's data key: 32 random bytes made on first use, stored only wrapped by the KEK, and
// bound (associated data) to its organization and key id. Unwrapped keys are cached per process by their
// wrapping and binding, so a KMS is not asked on every call; a rotation's new wrapping is simply another cache entry.
import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { organizationDataKeys } from '../../db/schema.ts';
import type { KeyEncryptionKey } from './kek.ts';

export interface DataKey {
  id: string;
  organizationId: string;
  key: Uint8Array;
}

/** Why a secret cannot be opened, in one sentence a person can act on (the connection shows it). */
export class SecretUnavailableError extends Error {}

/** What a wrapping is bound to: a wrapped key copied to another organization's row does not unwrap. */
export const wrapContext = (organizationId: string, keyId: string) => `aw-data-key|${organizationId}|${keyId}`;

const cache = new Map<string, Uint8Array>();
type Row = typeof organizationDataKeys.$inferSelect;

async function unwrapRow(kek: KeyEncryptionKey, row: Row): Promise<Uint8Array> {
  // The current wrapping, or during a rotation the previous one, whichever this process's KEK made.
  const wrapped = row.kekFingerprint === kek.fingerprint ? row.wrappedKey : row.previousKekFingerprint === kek.fingerprint ? row.previousWrappedKey : null;
  if (!wrapped) {
    throw new SecretUnavailableError(
      `the organization's data key is wrapped under another key-encryption key (fingerprint ${row.kekFingerprint}; this process has ${kek.fingerprint})`,
    );
  }
  // Cached by everything the unwrap checked: a wrapping copied to another row is a miss, and fails below.
  const context = wrapContext(row.organizationId, row.id);
  const cacheKey = `${kek.fingerprint}|${context}|${wrapped}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  try {
    const key = await kek.unwrap(wrapped, context);
    cache.set(cacheKey, key);
    return key;
  } catch {
    throw new SecretUnavailableError("the organization's data key does not unwrap (it was altered or moved from another organization)");
  }
}

const rowById = async (db: Db | Tx, keyId: string) => (await db.select().from(organizationDataKeys).where(eq(organizationDataKeys.id, keyId)))[0];

/** The data key of this id (named in a ciphertext), checked to belong to the organization. */
export async function dataKeyById(db: Db | Tx, kek: KeyEncryptionKey, keyId: string, organizationId: string): Promise<DataKey> {
  const row = await rowById(db, keyId);
  if (!row || row.organizationId !== organizationId) throw new SecretUnavailableError("the data key it was sealed with is not the organization's (or no longer exists)");
  return { id: row.id, organizationId, key: await unwrapRow(kek, row) };
}

/** The data key of this id, whichever organization's it is (its row says); undefined when there is none. */
export async function anyDataKeyById(db: Db | Tx, kek: KeyEncryptionKey, keyId: string): Promise<DataKey | undefined> {
  const row = await rowById(db, keyId);
  return row && { id: row.id, organizationId: row.organizationId, key: await unwrapRow(kek, row) };
}

/** The organization's data key, made and stored (wrapped) on first use; safe against two first uses at once. */
export async function dataKeyFor(db: Db | Tx, kek: KeyEncryptionKey, organizationId: string): Promise<DataKey> {
  const [existing] = await db.select().from(organizationDataKeys).where(eq(organizationDataKeys.organizationId, organizationId));
  if (existing) return { id: existing.id, organizationId, key: await unwrapRow(kek, existing) };
  const id = crypto.randomUUID();
  const key = new Uint8Array(crypto.randomBytes(32));
  const wrappedKey = await kek.wrap(key, wrapContext(organizationId, id));
  const [made] = await db.insert(organizationDataKeys).values({ id, organizationId, wrappedKey, kekFingerprint: kek.fingerprint }).onConflictDoNothing().returning();
  if (made) return { id, organizationId, key };
  // Another request made it first: use theirs.
  return dataKeyFor(db, kek, organizationId);
}
