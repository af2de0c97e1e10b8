import { describe, expect, it } from '@jest/globals';
import { generateKeyPair } from './envelope.ts';
import { AGENT_NODE_HEADER, AGENT_SIGNATURE_HEADER, AGENT_TIMESTAMP_HEADER, canonicalRequest, signRequest, verifySignedRequest, type RegisteredAgent } from './request-signing.ts';

const agent = generateKeyPair();
const other = generateKeyPair();
const NODE = '0b8a6f0e-7a55-4b3e-9d5e-2f1c3e4a5b6c';
const NOW = new Date('2026-05-01T12:00:00.000Z');
const T = Math.floor(NOW.getTime() / 1000);
const BODY = JSON.stringify({ hostname: 'edge-01', containers: [] });

const registry: Record<string, RegisteredAgent> = { [NODE]: { publicKey: agent.publicKey, revoked: false } };
const verify = (headers: Record<string, string>, opts: { method?: string; path?: string; body?: string; now?: Date; agents?: Record<string, RegisteredAgent> } = {}) =>
  verifySignedRequest(headers, {
    method: opts.method ?? 'POST',
    path: opts.path ?? '/api/v1/agent/heartbeat',
    body: opts.body ?? BODY,
    now: opts.now ?? NOW,
    publicKeyOf: (id) => (opts.agents ?? registry)[id] ?? null,
  });
const signed = (overrides: { key?: string; nodeId?: string; timestamp?: number } = {}) =>
  signRequest(overrides.key ?? agent.privateKey, {
    nodeId: overrides.nodeId ?? NODE,
    method: 'post',
    path: '/api/v1/agent/heartbeat',
    body: BODY,
    timestamp: overrides.timestamp ?? T,
  });

describe('agent-signed requests', () => {
  it('signs v1, the method, the path, the timestamp and the body hash into three headers that verify', async () => {
    const headers = signed();
    expect(Object.keys(headers).sort()).toEqual([AGENT_NODE_HEADER, AGENT_SIGNATURE_HEADER, AGENT_TIMESTAMP_HEADER].sort());
    expect(headers[AGENT_NODE_HEADER]).toBe(NODE);
    expect(headers[AGENT_TIMESTAMP_HEADER]).toBe(String(T));
    expect(canonicalRequest('post', '/p', '1', '')).toBe('v1\nPOST\n/p\n1\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await verify(headers)).toEqual({ ok: true, nodeId: NODE });
    // A Buffer of the same bytes verifies too (the server hands over the raw body).
    expect(await verifySignedRequest(headers, { method: 'POST', path: '/api/v1/agent/heartbeat', body: Buffer.from(BODY), now: NOW, publicKeyOf: () => registry[NODE]! })).toEqual({
      ok: true,
      nodeId: NODE,
    });
    // A request without a body.
    const get = signRequest(agent.privateKey, { nodeId: NODE, method: 'GET', path: '/api/v1/agent/whoami', timestamp: T });
    expect(await verify(get, { method: 'GET', path: '/api/v1/agent/whoami', body: '' })).toEqual({ ok: true, nodeId: NODE });
  });

  it('refuses a request whose body, path or method differs from what was signed', async () => {
    const headers = signed();
    expect(await verify(headers, { body: BODY.replace('edge-01', 'edge-02') })).toMatchObject({ ok: false, refusal: 'bad_signature' });
    expect(await verify(headers, { path: '/api/v1/agent/whoami' })).toMatchObject({ ok: false, refusal: 'bad_signature' });
    expect(await verify(headers, { method: 'PATCH' })).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses another key, another node id, a tampered signature and missing headers', async () => {
    expect(await verify(signed({ key: other.privateKey }))).toMatchObject({ ok: false, refusal: 'bad_signature' });
    const sig = signed()[AGENT_SIGNATURE_HEADER]!;
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect(await verify({ ...signed(), [AGENT_SIGNATURE_HEADER]: flipped })).toMatchObject({ ok: false, refusal: 'bad_signature' });
    expect(await verify({ ...signed(), [AGENT_SIGNATURE_HEADER]: 'not base64 at all' })).toMatchObject({ ok: false, refusal: 'bad_signature' });
    // Claiming another enrolled node's id with one's own key.
    const registryWithOther = { ...registry, other: { publicKey: other.publicKey, revoked: false } };
    expect(await verify(signed({ nodeId: 'other' }), { agents: registryWithOther })).toMatchObject({ ok: false, refusal: 'bad_signature' });
    const { [AGENT_SIGNATURE_HEADER]: _sig, ...withoutSignature } = signed();
    expect(await verify(withoutSignature)).toMatchObject({ ok: false, refusal: 'missing_headers' });
  });

  it('refuses an unknown node, a node that never enrolled, and a revoked node (after checking the signature)', async () => {
    expect(await verify(signed({ nodeId: 'nobody' }))).toEqual({ ok: false, refusal: 'unknown_node', reason: 'No enrolled node has this id.' });
    expect(await verify(signed(), { agents: { [NODE]: { publicKey: null, revoked: false } } })).toMatchObject({ ok: false, refusal: 'unknown_node' });
    const revoked = { [NODE]: { publicKey: agent.publicKey, revoked: true } };
    expect(await verify(signed(), { agents: revoked })).toMatchObject({ ok: false, refusal: 'revoked_node', reason: expect.stringMatching(/revoked/) });
    // Someone without the key does not learn that the node was revoked.
    expect(await verify(signed({ key: other.privateKey }), { agents: revoked })).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses a timestamp more than 300 s away from the server clock, either way', async () => {
    expect(await verify(signed({ timestamp: T - 300 }))).toMatchObject({ ok: true });
    expect(await verify(signed({ timestamp: T + 300 }))).toMatchObject({ ok: true });
    expect(await verify(signed({ timestamp: T - 301 }))).toMatchObject({ ok: false, refusal: 'stale_timestamp' });
    expect(await verify(signed({ timestamp: T + 301 }))).toMatchObject({ ok: false, refusal: 'stale_timestamp' });
    expect(await verify({ ...signed(), [AGENT_TIMESTAMP_HEADER]: 'soon' })).toMatchObject({ ok: false, refusal: 'stale_timestamp' });
  });
});
