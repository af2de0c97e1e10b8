// Hand-made hostile inputs against the running web process (the real console and API, the control-plane
// worker, PostgreSQL and Temporal): each once answered a 500, held a request, or let a spoofed name in.
// Every answer here is a documented status with a sentence naming the cause.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { enrollAgent, createEnrollmentToken } from '../../api/agents/service.ts';
import { createToken } from '../../api/tokens/service.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { signedFetch } from '../../protocol/request-signing.ts';
import { instances, nodeContainers, nodes, organizations } from '../../db/schema.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';

ownControlPlaneQueue(import.meta.url);

let s: AgentStack;
let token: string;
const BAD_COOKIE = 'aw_session=%E0%A4%A';

beforeAll(async () => {
  s = await startAgentStack('api-edge');
  ({ token } = await createToken(s.w.ctx(s.w.actors.admin), { name: 'edge', scopes: ['read', 'operate', 'approve'] }));
}, 120_000);
afterAll(async () => {
  await s?.stop();
});

const api = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${s.base}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
const json = { 'content-type': 'application/json' };
const problemOf = async (res: Response) => ({
  status: res.status,
  type: res.headers.get('content-type'),
  body: (await res.json()) as { detail: string; errors?: { field: string; message: string }[] },
});

describe('the API and the console hold against hostile input', () => {
  it('takes a session cookie that does not decode for no session: /login shows, the console asks to sign in, a bearer token still works', async () => {
    const login = await fetch(`${s.base}/login`, { headers: { cookie: BAD_COOKIE } });
    expect(login.status).toBe(200);
    const home = await fetch(`${s.base}/`, { headers: { cookie: BAD_COOKIE }, redirect: 'manual' });
    expect([home.status, home.headers.get('location')]).toEqual([302, '/login?redirectTo=%2F']);
    expect((await api('/organizations', { headers: { cookie: BAD_COOKIE } })).status).toBe(200);
    expect((await fetch(`${s.base}/api/v1/organizations`, { headers: { cookie: BAD_COOKIE } })).status).toBe(401);
    // A path that does not decode is the client's mistake too, on the console as on the API.
    expect((await fetch(`${s.base}/organizations/%E0%A4%A`, { redirect: 'manual' })).status).toBeLessThan(500);
  });

  it('refuses JSON nested 7,000 levels deep with a 400 naming the cause', async () => {
    const body = `{"name":"deep","extra":${'['.repeat(7000)}${']'.repeat(7000)}}`;
    const res = await problemOf(await api('/organizations', { method: 'POST', headers: json, body }));
    expect(res).toMatchObject({ status: 400, type: expect.stringContaining('application/problem+json') });
    expect(res.body.errors).toEqual([{ field: '(body)', message: 'the input is nested more than 64 levels deep' }]);
  });

  it('refuses a lone UTF-16 surrogate in a name with a 400 naming the field, and creates nothing', async () => {
    const res = await problemOf(await api('/organizations', { method: 'POST', headers: json, body: '{"name":"x\\ud800y"}' }));
    expect(res).toMatchObject({ status: 400, body: { errors: [{ field: 'name', message: 'name contains invalid characters' }] } });
    expect(await s.t.db.select().from(organizations).where(eq(organizations.name, 'x\ufffdy'))).toEqual([]);
  });

  it('refuses names with control, text-direction or invisible characters, naming the field', async () => {
    const org = await problemOf(await api('/organizations', { method: 'POST', headers: json, body: JSON.stringify({ name: 'Acme\u202Egnp.exe' }) }));
    expect(org).toMatchObject({ status: 400, body: { errors: [{ field: 'name', message: 'name contains a character that changes the text direction (U+202E)' }] } });
    const rename = await problemOf(await api(`/organizations/${s.w.acme.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ name: 'Acme\u0007' }) }));
    expect(rename).toMatchObject({ status: 400, body: { errors: [{ field: 'name', message: 'name contains a control character (U+0007)' }] } });
    const node = await problemOf(
      await api('/nodes', { method: 'POST', headers: json, body: JSON.stringify({ organizationId: s.w.acme.id, name: 'edge-1', notes: 'rack \u2066 4' }) }),
    );
    expect(node).toMatchObject({ status: 400, body: { errors: [{ field: 'notes', message: 'notes contains a character that changes the text direction (U+2066)' }] } });
  });

  it('refuses an empty body where the document says one is required, takes it where it says optional, and refuses a body that is not JSON', async () => {
    const missing = await problemOf(await api('/organizations', { method: 'POST' }));
    expect(missing).toMatchObject({ status: 400, body: { errors: [{ field: '(body)', message: 'a JSON body is required' }] } });
    const doc = (await (await api('/openapi.json')).json()) as { paths: Record<string, Record<string, { requestBody?: { required: boolean } }>> };
    expect(doc.paths['/organizations']!.post!.requestBody!.required).toBe(true);
    expect(doc.paths['/nodes/{id}/enrollment-tokens']!.post!.requestBody!.required).toBe(false);
    const [node] = await s.t.db.insert(nodes).values({ organizationId: s.w.acme.id, name: 'empty-body' }).returning();
    expect((await api(`/nodes/${node!.id}/enrollment-tokens`, { method: 'POST' })).status).toBe(201);
    const text = await problemOf(await api('/organizations', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'name=Acme' }));
    expect(text).toMatchObject({
      status: 415,
      type: expect.stringContaining('application/problem+json'),
      body: { detail: 'Send the body as JSON (Content-Type: application/json, UTF-8).' },
    });
    const latin1 = await api('/organizations', { method: 'POST', headers: { 'content-type': 'application/json; charset=latin1' }, body: '{"name":"x"}' });
    expect(latin1.status).toBe(415);
    expect((await api('/organizations/%E0%A4%A')).status).toBe(400);
  });

  it('keeps a heartbeat whose container is dated year 0000: that date is null, the rest stored', async () => {
    const [node] = await s.t.db.insert(nodes).values({ organizationId: s.w.acme.id, name: 'year-zero' }).returning();
    const keys = generateKeyPair();
    const { token: enrollment } = await createEnrollmentToken(s.w.ctx(s.w.actors.admin), node!.id);
    await enrollAgent(s.t.db, { token: enrollment, publicKey: keys.publicKey, hostname: 'year-zero', agentVersion: '0.1.0' });
    const container = {
      id: 'c0',
      name: 'old',
      image: 'busybox',
      state: 'exited',
      health: null,
      status: 'Exited',
      ports: [],
      labels: {},
      created: '0000-01-01T00:00:00Z',
      started: '2024-05-01T10:00:00Z',
    };
    const res = await signedFetch({
      serverUrl: s.base,
      nodeId: node!.id,
      privateKey: keys.privateKey,
      method: 'POST',
      path: '/api/v1/agent/heartbeat',
      body: {
        agentVersion: '0.1.0',
        hostname: 'year-zero',
        os: 'linux',
        cpu: { count: 1 },
        memory: { totalBytes: 1, freeBytes: 1 },
        dockerVersion: null,
        inventoryDigest: 'd0',
        containers: [container],
      },
    });
    expect(res.status).toBe(200);
    const [stored] = await s.t.db.select().from(nodeContainers).where(eq(nodeContainers.nodeId, node!.id));
    expect(stored).toMatchObject({ containerId: 'c0', name: 'old', createdAt: null, startedAt: new Date('2024-05-01T10:00:00Z') });
  });

  it('answers a log read no agent picks up within seconds: a 503 with Retry-After and a sentence, as documented', async () => {
    // Enrolled and reported online, but its agent is gone: nobody polls the node's queue.
    const [node] = await s.t.db
      .insert(nodes)
      .values({
        organizationId: s.w.acme.id,
        name: 'silent',
        status: 'online',
        lastSeenAt: new Date(),
        agentPublicKey: generateKeyPair().publicKey,
        enrolledAt: new Date(),
      })
      .returning();
    const [instance] = await s.t.db
      .insert(instances)
      .values({
        organizationId: s.w.acme.id,
        nodeId: node!.id,
        name: 'quiet',
        state: 'managed',
        containerIds: ['a'.repeat(64), 'b'.repeat(64)],
        port: 18789,
        managedSince: new Date(),
      })
      .returning();
    const started = Date.now();
    const res = await api(`/instances/${instance!.id}/logs?tail=10`);
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(12);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(((await res.json()) as { detail: string }).detail).toBe(
      'No agent on node silent picked up the request within 5 s: the agent may be stopped or busy. Try again shortly.',
    );
    const doc = (await (await api('/openapi.json')).json()) as { paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>> };
    expect(doc.paths['/instances/{id}/logs']!.get!.responses['503']!.headers).toHaveProperty('Retry-After');
  });
});
