// Secrets sealed under their organization's data key: AES-256-GCM, the key id in the ciphertext (so a
// future second data key, or a rotation of it, knows which opens what) and associated data binding the
// ciphertext to its organization and record, so a value copied to another row, or another organization's,
// does not open.
import crypto from 'node:crypto';
import type { Db, Tx } from '../../db/client.ts';
import { dataKeyById, dataKeyFor, SecretUnavailableError } from './data-keys.ts';
import type { KeyEncryptionKey } from './kek.ts';

const VERSION = 'aw1';

/** The record a secret belongs to. */
export interface SecretBinding {
  organizationId: string;
  /** e.g. `connection:<id>`. */
  record: string;
}

/** Whether a stored value was sealed here (rather than with SECRETS_KEY itself, infra/secret-box.ts). */
export const isDataKeySealed = (stored: string) => stored.startsWith(`${VERSION}.`);

const aad = (b: SecretBinding, keyId: string) => Buffer.from(`${VERSION}|${b.organizationId}|${b.record}|${keyId}`);

export async function sealSecret(db: Db | Tx, kek: KeyEncryptionKey, binding: SecretBinding, plaintext: string): Promise<string> {
  const dataKey = await dataKeyFor(db, kek, binding.organizationId);
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', dataKey.key, iv);
  cipher.setAAD(aad(binding, dataKey.id));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${dataKey.id}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Opens a sealed secret, or throws SecretUnavailableError saying why (never the secret, never the key). */
export async function openSecret(db: Db | Tx, kek: KeyEncryptionKey, binding: SecretBinding, sealed: string): Promise<string> {
  const [version, keyId, iv, body] = sealed.split('.');
  if (version !== VERSION || !keyId || !iv || !body) throw new SecretUnavailableError('the stored value is not a sealed secret');
  const dataKey = await dataKeyById(db, kek, keyId, binding.organizationId);
  const data = Buffer.from(body, 'base64url');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', dataKey.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(aad(binding, keyId));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretUnavailableError('the sealed value does not open for this record (it was altered or moved from another one)');
  }
}
