// The product refuses to start with a KEK that did not wrap the organizations' data keys: running on would
// only fail later, connection by connection, with "cannot be opened" (the complaint n8n users know after
// a key change). During a rotation either wrapping counts (infra/secrets/rotate.ts).
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { organizationDataKeys } from '../../db/schema.ts';
import { configuredKek, type KeyEncryptionKey } from './kek.ts';

export class KekMismatchError extends Error {}

/** Throws KekMismatchError, naming both fingerprints and what to do, unless the KEK unwraps every stored data key. */
export async function assertKekMatches(db: Executor, kek: KeyEncryptionKey): Promise<void> {
  const [row] = await db
    .select({
      n: sql<number>`count(*)::int`,
      fingerprints: sql<string[]>`coalesce(array_agg(distinct ${organizationDataKeys.kekFingerprint}), '{}')`,
    })
    .from(organizationDataKeys)
    .where(sql`${organizationDataKeys.kekFingerprint} <> ${kek.fingerprint} and ${organizationDataKeys.previousKekFingerprint} is distinct from ${kek.fingerprint}`);
  if (!row || row.n === 0) return;
  throw new KekMismatchError(
    `SECRETS_KEY does not match the key-encryption key that wrapped ${row.n} organization data key(s) (fingerprint ${row.fingerprints.join(', ')}; SECRETS_KEY has ${kek.fingerprint}). ` +
      'Set SECRETS_KEY to the key the data was sealed with (after a rotation: the SECRETS_KEY_NEW you rotated to), or restore the database that goes with this key.',
  );
}

/** The check as web and worker make it at start: no SECRETS_KEY is fine only while nothing is sealed yet. */
export async function assertConfiguredKekMatches(db: Executor, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env.SECRETS_KEY) return assertKekMatches(db, configuredKek(env));
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(organizationDataKeys);
  if (row && row.n > 0) throw new KekMismatchError(`SECRETS_KEY is not set, and ${row.n} organization data key(s) are wrapped by one: set SECRETS_KEY to that key.`);
}
