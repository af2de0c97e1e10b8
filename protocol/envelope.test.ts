import { describe, expect, it } from '@jest/globals';
import { generateKeyPair, keyFingerprint, parsePublicKey, signJob, signResult, verifyJob, verifyResult, type JobEnvelope } from './envelope.ts';

const controlPlane = generateKeyPair();
const rogue = generateKeyPair();
const agentA = generateKeyPair();
const agentB = generateKeyPair();
const NODE_A = '0b8a6f0e-7a55-4b3e-9d5e-2f1c3e4a5b6c';
const NODE_B = '1c9b7f1f-8b66-4c4f-8e6f-3a2d4f5b6c7d';
const NOW = new Date('2026-05-01T12:00:00.000Z');
const inMinutes = (m: number) => new Date(NOW.getTime() + m * 60_000);

const job = (overrides: Partial<Parameters<typeof signJob>[1]> = {}, key = controlPlane.privateKey) =>
  signJob(key, {
    envelopeId: 'job-1',
    jobId: 'console-job-1',
    nodeId: NODE_A,
    agentKey: keyFingerprint(agentA.publicKey),
    action: 'inventory.list',
    params: { all: true, filters: { label: 'x' } },
    issuedAt: NOW,
    notAfter: inMinutes(5),
    ...overrides,
  });
const verifyAsA = (envelope: unknown, opts: { now?: Date; executed?: string[] } = {}) =>
  verifyJob(envelope, {
    nodeId: NODE_A,
    agentKey: keyFingerprint(agentA.publicKey),
    controlPlanePublicKey: controlPlane.publicKey,
    now: opts.now ?? NOW,
    alreadyExecuted: (id) => (opts.executed ?? []).includes(id),
  });
/** Through JSON, as Temporal delivers it, with the keys in another order. */
const roundTrip = <T extends object>(value: T): T => {
  const reversed = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(value)) as Record<string, unknown>).reverse());
  return reversed as T;
};

describe('job envelopes', () => {
  it('accepts a job signed by the control plane for this node, within its window, after a JSON round trip', () => {
    const envelope = job();
    expect(envelope).toMatchObject({ v: 1, envelopeId: 'job-1', nodeId: NODE_A, issuedAt: NOW.toISOString(), notAfter: inMinutes(5).toISOString() });
    expect(verifyAsA(roundTrip(envelope))).toEqual({ ok: true });
    // Up to 60 s of clock skew, and up to the last instant of the window.
    expect(verifyAsA(envelope, { now: new Date(NOW.getTime() - 59_000) })).toEqual({ ok: true });
    expect(verifyAsA(envelope, { now: inMinutes(5) })).toEqual({ ok: true });
  });

  it('refuses an envelope for another agent key of the node (a replaced agent still polling)', () => {
    const verdict = verifyAsA(job({ agentKey: keyFingerprint(agentB.publicKey) }));
    expect(verdict).toMatchObject({ ok: false, refusal: 'wrong_agent' });
    expect((verdict as { reason: string }).reason).toMatch(/this node's agent was replaced/);
  });

  it('refuses a forged job (signed with another key)', () => {
    const verdict = verifyAsA(job({}, rogue.privateKey));
    expect(verdict).toMatchObject({ ok: false, refusal: 'bad_signature' });
    expect((verdict as { reason: string }).reason).toMatch(/not signed by the control plane/);
  });

  it('refuses a job whose parameters, action, node or window were altered after signing', () => {
    const envelope = job();
    const tampered: JobEnvelope[] = [
      { ...envelope, params: { ...envelope.params, all: false } },
      { ...envelope, params: { all: true, filters: { label: 'y' } } },
      { ...envelope, action: 'container.remove' },
      { ...envelope, notAfter: inMinutes(60).toISOString() },
      { ...envelope, envelopeId: 'job-2' },
      { ...envelope, nodeId: NODE_B },
    ];
    for (const t of tampered) expect(verifyAsA(t)).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('refuses a genuine job for another node', () => {
    const verdict = verifyAsA(job({ nodeId: NODE_B }));
    expect(verdict).toEqual({ ok: false, refusal: 'wrong_node', reason: `envelope job-1 is for node ${NODE_B}, not for this node (${NODE_A})` });
  });

  it('refuses an expired job, and one issued in the future beyond the clock skew', () => {
    expect(verifyAsA(job(), { now: new Date(inMinutes(5).getTime() + 1) })).toEqual({
      ok: false,
      refusal: 'expired',
      reason: `envelope job-1 expired at ${inMinutes(5).toISOString()}`,
    });
    const future = verifyAsA(job({ issuedAt: inMinutes(2), notAfter: inMinutes(10) }));
    expect(future).toMatchObject({ ok: false, refusal: 'expired' });
    expect((future as { reason: string }).reason).toMatch(/issued in the future/);
  });

  it('refuses a replayed job (already executed here)', () => {
    expect(verifyAsA(job(), { executed: ['job-1'] })).toEqual({ ok: false, refusal: 'replayed', reason: 'envelope job-1 was already executed on this node (replay)' });
  });

  it('refuses malformed envelopes before anything else, and checks in order: signature, node, window, replay', () => {
    for (const bad of [
      null,
      'x',
      {},
      { ...job(), v: 2 },
      { ...job(), params: 'all' },
      { ...job(), issuedAt: 'yesterday' },
      { ...job(), extra: 1 },
      { ...job(), signature: '!!' },
    ]) {
      expect(verifyAsA(bad)).toMatchObject({ ok: false, refusal: 'malformed' });
    }
    // Forged, for another node, expired and replayed at once: the signature is what fails first.
    const everythingWrong = job({ nodeId: NODE_B, notAfter: inMinutes(-10), issuedAt: inMinutes(-20) }, rogue.privateKey);
    expect(verifyAsA(everythingWrong, { executed: ['job-1'] })).toMatchObject({ refusal: 'bad_signature' });
    expect(verifyAsA(job({ nodeId: NODE_B, notAfter: inMinutes(-10), issuedAt: inMinutes(-20) }), { executed: ['job-1'] })).toMatchObject({ refusal: 'wrong_node' });
    expect(verifyAsA(job({ notAfter: inMinutes(-10), issuedAt: inMinutes(-20) }), { executed: ['job-1'] })).toMatchObject({ refusal: 'expired' });
  });

  it('verifies results signed by the node’s registered agent, and refuses one signed by another agent or for another job', () => {
    const result = signResult(agentA.privateKey, { envelopeId: 'job-1', nodeId: NODE_A, ok: true, output: { containers: 3, names: ['a', 'b'] }, finishedAt: NOW });
    expect(verifyResult(roundTrip(result), { agentPublicKey: agentA.publicKey, envelopeId: 'job-1', nodeId: NODE_A })).toEqual({ ok: true });

    const byOtherAgent = signResult(agentB.privateKey, { envelopeId: 'job-1', nodeId: NODE_A, ok: true, output: { containers: 3 } });
    expect(verifyResult(byOtherAgent, { agentPublicKey: agentA.publicKey, envelopeId: 'job-1', nodeId: NODE_A })).toEqual({
      ok: false,
      reason: `the result of envelope job-1 is not signed by node ${NODE_A}'s registered agent key`,
    });
    expect(verifyResult({ ...result, output: { containers: 4, names: ['a', 'b'] } }, { agentPublicKey: agentA.publicKey, envelopeId: 'job-1', nodeId: NODE_A })).toMatchObject({
      ok: false,
    });
    expect(verifyResult(result, { agentPublicKey: agentA.publicKey, envelopeId: 'job-2', nodeId: NODE_A })).toEqual({
      ok: false,
      reason: 'the result is for envelope job-1, not job-2',
    });
    expect(verifyResult(result, { agentPublicKey: agentA.publicKey, envelopeId: 'job-1', nodeId: NODE_B })).toMatchObject({ ok: false });
    expect(verifyResult({ ...result, ok: 'yes' }, { agentPublicKey: agentA.publicKey, envelopeId: 'job-1', nodeId: NODE_A })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/malformed/),
    });
  });

  it('parses only Ed25519 keys', () => {
    expect(keyFingerprint(agentA.publicKey)).toMatch(/^[0-9a-f]{16}$/);
    expect(() => parsePublicKey('not base64!')).toThrow(/SPKI DER/);
    expect(() => parsePublicKey(Buffer.from('hello').toString('base64'))).toThrow(/SPKI DER/);
    expect(() => parsePublicKey(agentA.privateKey)).toThrow();
  });
});
