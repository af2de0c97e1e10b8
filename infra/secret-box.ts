// Encryption at rest with SECRETS_KEY itself (32 bytes, base64): TOTP keys as a person turns two-factor on.
// AES-256-GCM. `npm start` generates the key into the data folder on first run; production must set it
// (docker-compose.yml requires it). Connection credentials use per-organization data keys instead
// (infra/secrets/), and `npm run secrets:rotate` moves TOTP keys there too, so a new SECRETS_KEY opens them.
import crypto from 'node:crypto';
import { loadConfig } from './config.ts';

const VERSION = 'v1';

export function generateSecretsKey(): string {
  return crypto.randomBytes(32).toString('base64');
}

function key(explicit?: string): Buffer {
  // loadConfig checks that it is 32 bytes.
  const raw = explicit ?? loadConfig().SECRETS_KEY;
  if (!raw) throw new Error('SECRETS_KEY is not set: secrets cannot be encrypted or read');
  return Buffer.from(raw, 'base64');
}

/** Encrypts; `context` (e.g. "totp:<userId>") is authenticated too, so a value cannot be moved to another record. */
export function seal(plaintext: Uint8Array, context: string, keyBase64?: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key(keyBase64), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Opens a value sealed with SECRETS_KEY, or with `keyBase64` (the rotation opens values under the old key). */
export function open(sealed: string, context: string, keyBase64?: string): Uint8Array {
  const [version, iv, body] = sealed.split('.');
  if (version !== VERSION || !iv || !body) throw new Error('not a sealed secret');
  const data = Buffer.from(body, 'base64url');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key(keyBase64), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return new Uint8Array(Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]));
}
