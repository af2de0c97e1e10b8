// The agent's state on the managed machine, in one folder (AGENT_STATE_DIR, default
// ~/.config/anthropy-agent, mode 0700):
//   agent.key            its Ed25519 private key (PKCS8 DER, base64), mode 0600; made here, never sent
//   config.json          what enrollment returned: node id and name, task queue, Temporal address (the
//                        agent door), its TLS and the CA it is pinned to (when the door's is private), the
//                        namespace, the control plane's public key, the server URL; mode 0600
//   temporal.credential  the agent's credential for the agent door, issued at enrollment; mode 0600
//   executed-jobs.jsonl  job ids already executed (replay-store.ts)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parsePrivateKey, parsePublicKey } from '../protocol/envelope.ts';

export const CONFIG_FILE = 'config.json';
export const PRIVATE_KEY_FILE = 'agent.key';
export const CREDENTIAL_FILE = 'temporal.credential';

/** Something wrong with the agent's local state: the message is one sentence for the person at the machine. */
export class AgentStateError extends Error {
  readonly kind: 'not_enrolled' | 'unreadable' | 'corrupt' | 'permission';
  constructor(kind: AgentStateError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

const publicKey = z.string().refine((v) => {
  try {
    parsePublicKey(v);
    return true;
  } catch {
    return false;
  }
}, 'must be an Ed25519 public key (SPKI DER, base64)');

/** A CA certificate in PEM (the agent door's, when it is private). */
export function isCaCertificate(pem: string): boolean {
  try {
    return new crypto.X509Certificate(pem).ca;
  } catch {
    return false;
  }
}

export const AgentConfig = z.looseObject({
  version: z.literal(1),
  nodeId: z.string().uuid(),
  nodeName: z.string().min(1),
  organizationId: z.string().uuid(),
  serverUrl: z.string().url(),
  taskQueue: z.string().min(1),
  temporalAddress: z.string().min(1),
  temporalNamespace: z.string().min(1),
  /** The agent door speaks TLS: its certificate is signed by temporalTlsServerCa, else by one of the machine's roots. */
  temporalTls: z.boolean().optional(),
  /** The CA (PEM) enrollment handed over for the door: the agent trusts it alone there (it pins the door's CA). */
  temporalTlsServerCa: z.string().refine(isCaCertificate, 'must be a CA certificate (PEM)').optional(),
  controlPlanePublicKey: publicKey,
  enrolledAt: z.string(),
  /** Written by the running agent after each report the control plane accepted. */
  lastHeartbeat: z.looseObject({ at: z.string() }).optional(),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGENT_STATE_DIR) return path.resolve(env.AGENT_STATE_DIR);
  return path.join(env.HOME || os.homedir(), '.config', 'anthropy-agent');
}

export const statePaths = (stateDir: string) => ({
  dir: stateDir,
  config: path.join(stateDir, CONFIG_FILE),
  privateKey: path.join(stateDir, PRIVATE_KEY_FILE),
  credential: path.join(stateDir, CREDENTIAL_FILE),
});

const reason = (err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'ENOTDIR') return 'a part of the path is not a folder';
  return e.message;
};

/** Creates the state folder (0700) if needed and checks that this user may write in it. */
export function ensureStateDir(stateDir: string): void {
  try {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    fs.accessSync(stateDir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw new AgentStateError('permission', `cannot use the state folder ${stateDir} (${reason(err)}); choose another with --state-dir or fix its permissions`);
  }
}

/** Writes a file atomically (temporary file, fsync, rename) with mode 0600. */
export function writePrivateFile(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

function readStateFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AgentStateError('not_enrolled', `this machine is not enrolled: ${file} does not exist; run \`agent-worker enroll --server URL --token T\` first`);
    }
    throw new AgentStateError('unreadable', `cannot read the agent's ${what} ${file} (${reason(err)})`);
  }
}

export function readAgentConfig(stateDir: string): AgentConfig {
  const file = statePaths(stateDir).config;
  const text = readStateFile(file, 'config');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentStateError('corrupt', `the agent config ${file} is corrupt (not valid JSON); enroll again with --force and a new token`);
  }
  const parsed = AgentConfig.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AgentStateError(
      'corrupt',
      `the agent config ${file} is corrupt (${issue.path.join('.') || 'its content'}: ${issue.message}); enroll again with --force and a new token`,
    );
  }
  return parsed.data;
}

export function writeAgentConfig(stateDir: string, config: AgentConfig): void {
  writePrivateFile(statePaths(stateDir).config, `${JSON.stringify(config, null, 2)}\n`);
}

export function readPrivateKey(stateDir: string): string {
  const file = statePaths(stateDir).privateKey;
  const key = readStateFile(file, 'private key').trim();
  try {
    parsePrivateKey(key);
  } catch {
    throw new AgentStateError('corrupt', `the agent's private key ${file} is corrupt; enroll again with --force and a new token`);
  }
  return key;
}

/** The agent door's credential; an agent enrolled before the door has none and must enroll again. */
export function readTemporalCredential(stateDir: string): string {
  const file = statePaths(stateDir).credential;
  let credential: string;
  try {
    credential = readStateFile(file, 'Temporal credential').trim();
  } catch (err) {
    if (err instanceof AgentStateError && err.kind === 'not_enrolled') {
      throw new AgentStateError('not_enrolled', `this agent has no credential for the agent door (${file} does not exist); enroll again with --force and a new token`);
    }
    throw err;
  }
  if (!/^[\x21-\x7e]{16,200}$/.test(credential)) {
    throw new AgentStateError('corrupt', `the agent's Temporal credential ${file} is corrupt; enroll again with --force and a new token`);
  }
  return credential;
}
