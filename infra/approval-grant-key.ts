// The web process's approval-grant key (ADR 0010): it signs the grant that proves which signed-in person
// approved, rejected or cancelled which job's run (protocol/approval-grant.ts). An Ed25519 seed, 32
// bytes in hex: APPROVAL_GRANT_KEY, else DATA_DIR/secrets/approval-grant.key, generated there (mode 0600)
// on first use. The worker needs only the public half: APPROVAL_GRANT_PUBLIC_KEY, else derived from the
// same file (one machine). A new key invalidates only grants not yet used (they live minutes).
import crypto from 'node:crypto';
import path from 'node:path';
import { grantPublicKey } from '../protocol/approval-grant.ts';
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
