// The web process's approval-grant key (ADR 0010): it signs the grant that proves which signed-in person
// approved, rejected or cancelled which job's run (protocol/approval-grant.ts). An Ed25519 seed, 32
// bytes in hex: APPROVAL_GRANT_KEY, else DATA_DIR/secrets/approval-grant.key, generated there (mode 0600)
// on first use. The worker needs only the public half: APPROVAL_GRANT_PUBLIC_KEY, else derived from the
// same file (one machine). A new key invalidates only grants not yet used (they live minutes).
import crypto from 'node:crypto';
import path from 'node:path';
import { grantPublicKey, type Ed25519Verify } from '../protocol/approval-grant.ts';
import { loadConfig } from './config.ts';
import { readOrCreateKeyFile } from './key-file.ts';

export const APPROVAL_GRANT_KEY_FILE = 'approval-grant.key';
export const isGrantSeed = (value: string) => /^[0-9a-f]{64}$/.test(value);

/** Reads the seed file, or creates it (atomically, mode 0600) when there is none. */
export const readOrCreateGrantKey = (file: string): string =>
  readOrCreateKeyFile(file, { generate: () => crypto.randomBytes(32).toString('hex'), valid: isGrantSeed, what: 'an approval-grant key (32 bytes, hex)' });

/** The secret seed (web process only). */
export function approvalGrantSeed(env: NodeJS.ProcessEnv = process.env): string {
  const config = loadConfig(env);
  return config.APPROVAL_GRANT_KEY ?? readOrCreateGrantKey(path.join(config.DATA_DIR, 'secrets', APPROVAL_GRANT_KEY_FILE));
}

/** The public key (hex) that workflows and the worker check grants against. */
export function approvalGrantPublicKey(env: NodeJS.ProcessEnv = process.env): string {
  return loadConfig(env).APPROVAL_GRANT_PUBLIC_KEY ?? grantPublicKey(approvalGrantSeed(env));
}

// An Ed25519 public key as DER SubjectPublicKeyInfo: this fixed prefix, then the 32 raw bytes (RFC 8410).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const publicKeys = new Map<string, crypto.KeyObject>();

/** Grant signatures checked by node:crypto (OpenSSL, RFC 8032): for activities, which run outside the workflow sandbox. */
export const verifyGrantSignature: Ed25519Verify = (signature, message, publicKey) => {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const hex = Buffer.from(publicKey).toString('hex');
  let key = publicKeys.get(hex);
  if (!key) {
    key = crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    publicKeys.set(hex, key);
  }
  return crypto.verify(null, message, key, signature);
};
