// Agent-signed HTTP requests: how an enrolled agent proves who it is to the REST API without any shared
// secret. The agent signs, with its own Ed25519 key,
//
//   v1\n<METHOD>\n<path with query>\n<timestamp>\n<sha256 hex of the raw body>
//
// and sends the node id, the timestamp (Unix seconds) and the signature as headers. The server checks
// the signature against the public key registered at enrollment, refuses a revoked node, and refuses a
// timestamp more than MAX_CLOCK_DIFFERENCE_S away from its clock (a captured request stops working after
// a few minutes; use TLS so none can be captured).
import crypto from 'node:crypto';
import { parsePublicKey, signMessage, verifyMessage, type Key } from './envelope.ts';

export const AGENT_NODE_HEADER = 'x-agent-node';
export const AGENT_TIMESTAMP_HEADER = 'x-agent-timestamp';
export const AGENT_SIGNATURE_HEADER = 'x-agent-signature';
export const MAX_CLOCK_DIFFERENCE_S = 300;

export type Body = string | Uint8Array | null | undefined;

export interface RequestToSign {
  nodeId: string;
  method: string;
  /** The path as sent, with its query string: e.g. `/api/v1/agent/whoami`. */
  path: string;
  /** The exact bytes sent (a string is taken as UTF-8); none for a request without a body. */
  body?: Body;
  /** Unix seconds; default now. */
  timestamp?: number;
}

const sha256Hex = (body: Body) =>
  crypto
    .createHash('sha256')
    .update(body ?? '')
    .digest('hex');

/** The text that is signed. */
export function canonicalRequest(method: string, path: string, timestamp: string, body: Body): string {
  return ['v1', method.toUpperCase(), path, timestamp, sha256Hex(body)].join('\n');
}

/** The headers that make a request the agent's. */
export function signRequest(privateKey: Key, req: RequestToSign): Record<string, string> {
  const timestamp = String(req.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    [AGENT_NODE_HEADER]: req.nodeId,
    [AGENT_TIMESTAMP_HEADER]: timestamp,
    [AGENT_SIGNATURE_HEADER]: signMessage(privateKey, canonicalRequest(req.method, req.path, timestamp, req.body)),
  };
}

/** What the server knows of a node: its registered key (null before enrollment) and whether it was revoked. */
export interface RegisteredAgent {
  publicKey: string | null;
  revoked: boolean;
}

export type AgentRefusal = 'missing_headers' | 'stale_timestamp' | 'unknown_node' | 'bad_signature' | 'revoked_node';
export type SignedRequestVerdict = { ok: true; nodeId: string } | { ok: false; refusal: AgentRefusal; reason: string };

type Headers = Record<string, string | string[] | undefined> | { get(name: string): string | null };

function header(headers: Headers, name: string): string | undefined {
  const value = typeof headers.get === 'function' ? (headers as { get(n: string): string | null }).get(name) : (headers as Record<string, string | string[] | undefined>)[name];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value ?? undefined;
}

/**
 * Checks an agent-signed request: headers present, timestamp within ±MAX_CLOCK_DIFFERENCE_S, node known
 * and enrolled, signature by its registered key, node not revoked (checked after the signature, so only
 * the key's holder learns that its node was revoked).
 */
export async function verifySignedRequest(
  headers: Headers,
  opts: {
    method: string;
    path: string;
    body?: Body;
    publicKeyOf(nodeId: string): RegisteredAgent | null | Promise<RegisteredAgent | null>;
    now?: Date;
  },
): Promise<SignedRequestVerdict> {
  const nodeId = header(headers, AGENT_NODE_HEADER);
  const timestamp = header(headers, AGENT_TIMESTAMP_HEADER);
  const signature = header(headers, AGENT_SIGNATURE_HEADER);
  if (!nodeId || !timestamp || !signature) {
    return {
      ok: false,
      refusal: 'missing_headers',
      reason: `An agent request must carry the ${AGENT_NODE_HEADER}, ${AGENT_TIMESTAMP_HEADER} and ${AGENT_SIGNATURE_HEADER} headers.`,
    };
  }
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now - Number(timestamp)) > MAX_CLOCK_DIFFERENCE_S) {
    return {
      ok: false,
      refusal: 'stale_timestamp',
      reason: `The request's timestamp is more than ${MAX_CLOCK_DIFFERENCE_S} s away from the server's clock; check the machine's clock.`,
    };
  }
  const agent = await opts.publicKeyOf(nodeId);
  if (!agent || !agent.publicKey) {
    return { ok: false, refusal: 'unknown_node', reason: 'No enrolled node has this id.' };
  }
  let key: crypto.KeyObject;
  try {
    key = parsePublicKey(agent.publicKey);
  } catch {
    return { ok: false, refusal: 'bad_signature', reason: 'The node’s registered key cannot verify signatures.' };
  }
  if (!verifyMessage(key, canonicalRequest(opts.method, opts.path, timestamp, opts.body), signature)) {
    return { ok: false, refusal: 'bad_signature', reason: 'The request signature does not match the node’s registered key.' };
  }
  if (agent.revoked) {
    return { ok: false, refusal: 'revoked_node', reason: 'This node was revoked; its agent must enroll again with a new token.' };
  }
  return { ok: true, nodeId };
}

/** Sends a signed request with fetch (JSON body, if any). */
export async function signedFetch(opts: {
  serverUrl: string;
  nodeId: string;
  privateKey: Key;
  method: string;
  path: string;
  body?: unknown;
  signal?: AbortSignal;
}): Promise<Response> {
  const url = new URL(opts.path, opts.serverUrl);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = {
    ...signRequest(opts.privateKey, { nodeId: opts.nodeId, method: opts.method, path: url.pathname + url.search, body }),
    accept: 'application/json',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url, { method: opts.method, headers, body, signal: opts.signal });
}
