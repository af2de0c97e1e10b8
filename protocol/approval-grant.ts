// An approval grant: the web process's signed word that one signed-in person made one decision
// (approve, reject, cancel) on one job's run. It travels in the approval Update or signal, so what
// reaches Temporal carries proof instead of a claimed identity (ADR 0010). The workflow checks it in the
// Update's validator, deterministically; an activity checks it again against Postgres before the
// decision counts.
//
// Pure and deterministic (it runs inside the workflow sandbox): Ed25519 from @noble/curves, keys and
// signatures in hex, no Buffer, no node:crypto, no clock of its own (`now` is passed in).
import { ed25519 } from '@noble/curves/ed25519.js';
import { canonicalJson } from './canonical-json.ts';

export const GRANT_DECISIONS = ['approve', 'reject', 'cancel'] as const;
export type GrantDecision = (typeof GRANT_DECISIONS)[number];

/** How long a grant is good for after it is issued: long enough to paste into the CLI, short enough to be of little use if leaked. */
export const GRANT_TTL_MS = 10 * 60_000;

export interface GrantClaims {
  v: 1;
  decision: GrantDecision;
  workflowId: string;
  jobId: string;
  /** The phrase the person typed (approvals only). */
  phrase: string | null;
  userId: string;
  email: string;
  role: string;
  /** The person's organization: their scope. */
  organizationId: string;
  reason: string | null;
  issuedAt: string;
  notAfter: string;
  /** Makes each grant single-use: the activity refuses a nonce already recorded on the job. */
  nonce: string;
}

export interface ApprovalGrant extends GrantClaims {
  /** Ed25519 by the web process's grant key over canonicalJson of the claims, hex. */
  signature: string;
}

const HEX = /^[0-9a-f]*$/;
const hexToBytes = (hex: string): Uint8Array => {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
};
const bytesToHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The public key (hex) of a 32-byte Ed25519 secret seed (hex). */
export const grantPublicKey = (secretSeedHex: string): string => bytesToHex(ed25519.getPublicKey(hexToBytes(secretSeedHex)));

export function signGrant(secretSeedHex: string, claims: GrantClaims): ApprovalGrant {
  const signature = bytesToHex(ed25519.sign(utf8(canonicalJson(claims)), hexToBytes(secretSeedHex)));
  return { ...claims, signature };
}

const isString = (v: unknown, max = 500): v is string => typeof v === 'string' && v.length <= max;
const isInstant = (v: unknown): v is string => isString(v, 40) && !Number.isNaN(Date.parse(v));

/** The claims of a well-formed grant (no extra fields), or why it is not one. */
function shape(grant: unknown): { claims: GrantClaims; signature: string } | string {
  if (typeof grant !== 'object' || grant === null || Array.isArray(grant)) return 'no approval grant was given (ask the console for one)';
  const g = grant as Record<string, unknown>;
  const keys = ['v', 'decision', 'workflowId', 'jobId', 'phrase', 'userId', 'email', 'role', 'organizationId', 'reason', 'issuedAt', 'notAfter', 'nonce', 'signature'];
  if (Object.keys(g).some((k) => !keys.includes(k))) return 'the approval grant has fields it should not have';
  if (g.v !== 1 || !GRANT_DECISIONS.includes(g.decision as GrantDecision)) return 'the approval grant is not one this product issues';
  for (const k of ['workflowId', 'jobId', 'userId', 'email', 'role', 'organizationId', 'nonce'] as const)
    if (!isString(g[k], 300) || !g[k]) return `the approval grant's ${k} is missing`;
  if (!(g.phrase === null || isString(g.phrase, 300)) || !(g.reason === null || isString(g.reason, 600))) return 'the approval grant is malformed';
  if (!isInstant(g.issuedAt) || !isInstant(g.notAfter)) return 'the approval grant has no valid time window';
  if (!isString(g.signature, 200) || g.signature.length !== 128 || !HEX.test(g.signature)) return 'the approval grant is not signed';
  const { signature, ...claims } = g;
  return { claims: claims as unknown as GrantClaims, signature: signature as string };
}

export interface GrantExpectation {
  /** The web process's grant public key (hex). */
  publicKey: string;
  workflowId: string;
  decision: GrantDecision;
  /** Epoch milliseconds (Date.now() in a workflow is deterministic). */
  now: number;
  /**
   * Checks an Ed25519 signature (bytes, message, public key). Pure JavaScript by default, the only kind a
   * workflow's sandbox can run; an activity passes node:crypto's, about twenty times quicker.
   */
  verify?: Ed25519Verify;
}

export type Ed25519Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

/** RFC 8032 verification without ZIP-215's leniency, as OpenSSL's (node:crypto) does it. */
const verifyInJavaScript: Ed25519Verify = (signature, message, publicKey) => ed25519.verify(signature, message, publicKey, { zip215: false });

/**
 * Why this grant does not prove the decision, in one sentence; undefined when it does: well formed,
 * signed by the web process, for this run and this decision, inside its time window.
 */
export function grantProblem(grant: unknown, expect: GrantExpectation): string | undefined {
  const parsed = shape(grant);
  if (typeof parsed === 'string') return parsed[0]!.toUpperCase() + parsed.slice(1) + '.';
  const { claims, signature } = parsed;
  let valid: boolean;
  try {
    valid =
      expect.publicKey.length === 64 &&
      HEX.test(expect.publicKey) &&
      (expect.verify ?? verifyInJavaScript)(hexToBytes(signature), utf8(canonicalJson(claims)), hexToBytes(expect.publicKey));
  } catch {
    valid = false; // a key or signature that is not a curve point
  }
  if (!valid) return "The approval grant is not signed by this product's console (forged or altered).";
  if (claims.workflowId !== expect.workflowId) return 'The approval grant is for another run.';
  if (claims.decision !== expect.decision) return `The approval grant is for ${claims.decision}, not ${expect.decision}.`;
  if (Date.parse(claims.issuedAt) > expect.now + 60_000) return 'The approval grant was issued in the future.';
  if (expect.now > Date.parse(claims.notAfter)) return 'The approval grant has expired: ask the console for a new one.';
  return undefined;
}
