// The control plane's Ed25519 signing key: it signs every job envelope sent to a node's agent
// (protocol/envelope.ts); agents receive its public key at enrollment. Taken from
// CONTROL_PLANE_SIGNING_KEY (PKCS8 DER, base64), else read from DATA_DIR/secrets/control-plane-signing.key,
// generated there (mode 0600) on first use. `npm start` generates it once and passes it to the web
// process and the worker, so both sign with the same key. Keep it with your backups: a new key means
// every agent must enroll again.
import type crypto from 'node:crypto';
import path from 'node:path';
import { generateKeyPair, parsePrivateKey, publicKeyOf } from '../protocol/envelope.ts';
import { loadConfig } from './config.ts';
import { readOrCreateKeyFile } from './key-file.ts';

export const CONTROL_PLANE_KEY_FILE = 'control-plane-signing.key';

/** Whether a value is an Ed25519 private key as PKCS8 DER in base64 (for config validation). */
export function isSigningKey(value: string): boolean {
  try {
    parsePrivateKey(value);
    return true;
  } catch {
    return false;
  }
}

/** Reads the key file, or creates it (atomically, mode 0600) when there is none; returns PKCS8 DER base64. */
export const readOrCreateControlPlaneKey = (file: string): string =>
  readOrCreateKeyFile(file, { generate: () => generateKeyPair().privateKey, valid: isSigningKey, what: 'an Ed25519 private key (PKCS8 DER, base64)' });

let cached: { source: string; key: crypto.KeyObject; publicKey: string } | undefined;

/** The private signing key of this process (from the environment or the data folder). */
export function controlPlaneSigningKey(env: NodeJS.ProcessEnv = process.env): crypto.KeyObject {
  const config = loadConfig(env);
  const source = config.CONTROL_PLANE_SIGNING_KEY || readOrCreateControlPlaneKey(path.join(config.DATA_DIR, 'secrets', CONTROL_PLANE_KEY_FILE));
  if (cached?.source !== source) {
    const key = parsePrivateKey(source);
    cached = { source, key, publicKey: publicKeyOf(key) };
  }
  return cached.key;
}

/** The public half (SPKI DER, base64), which agents use to verify job envelopes. */
export function controlPlanePublicKey(env: NodeJS.ProcessEnv = process.env): string {
  controlPlaneSigningKey(env);
  return cached!.publicKey;
}
