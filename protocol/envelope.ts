// The job protocol between the control plane and a node's agent. Any Temporal client could poll any task
// queue, so the queue name proves nothing: every job sent to a node is an envelope signed with the control
// plane's Ed25519 key, and the agent verifies it before doing anything. The agent signs its result with
// its own key (registered at enrollment), and the control plane believes a result only after checking it.
//
// Pure: node:crypto and zod only, no I/O. Keys travel as DER in base64: public keys SPKI, private keys
// PKCS8. A signature covers canonicalJson of every other field of the envelope (or result), so key order
// and a JSON round trip (Temporal payloads, jsonb) do not change it.
//
// Parameters and outputs are NOT secret: they are stored in Temporal's history and may be shown to
// engineers and in the console. Never put a password, token, API key or private key in `params` or in a
// result's `output`; pass a reference the agent resolves on the machine instead (Guarantee 4).
import crypto from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './canonical-json.ts';

/** Clock difference tolerated between the control plane and an agent when checking issuedAt. */
export const CLOCK_SKEW_MS = 60_000;

export type Key = string | crypto.KeyObject;

export interface JobEnvelope {
  v: 1;
  /** Fresh for every attempt (a retry is a new envelope), so it is never the console's job id. */
  envelopeId: string;
  /** The console's job this step belongs to (the control plane signed it for that job only). */
  jobId: string;
  nodeId: string;
  /** Fingerprint (keyFingerprint) of the agent key registered for the node: any other agent refuses it. */
  agentKey: string;
  /** What to do: a name from the node-action catalogue (protocol/node-actions.ts), e.g. "inventory.list". */
  action: string;
  /** The action's arguments: JSON, never secrets (see the top of this file). */
  params: Record<string, unknown>;
  /** ISO 8601 instants. */
  issuedAt: string;
  notAfter: string;
  /** Ed25519 over canonicalJson of the fields above, base64. */
  signature: string;
}

export interface JobResult {
  v: 1;
  envelopeId: string;
  nodeId: string;
  ok: boolean;
  /** What the action produced (or, when ok is false, why it failed): JSON, never secrets. */
  output: unknown;
  finishedAt: string;
  /** Ed25519 by the agent's key over canonicalJson of the fields above, base64. */
  signature: string;
}

/**
 * The one activity an agent's worker registers on its node's queue (`node.<nodeId>`): the envelope in,
 * the signed result out. A refusal is a non-retryable ApplicationFailure of type `JobRefused` whose
 * details carry `{ refusal }`: one of JobRefusal, or `unknown_action` or `bad_parameters`.
 */
export interface NodeAgentActivities {
  runNodeJob(envelope: JobEnvelope): Promise<JobResult>;
}

export type JobRefusal = 'malformed' | 'wrong_node' | 'wrong_agent' | 'expired' | 'bad_signature' | 'replayed';
export type JobVerdict = { ok: true } | { ok: false; refusal: JobRefusal; reason: string };
export type ResultVerdict = { ok: true } | { ok: false; reason: string };

// ------------------------------------------------------------------------------------------- keys

/** A fresh Ed25519 key pair: the public key as SPKI DER base64, the private key as PKCS8 DER base64. */
export function generateKeyPair(): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(value: string, what: string): Buffer {
  const compact = value.trim();
  if (!compact || !BASE64.test(compact)) throw new Error(`${what} is not base64`);
  return Buffer.from(compact, 'base64');
}

const KEY_KINDS = {
  public: { format: 'SPKI', create: (der: Buffer) => crypto.createPublicKey({ key: der, format: 'der', type: 'spki' }) },
  private: { format: 'PKCS8', create: (der: Buffer) => crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) },
} as const;

/** Parses an Ed25519 key of one kind (DER, base64) or checks a KeyObject; throws a plain sentence when it is not one. */
function parseKey(key: Key, kind: keyof typeof KEY_KINDS): crypto.KeyObject {
  if (typeof key !== 'string') {
    if (key.type !== kind || key.asymmetricKeyType !== 'ed25519') throw new Error(`the key is not an Ed25519 ${kind} key`);
    return key;
  }
  const { format, create } = KEY_KINDS[kind];
  let parsed: crypto.KeyObject;
  try {
    parsed = create(decodeBase64(key, `the ${kind} key`));
  } catch {
    throw new Error(`the ${kind} key is not a ${format} DER key in base64`);
  }
  if (parsed.asymmetricKeyType !== 'ed25519') throw new Error(`the ${kind} key is ${parsed.asymmetricKeyType ?? 'of an unknown type'}, not Ed25519`);
  return parsed;
}

/** Parses an Ed25519 public key (SPKI DER, base64); throws a plain sentence when it is not one. */
export const parsePublicKey = (key: Key): crypto.KeyObject => parseKey(key, 'public');

/** Parses an Ed25519 private key (PKCS8 DER, base64); throws a plain sentence when it is not one. */
export const parsePrivateKey = (key: Key): crypto.KeyObject => parseKey(key, 'private');

/** The public half of a private key, as SPKI DER base64. */
export function publicKeyOf(privateKey: Key): string {
  return crypto.createPublicKey(parsePrivateKey(privateKey)).export({ format: 'der', type: 'spki' }).toString('base64');
}

/** A short, stable name for a public key (SHA-256 of the DER, first 16 hex digits), for logs and the console. */
export function keyFingerprint(publicKey: Key): string {
  const der = parsePublicKey(publicKey).export({ format: 'der', type: 'spki' });
  return crypto.createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** Ed25519 signature of a UTF-8 message, base64. */
export function signMessage(privateKey: Key, message: string): string {
  return crypto.sign(null, Buffer.from(message, 'utf8'), parsePrivateKey(privateKey)).toString('base64');
}

/** Whether `signature` (base64) is the key's Ed25519 signature of the message. Never throws. */
export function verifyMessage(publicKey: crypto.KeyObject, message: string, signature: string): boolean {
  if (!BASE64.test(signature)) return false;
  const raw = Buffer.from(signature, 'base64');
  if (raw.length !== 64) return false;
  try {
    return crypto.verify(null, Buffer.from(message, 'utf8'), publicKey, raw);
  } catch {
    return false;
  }
}

// ----------------------------------------------------------------------------------------- shapes

const Instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' });
const Signature = z.string().regex(BASE64, 'must be base64').max(200);

const JobEnvelopeSchema = z.strictObject({
  v: z.literal(1),
  envelopeId: z.string().min(1).max(200),
  jobId: z.string().min(1).max(200),
  nodeId: z.string().min(1).max(200),
  agentKey: z.string().regex(/^[0-9a-f]{16}$/, 'must be a key fingerprint'),
  action: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-z][a-z0-9_.-]*$/, 'must be lower-case letters, digits, . _ -'),
  params: z.record(z.string(), z.unknown()),
  issuedAt: Instant,
  notAfter: Instant,
  signature: Signature,
});

const JobResultSchema = z.strictObject({
  v: z.literal(1),
  envelopeId: z.string().min(1).max(200),
  nodeId: z.string().min(1).max(200),
  ok: z.boolean(),
  output: z.unknown(),
  finishedAt: Instant,
  signature: Signature,
});

const toInstant = (value: Date | string): string => {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`not a date: ${String(value)}`);
  return date.toISOString();
};

const withoutSignature = <T extends { signature: string }>(signed: T): Omit<T, 'signature'> => {
  const { signature: _signature, ...rest } = signed;
  return rest;
};

const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || '(envelope)'} ${i.message}`).join('; ');

// ------------------------------------------------------------------------------------------- jobs

/** What the control plane signs: the envelope's own fields, its instants as dates or strings. */
export type JobFields = Omit<JobEnvelope, 'v' | 'issuedAt' | 'notAfter' | 'signature'> & {
  /** Default: now. */
  issuedAt?: Date | string;
  notAfter: Date | string;
};

/** Signs a job for one node with the control plane's private key. */
export function signJob(privateKey: Key, fields: JobFields): JobEnvelope {
  const body = {
    v: 1 as const,
    envelopeId: fields.envelopeId,
    jobId: fields.jobId,
    nodeId: fields.nodeId,
    agentKey: fields.agentKey,
    action: fields.action,
    // Through JSON, so what is signed is exactly what the agent will receive after serialization.
    params: JSON.parse(JSON.stringify(fields.params ?? {})) as Record<string, unknown>,
    issuedAt: toInstant(fields.issuedAt ?? new Date()),
    notAfter: toInstant(fields.notAfter),
  };
  return { ...body, signature: signMessage(privateKey, canonicalJson(body)) };
}

export interface VerifyJobOptions {
  /** The node this agent is. */
  nodeId: string;
  /** This agent's own key fingerprint: an envelope for another agent of the node (one replaced since) is refused. */
  agentKey: string;
  controlPlanePublicKey: Key;
  now?: Date;
  /** Whether this envelope already ran here (the agent's replay store). */
  alreadyExecuted(envelopeId: string): boolean;
}

/**
 * Checks an envelope before anything is done for it, in this order: shape, signature, node, time window
 * (issuedAt at most CLOCK_SKEW_MS in the future, now <= notAfter), replay. The first failed check is
 * the refusal.
 */
export function verifyJob(envelope: unknown, opts: VerifyJobOptions): JobVerdict {
  const parsed = JobEnvelopeSchema.safeParse(envelope);
  if (!parsed.success) return { ok: false, refusal: 'malformed', reason: `the envelope is malformed: ${issues(parsed.error)}` };
  const job = parsed.data;

  let key: crypto.KeyObject;
  try {
    key = parsePublicKey(opts.controlPlanePublicKey);
  } catch (err) {
    return { ok: false, refusal: 'bad_signature', reason: `the control plane's public key cannot be used: ${(err as Error).message}` };
  }
  if (!verifyMessage(key, canonicalJson(withoutSignature(job)), job.signature)) {
    return { ok: false, refusal: 'bad_signature', reason: `envelope ${job.envelopeId} is not signed by the control plane (forged or altered)` };
  }
  if (job.nodeId !== opts.nodeId) {
    return { ok: false, refusal: 'wrong_node', reason: `envelope ${job.envelopeId} is for node ${job.nodeId}, not for this node (${opts.nodeId})` };
  }
  if (job.agentKey !== opts.agentKey) {
    return {
      ok: false,
      refusal: 'wrong_agent',
      reason: `envelope ${job.envelopeId} is for the agent with key ${job.agentKey}, not this one (${opts.agentKey}): this node's agent was replaced`,
    };
  }
  const now = (opts.now ?? new Date()).getTime();
  const issuedAt = new Date(job.issuedAt).getTime();
  const notAfter = new Date(job.notAfter).getTime();
  if (issuedAt > now + CLOCK_SKEW_MS) {
    return {
      ok: false,
      refusal: 'expired',
      reason: `envelope ${job.envelopeId} was issued in the future (${job.issuedAt}, more than ${CLOCK_SKEW_MS / 1000} s ahead of this machine's clock)`,
    };
  }
  if (now > notAfter) {
    return { ok: false, refusal: 'expired', reason: `envelope ${job.envelopeId} expired at ${job.notAfter}` };
  }
  if (opts.alreadyExecuted(job.envelopeId)) {
    return { ok: false, refusal: 'replayed', reason: `envelope ${job.envelopeId} was already executed on this node (replay)` };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------- results

export interface ResultFields {
  envelopeId: string;
  nodeId: string;
  ok: boolean;
  output: unknown;
  /** Default: now. */
  finishedAt?: Date | string;
}

/** Signs a job's result with the agent's private key. */
export function signResult(agentPrivateKey: Key, fields: ResultFields): JobResult {
  const body = {
    v: 1 as const,
    envelopeId: fields.envelopeId,
    nodeId: fields.nodeId,
    ok: fields.ok,
    output: fields.output === undefined ? null : (JSON.parse(JSON.stringify(fields.output)) as unknown),
    finishedAt: toInstant(fields.finishedAt ?? new Date()),
  };
  return { ...body, signature: signMessage(agentPrivateKey, canonicalJson(body)) };
}

/** Checks that a result comes from the agent registered for the node, for this envelope. */
export function verifyResult(result: unknown, opts: { agentPublicKey: Key; envelopeId: string; nodeId: string }): ResultVerdict {
  const parsed = JobResultSchema.safeParse(result);
  if (!parsed.success) return { ok: false, reason: `the result is malformed: ${issues(parsed.error)}` };
  const r = parsed.data;
  let key: crypto.KeyObject;
  try {
    key = parsePublicKey(opts.agentPublicKey);
  } catch (err) {
    return { ok: false, reason: `the agent's registered public key cannot be used: ${(err as Error).message}` };
  }
  if (!verifyMessage(key, canonicalJson(withoutSignature(r)), r.signature)) {
    return { ok: false, reason: `the result of envelope ${r.envelopeId} is not signed by node ${opts.nodeId}'s registered agent key` };
  }
  if (r.envelopeId !== opts.envelopeId) return { ok: false, reason: `the result is for envelope ${r.envelopeId}, not ${opts.envelopeId}` };
  if (r.nodeId !== opts.nodeId) return { ok: false, reason: `the result comes from node ${r.nodeId}, not ${opts.nodeId}` };
  return { ok: true };
}
