// The key-encryption key (KEK): it wraps each organization's data key and nothing else, so replacing it
// (rotation, or a KMS later) re-wraps a few dozen bytes per organization instead of re-sealing every
// secret. Today it is SECRETS_KEY; a KMS implements the same interface (ADR 0013).
import crypto from 'node:crypto';
import { loadConfig } from '../config.ts';

export interface KeyEncryptionKey {
  /** Names the key without revealing it: stored beside each wrapping, compared at startup. */
  readonly fingerprint: string;
  /** Wraps a data key; `context` is authenticated, so a wrapping moved to another row does not unwrap. */
  wrap(dataKey: Uint8Array, context: string): Promise<string>;
  unwrap(wrapped: string, context: string): Promise<Uint8Array>;
}

const WRAP_VERSION = 'kek1';

/** A fingerprint of a raw key: a domain-separated SHA-256, shortened (it identifies, it does not protect). */
export const fingerprintOf = (key: Uint8Array): string => crypto.createHash('sha256').update('anthropy-works/kek-fingerprint\0').update(key).digest('hex').slice(0, 16);

/** A KEK held in this process's memory (SECRETS_KEY): AES-256-GCM key wrapping. */
export function localKek(base64Key: string): KeyEncryptionKey {
  const key = Buffer.from(base64Key, 'base64');
  if (key.length !== 32) throw new Error('a key-encryption key must be 32 bytes, base64-encoded');
  return {
    fingerprint: fingerprintOf(key),
    async wrap(dataKey, context) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
      return `${WRAP_VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    async unwrap(wrapped, context) {
      const [version, iv, body] = wrapped.split('.');
      if (version !== WRAP_VERSION || !iv || !body) throw new Error('not a wrapped data key');
      const data = Buffer.from(body, 'base64url');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return new Uint8Array(Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]));
    },
  };
}

/** The KEK this process is configured with (SECRETS_KEY; loadConfig checks its length). */
export function configuredKek(env: NodeJS.ProcessEnv = process.env): KeyEncryptionKey {
  const raw = loadConfig(env).SECRETS_KEY;
  if (!raw) throw new Error('SECRETS_KEY is not set: connection credentials cannot be sealed or opened');
  return localKek(raw);
}
