import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { generateKeyPair, keyFingerprint } from '../../protocol/envelope.ts';
import { hashToken } from '../auth/token-hash.ts';
import { signRequest } from '../../protocol/request-signing.ts';
import { auditEvents, nodeEnrollmentTokens, nodes } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import { controlPlanePublicKey } from '../../infra/control-plane-key.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { testPki } from '../../tests/jest/test-pki.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { AppError, ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { createNode } from '../nodes/service.ts';
import {
  AGENT_CREDENTIAL_PREFIX,
  authenticateAgent,
  createEnrollmentToken,
  enrollAgent,
  ENROLLMENT_TOKEN_PREFIX,
  getNodeIdentity,
  listEnrollmentTokens,
  MAX_ENROLL_FAILURES_PER_ADDRESS,
  revokeEnrollmentToken,
  revokeNode,
  whoami,
} from './service.ts';

let t: TestDatabase;
let acme: { id: string };
let actors: Tenants['actors'];
let ctx: Tenants['ctx'];
let ipCounter = 0;
/** Each case enrolls from its own address, so the per-address throttle only matters where it is tested. */
const freshIp = () => `198.51.100.${++ipCounter}`;

const newNode = async (name: string) => (await createNode(ctx(actors.admin), { organizationId: acme.id, name })).id;
const enroll = (token: string, publicKey = generateKeyPair().publicKey, ip = freshIp()) =>
  enrollAgent(t.db, { token, publicKey, hostname: 'edge-01.acme.test', agentVersion: '0.1.0' }, { ip });
const nodeRow = async (id: string) => (await t.db.select().from(nodes).where(eq(nodes.id, id)))[0]!;
const tokenField = async (p: Promise<unknown>) => {
  const err = await failure(p);
  expect(err).toBeInstanceOf(InvalidInputError);
  return (err as InvalidInputError).fieldErrors;
};
const signedWhoami = (nodeId: string, privateKey: string) => ({
  headers: signRequest(privateKey, { nodeId, method: 'GET', path: '/api/v1/agent/whoami' }),
  method: 'GET',
  path: '/api/v1/agent/whoami',
  body: undefined,
});

beforeAll(async () => {
  t = await freshDatabase();
  ({ acme, actors, ctx } = await seedTenants(t.db));
});
afterAll(async () => {
  await t.close();
});

describe('enrollment tokens', () => {
  it('are created by MSP staff, shown once, stored only as a SHA-256, with the command to run, and audited without the value', async () => {
    const nodeId = await newNode('tok-01');
    const before = Date.now();
    const created = await createEnrollmentToken(ctx(actors.operator), nodeId);
    expect(created.token.startsWith(ENROLLMENT_TOKEN_PREFIX)).toBe(true);
    // The command carries the control plane key's fingerprint, which the agent checks.
    const fingerprint = keyFingerprint(controlPlanePublicKey());
    expect(created.command).toBe(`agent-worker enroll --server ${loadConfig().publicUrl} --token ${created.token} --control-plane-key ${fingerprint}`);
    expect(created.controlPlaneKeyFingerprint).toBe(fingerprint);
    const expires = Date.parse(created.expiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 60 * 60_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60 * 60_000 + 1000);
    const [row] = await t.db.select().from(nodeEnrollmentTokens).where(eq(nodeEnrollmentTokens.id, created.id));
    expect(row!.tokenHash).toBe(crypto.createHash('sha256').update(created.token).digest('hex'));
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.action, 'node.enrollment_token.create'));
    expect(events.at(-1)).toMatchObject({ outcome: 'success', targetId: nodeId, organizationId: acme.id, actorLabel: 'operator@msp.test' });
    expect(JSON.stringify(events)).not.toContain(created.token);

    const listed = await listEnrollmentTokens(ctx(actors.admin), nodeId);
    expect(listed).toEqual([expect.objectContaining({ id: created.id, state: 'outstanding', createdBy: 'operator@msp.test', usedAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(created.token);
  });

  it('take an expiry between 5 and 1440 minutes, naming the field otherwise, and write nothing', async () => {
    const nodeId = await newNode('tok-02');
    for (const bad of [4, 1441, 2.5, 'soon']) {
      expect(Object.keys(await tokenField(createEnrollmentToken(ctx(actors.admin), nodeId, { expiresInMinutes: bad })))).toEqual(['expiresInMinutes']);
    }
    expect(await listEnrollmentTokens(ctx(actors.admin), nodeId)).toEqual([]);
    const short = await createEnrollmentToken(ctx(actors.admin), nodeId, { expiresInMinutes: 5 });
    expect(Date.parse(short.expiresAt) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
  });

  it('are refused to company people (403 in their own organization, 404 in another), and the refusal is audited', async () => {
    const nodeId = await newNode('tok-03');
    expect(await failure(createEnrollmentToken(ctx(actors.acmeAdmin), nodeId))).toBeInstanceOf(ForbiddenError);
    expect(await failure(createEnrollmentToken(ctx(actors.acmeUser), nodeId))).toBeInstanceOf(ForbiddenError);
    expect(await failure(createEnrollmentToken(ctx(actors.globexAdmin), nodeId))).toBeInstanceOf(NotFoundError);
    expect(await failure(listEnrollmentTokens(ctx(actors.acmeAdmin), nodeId))).toBeInstanceOf(ForbiddenError);
    expect(await failure(listEnrollmentTokens(ctx(actors.globexAdmin), nodeId))).toBeInstanceOf(NotFoundError);
    const { id } = await createEnrollmentToken(ctx(actors.admin), nodeId);
    expect(await failure(revokeEnrollmentToken(ctx(actors.acmeAdmin), id))).toBeInstanceOf(ForbiddenError);
    expect(await failure(revokeEnrollmentToken(ctx(actors.globexAdmin), id))).toBeInstanceOf(NotFoundError);
    expect(await failure(createEnrollmentToken(ctx(actors.admin), crypto.randomUUID()))).toBeInstanceOf(NotFoundError);
    expect(await listEnrollmentTokens(ctx(actors.admin), nodeId)).toEqual([expect.objectContaining({ id, state: 'outstanding' })]);
    const denied = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.enroll'), eq(auditEvents.outcome, 'denied')));
    expect(denied.length).toBeGreaterThanOrEqual(3);
  });

  it('can be revoked once, and a revoked token does not enroll', async () => {
    const nodeId = await newNode('tok-04');
    const created = await createEnrollmentToken(ctx(actors.admin), nodeId);
    expect(await revokeEnrollmentToken(ctx(actors.operator), created.id)).toMatchObject({ id: created.id, state: 'revoked' });
    expect(await failure(revokeEnrollmentToken(ctx(actors.operator), created.id))).toBeInstanceOf(ConflictError);
    expect(await tokenField(enroll(created.token))).toEqual({ token: 'This enrollment token was revoked; create a new enrollment command in the console.' });
    expect((await nodeRow(nodeId)).agentPublicKey).toBeNull();
  });
});

describe('enrollment', () => {
  it('registers the agent’s public key, keeps the node pending, returns what the agent needs, and is audited as the agent', async () => {
    const nodeId = await newNode('enr-01');
    const { token } = await createEnrollmentToken(ctx(actors.admin), nodeId);
    const keys = generateKeyPair();
    const enrolled = await enroll(token, keys.publicKey);
    const config = loadConfig();
    expect(enrolled).toEqual({
      nodeId,
      nodeName: 'enr-01',
      organizationId: acme.id,
      taskQueue: `node.${nodeId}`,
      temporalAddress: config.agentDoorAddress,
      temporalNamespace: config.TEMPORAL_NAMESPACE,
      temporalTls: false,
      temporalCredential: expect.stringMatching(new RegExp(`^${AGENT_CREDENTIAL_PREFIX}[a-z2-7]{52}$`)),
      controlPlanePublicKey: controlPlanePublicKey(),
    });
    const row = await nodeRow(nodeId);
    // Only the credential's hash is kept, and it is nowhere in the audit trail.
    expect(row).toMatchObject({ agentPublicKey: keys.publicKey, agentCredentialHash: hashToken(enrolled.temporalCredential), status: 'pending', revokedAt: null });
    expect(row.enrolledAt).toBeInstanceOf(Date);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.enroll'), eq(auditEvents.outcome, 'success'), eq(auditEvents.targetId, nodeId)));
    expect(event).toMatchObject({ actorType: 'agent', actorId: nodeId, actorLabel: 'agent on edge-01.acme.test', organizationId: acme.id });
    expect(JSON.stringify(event)).not.toContain(token);
    expect(JSON.stringify(event)).not.toContain(enrolled.temporalCredential);
    expect(await listEnrollmentTokens(ctx(actors.admin), nodeId)).toEqual([expect.objectContaining({ state: 'used' })]);
    expect(await getNodeIdentity(ctx(actors.acmeAdmin), nodeId)).toMatchObject({ enrolledAt: row.enrolledAt!.toISOString(), revokedAt: null });

    // Its signed requests are accepted; whoami tells it who it is.
    expect(await authenticateAgent(t.db, signedWhoami(nodeId, keys.privateKey))).toEqual({ ok: true, nodeId });
    expect(await whoami({ db: t.db, agent: { nodeId } })).toMatchObject({ nodeId, name: 'enr-01', status: 'pending', revoked: false });
  });

  it("hands the agent door's private CA to the agent when AGENT_DOOR_TLS_CA_FILE is set, and says the door speaks TLS", async () => {
    const pki = testPki();
    const ca = pki.ca('door CA');
    const door = pki.files('door', pki.server(ca, 'agent-door', ['localhost']));
    const saved = { ...process.env };
    Object.assign(process.env, { AGENT_DOOR_TLS_CERT_FILE: door.cert, AGENT_DOOR_TLS_KEY_FILE: door.key, AGENT_DOOR_TLS_CA_FILE: pki.files('ca', ca).cert });
    try {
      const nodeId = await newNode('enr-ca');
      const { token } = await createEnrollmentToken(ctx(actors.admin), nodeId);
      expect(await enroll(token)).toMatchObject({ temporalTls: true, temporalTlsServerCa: ca.cert });
    } finally {
      for (const key of ['AGENT_DOOR_TLS_CERT_FILE', 'AGENT_DOOR_TLS_KEY_FILE', 'AGENT_DOOR_TLS_CA_FILE']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      pki.remove();
    }
  });

  it('uses a token once: a second enrollment is refused and changes nothing', async () => {
    const nodeId = await newNode('enr-02');
    const { token } = await createEnrollmentToken(ctx(actors.admin), nodeId);
    const first = generateKeyPair();
    await enroll(token, first.publicKey);
    expect(await tokenField(enroll(token))).toEqual({ token: 'This enrollment token was already used; create a new enrollment command in the console.' });
    expect((await nodeRow(nodeId)).agentPublicKey).toBe(first.publicKey);
  });

  it('lets exactly one of two concurrent enrollments with the same token win', async () => {
    const nodeId = await newNode('enr-03');
    const { token } = await createEnrollmentToken(ctx(actors.admin), nodeId);
    const keys = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    const results = await Promise.allSettled(keys.map((k) => enroll(token, k.publicKey)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(2);
    for (const l of lost) expect((l.reason as InvalidInputError).fieldErrors).toEqual({ token: expect.stringMatching(/already used/) });
    const winner = keys[results.indexOf(won[0]!)]!;
    expect((await nodeRow(nodeId)).agentPublicKey).toBe(winner.publicKey);
    const successes = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.enroll'), eq(auditEvents.outcome, 'success'), eq(auditEvents.targetId, nodeId)));
    expect(successes).toHaveLength(1);
  });

  it('refuses an expired and an unknown token, each with its own message on the token field, audited as failures', async () => {
    const nodeId = await newNode('enr-04');
    const { id, token } = await createEnrollmentToken(ctx(actors.admin), nodeId);
    const past = new Date(Date.now() - 1000);
    await t.db.update(nodeEnrollmentTokens).set({ expiresAt: past }).where(eq(nodeEnrollmentTokens.id, id));
    expect(await tokenField(enroll(token))).toEqual({ token: `This enrollment token expired at ${past.toISOString()}; create a new enrollment command in the console.` });
    expect(await tokenField(enroll(`${ENROLLMENT_TOKEN_PREFIX}never-issued`))).toEqual({
      token: 'This enrollment token is not valid (unknown or mistyped); create a new enrollment command in the console.',
    });
    expect(await tokenField(enroll('   '))).toEqual({ token: 'token is required' });
    expect((await nodeRow(nodeId)).agentPublicKey).toBeNull();
    const failures = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.enroll'), eq(auditEvents.outcome, 'failure')))
      .orderBy(desc(auditEvents.id));
    expect(failures.slice(0, 2).map((e) => e.reason)).toEqual(['enrollment token unknown', 'enrollment token expired']);
  });

  it('names publicKey when it is not an Ed25519 SPKI key, and leaves the token unused', async () => {
    const nodeId = await newNode('enr-05');
    const { token } = await createEnrollmentToken(ctx(actors.admin), nodeId);
    const x25519 = crypto.generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    for (const bad of ['not a key', Buffer.from('hello world').toString('base64'), generateKeyPair().privateKey, x25519, 'A'.repeat(201)]) {
      const fields = await tokenField(enroll(token, bad));
      expect(Object.keys(fields)).toEqual(['publicKey']);
    }
    expect(await listEnrollmentTokens(ctx(actors.admin), nodeId)).toEqual([expect.objectContaining({ state: 'outstanding' })]);
    expect(Object.keys(await tokenField(enrollAgent(t.db, { token, publicKey: generateKeyPair().publicKey }, { ip: freshIp() })))).toEqual(['hostname', 'agentVersion']);
  });

  it('withdraws the node’s other outstanding tokens when one of them enrolls', async () => {
    const nodeId = await newNode('enr-06');
    const spare = await createEnrollmentToken(ctx(actors.admin), nodeId);
    const used = await createEnrollmentToken(ctx(actors.admin), nodeId);
    await enroll(used.token);
    const states = Object.fromEntries((await listEnrollmentTokens(ctx(actors.admin), nodeId)).map((x) => [x.id, x.state]));
    expect(states).toEqual({ [spare.id]: 'revoked', [used.id]: 'used' });
    expect(await tokenField(enroll(spare.token))).toEqual({ token: expect.stringMatching(/revoked/) });
  });

  it('throttles failed enrollments per address, counted from the audit trail', async () => {
    const nodeId = await newNode('enr-07');
    const { token } = await createEnrollmentToken(ctx(actors.admin), nodeId);
    const ip = '203.0.113.7';
    for (let i = 0; i < MAX_ENROLL_FAILURES_PER_ADDRESS; i++) await tokenField(enroll(`${ENROLLMENT_TOKEN_PREFIX}guess-${i}`, undefined, ip));
    const refused = await failure(enroll(token, undefined, ip));
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).status).toBe(429);
    expect((refused as AppError).message).toMatch(/Too many failed enrollment attempts/);
    // Another address is not affected, and the token still works there.
    expect(await enroll(token, undefined, '203.0.113.8')).toMatchObject({ nodeId });
  });
});

describe('revocation', () => {
  it('revokes the node (MSP staff): status revoked, tokens withdrawn, signed requests refused, audited; twice is a conflict', async () => {
    const nodeId = await newNode('rev-01');
    const { token } = await createEnrollmentToken(ctx(actors.admin), nodeId);
    const keys = generateKeyPair();
    await enroll(token, keys.publicKey);
    const spare = await createEnrollmentToken(ctx(actors.admin), nodeId);

    expect(await failure(revokeNode(ctx(actors.acmeAdmin), nodeId))).toBeInstanceOf(ForbiddenError);
    expect(await failure(revokeNode(ctx(actors.acmeUser), nodeId))).toBeInstanceOf(ForbiddenError);
    expect(await failure(revokeNode(ctx(actors.globexAdmin), nodeId))).toBeInstanceOf(NotFoundError);
    expect((await nodeRow(nodeId)).revokedAt).toBeNull();

    const revoked = await revokeNode(ctx(actors.operator), nodeId);
    expect(revoked).toMatchObject({ id: nodeId, status: 'revoked', revokedAt: expect.any(String), agentKeyFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect((await listEnrollmentTokens(ctx(actors.admin), nodeId)).find((x) => x.id === spare.id)?.state).toBe('revoked');
    expect(await tokenField(enroll(spare.token))).toEqual({ token: expect.stringMatching(/revoked/) });
    expect(await authenticateAgent(t.db, signedWhoami(nodeId, keys.privateKey))).toMatchObject({ ok: false, refusal: 'revoked_node' });
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.revoke'), eq(auditEvents.outcome, 'success'), eq(auditEvents.targetId, nodeId)));
    expect(event).toMatchObject({ outcome: 'success', actorLabel: 'operator@msp.test', details: expect.objectContaining({ withdrawnEnrollments: 1, hadAgent: true }) });
    expect(await failure(revokeNode(ctx(actors.admin), nodeId))).toBeInstanceOf(ConflictError);
  });

  it('lets a revoked node enroll again with a NEW token, which registers the new key and clears the revocation', async () => {
    const nodeId = await newNode('rev-02');
    const old = generateKeyPair();
    const first = await enroll((await createEnrollmentToken(ctx(actors.admin), nodeId)).token, old.publicKey);
    await revokeNode(ctx(actors.admin), nodeId);

    const fresh = generateKeyPair();
    const { token } = await createEnrollmentToken(ctx(actors.admin), nodeId);
    const [created] = await t.db.select().from(auditEvents).where(eq(auditEvents.action, 'node.enrollment_token.create')).orderBy(desc(auditEvents.id)).limit(1);
    expect(created!.reason).toMatch(/revoked: enrolling with this token registers a new agent key and clears the revocation/);
    const second = await enroll(token, fresh.publicKey);
    // A new door credential replaces the old agent's.
    expect(second.temporalCredential).not.toBe(first.temporalCredential);
    expect(await nodeRow(nodeId)).toMatchObject({ agentPublicKey: fresh.publicKey, agentCredentialHash: hashToken(second.temporalCredential), revokedAt: null, status: 'pending' });
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'node.enroll'), eq(auditEvents.outcome, 'success'), eq(auditEvents.targetId, nodeId)))
      .orderBy(desc(auditEvents.id))
      .limit(1);
    expect(event!.reason).toBe('re-enrolled with a new token after revocation: the revocation is cleared');
    expect(event!.details).toMatchObject({ wasRevoked: true });
    expect(await authenticateAgent(t.db, signedWhoami(nodeId, fresh.privateKey))).toEqual({ ok: true, nodeId });
    expect(await authenticateAgent(t.db, signedWhoami(nodeId, old.privateKey))).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });
});
