// Customer data in Temporal is encrypted (Guarantee 4, ADR 0016): against the real Temporal dev server,
// the real control-plane worker process and the real web process. A customer's string sent into a run
// (its input and a signal, and from there the run's result, which the worker encodes) is nowhere in the history
// a raw client reads, every payload there names its organization's key, and the product's codec finds
// it again. The codec server decodes for a signed-in MSP admin called from Temporal Web's origin, with
// the CORS grant Temporal Web needs, and for nobody else.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { historyBytes, payloadsOf } from '../jest/history-payloads.ts';
import { and, eq } from 'drizzle-orm';
import { nodeMonitorId } from '../../api/agents/heartbeat.ts';
import { createSession, SESSION_COOKIE } from '../../api/auth/sessions.ts';
import { requestReadinessCheck } from '../../api/system/readiness.ts';
import { createToken } from '../../api/tokens/service.ts';
import { auditEvents, nodes, organizationDataKeys } from '../../db/schema.ts';
import { buildConsole, consoleBuildIsCurrent } from '../../infra/build-console.ts';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../infra/secrets/payload-codec.ts';
import { heartbeatSignal, nodeMonitor } from '../../workflows/node-monitor.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { runCommand } from '../jest/run-command.ts';
import { waitFor } from '../jest/wait-for.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);
/** Temporal Web's address as this file's console is configured with it (TEMPORAL_UI_URL). */
const TEMPORAL_WEB = 'http://localhost:18233';
const CANARY = `customer-canary-${crypto.randomUUID()}`;

let stack: AgentStack;
let acmeNode: string;
let firstRun: { workflowId: string; runId: string };

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const dataKeyIdOf = async (organizationId: string) => (await stack.t.db.select().from(organizationDataKeys).where(eq(organizationDataKeys.organizationId, organizationId)))[0]!.id;

const rawHistory = async (workflowId: string, runId?: string) => stack.controlPlane.rawClient.workflow.getHandle(workflowId, runId).fetchHistory();

beforeAll(async () => {
  if (!consoleBuildIsCurrent()) await buildConsole();
  stack = await startAgentStack('payload-codec', { TEMPORAL_UI_URL: TEMPORAL_WEB });
  const [node] = await stack.t.db.insert(nodes).values({ organizationId: stack.w.acme.id, name: 'acme-codec' }).returning();
  acmeNode = node!.id;
  // A node monitor's input and heartbeat carrying the customer's string, as anyone with a client of ours
  // could send them: the (retired, ADR 0029) monitor ends at once and answers the last beat it was given
  // in its result, which the worker encodes.
  const lastBeat = { at: new Date().toISOString(), agentVersion: CANARY };
  const handle = await stack.controlPlane.client.workflow.signalWithStart(nodeMonitor, {
    workflowId: nodeMonitorId(acmeNode),
    taskQueue: QUEUE,
    args: [{ nodeId: acmeNode, intervalSeconds: 60, staleAfterMissed: 2, offlineAfterMissed: 5, carried: { status: 'online', lastBeat } }],
    signal: heartbeatSignal,
    signalArgs: [lastBeat],
  });
  firstRun = { workflowId: handle.workflowId, runId: handle.signaledRunId };
  await waitFor(
    'the monitor to end',
    async () => ((await stack.controlPlane.rawClient.workflow.getHandle(firstRun.workflowId, firstRun.runId).describe()).status.name === 'COMPLETED' ? true : undefined),
    30_000,
  );
}, 300_000);

afterAll(async () => {
  await stack?.controlPlane.client.workflow
    .getHandle(nodeMonitorId(acmeNode))
    .terminate('test done')
    .catch(() => {});
  await stack?.stop();
});

describe('customer data in Temporal', () => {
  it('is nowhere in the history a raw client reads; every payload is encrypted under its organization’s key, and the codec finds it', async () => {
    const history = await rawHistory(firstRun.workflowId, firstRun.runId);
    expect(historyBytes(history).includes(CANARY)).toBe(false);
    // The patch marker that ends the run (ADR 0029) is the SDK's own, written plain: it holds the patch's name only.
    const markers = (history.events ?? []).filter((e) => e.markerRecordedEventAttributes);
    expect(markers.map((m) => m.markerRecordedEventAttributes?.markerName)).toEqual(['core_patch']);
    const payloads = payloadsOf((history.events ?? []).filter((e) => !e.markerRecordedEventAttributes));
    // Started, signalled, the result: three at least.
    expect(payloads.length).toBeGreaterThanOrEqual(3);
    const acmeKey = await dataKeyIdOf(stack.w.acme.id);
    for (const p of payloads) {
      expect(text(p.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(p.metadata?.[KEY_ID_METADATA])).toBe(acmeKey);
    }
    const decoded = await stack.controlPlane.codec.decode(payloads);
    const plain = decoded.map((p) => text(p.data)).join('\n');
    expect(plain).toContain(`"agentVersion":"${CANARY}"`);
    const result = payloadsOf((history.events ?? []).filter((e) => e.workflowExecutionCompletedEventAttributes));
    expect(text((await stack.controlPlane.codec.decode(result))[0]!.data)).toContain(`"agentVersion":"${CANARY}"`); // encoded by the worker
    // What the client answers, read through the codec client.
    expect(await stack.controlPlane.client.workflow.getHandle(nodeMonitorId(acmeNode)).result()).toMatchObject({ lastBeat: { agentVersion: CANARY } });
  });

  it("encrypts another organization's run under that organization's own key", async () => {
    const job = await requestReadinessCheck(stack.w.ctx(stack.w.actors.operator));
    await stack.controlPlane.client.workflow.getHandle(job.workflowId).result();
    const keys = new Set(payloadsOf((await rawHistory(job.workflowId)).events).map((p) => text(p.metadata?.[KEY_ID_METADATA])));
    expect([...keys]).toEqual([await dataKeyIdOf(stack.w.msp.id)]);
    expect(keys.has(await dataKeyIdOf(stack.w.acme.id))).toBe(false);
  }, 60_000);
});

describe('the codec server', () => {
  const asJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });
  const cookieOf = async (userId: string) => `${SESSION_COOKIE}=${(await createSession(userId)).token}`;
  const signalPayload = async () => {
    const history = await rawHistory(firstRun.workflowId, firstRun.runId);
    const signalled = history.events!.find((e) => e.workflowExecutionSignaledEventAttributes)!;
    return signalled.workflowExecutionSignaledEventAttributes!.input!.payloads![0]! as Payload;
  };
  const call = (path: string, init: { origin?: string; cookie?: string; body?: unknown; method?: string; headers?: Record<string, string> }) =>
    fetch(`${stack.base}${path}`, {
      method: init.method ?? 'POST',
      headers: {
        ...(init.origin ? { Origin: init.origin } : {}),
        ...(init.cookie ? { Cookie: init.cookie } : {}),
        ...(init.body ? { 'Content-Type': 'application/json', 'X-Namespace': 'default' } : {}),
        ...init.headers,
      },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
  const decodeEvents = async () => stack.t.db.select().from(auditEvents).where(eq(auditEvents.action, 'temporal.payloads.decode'));

  it("answers Temporal Web's preflight with a grant for its origin, with credentials", async () => {
    const res = await call('/codec/decode', {
      method: 'OPTIONS',
      origin: TEMPORAL_WEB,
      headers: { 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(TEMPORAL_WEB);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toBe('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
  });

  it('decodes for a signed-in MSP admin from Temporal Web, and audits who and how many, not what', async () => {
    const sealed = await signalPayload();
    const res = await call('/codec/decode', { origin: TEMPORAL_WEB, cookie: await cookieOf(stack.w.actors.admin.userId), body: { payloads: [asJson(sealed)] } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(TEMPORAL_WEB);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const { payloads } = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(payloads[0]!.data, 'base64').toString())).toMatchObject({ agentVersion: CANARY });
    const [audited] = await decodeEvents();
    expect(audited).toMatchObject({ actorId: stack.w.actors.admin.userId, outcome: 'success', details: { payloads: 1, encrypted: 1, keys: [await dataKeyIdOf(stack.w.acme.id)] } });
    expect(JSON.stringify(audited)).not.toContain(CANARY);
  });

  it('refuses without a session (401), from another origin (no grant), and people who are not MSP admins (403, audited)', async () => {
    const body = { payloads: [asJson(await signalPayload())] };
    const anonymous = await call('/codec/decode', { origin: TEMPORAL_WEB, body });
    expect(anonymous.status).toBe(401);
    expect(JSON.stringify(await anonymous.json())).not.toContain(CANARY);

    const admin = await cookieOf(stack.w.actors.admin.userId);
    const elsewhere = await call('/codec/decode', { origin: 'http://attacker.test', cookie: admin, body });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    expect(await elsewhere.text()).not.toContain(CANARY);
    const preflight = await call('/codec/decode', { method: 'OPTIONS', origin: 'http://attacker.test', headers: { 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    for (const who of [stack.w.actors.operator, stack.w.actors.acmeAdmin]) {
      const res = await call('/codec/decode', { origin: TEMPORAL_WEB, cookie: await cookieOf(who.userId), body });
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain(CANARY);
    }
    const denied = await stack.t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'temporal.payloads.decode'), eq(auditEvents.outcome, 'denied')));
    expect(denied.map((e) => e.actorId).sort()).toEqual([stack.w.actors.operator.userId, stack.w.actors.acmeAdmin.userId].sort());
  });

  it("serves the temporal CLI with an MSP admin's API token (read scope), and nothing without one", async () => {
    const { token } = await createToken(stack.w.ctx(stack.w.actors.admin), { name: 'codec', scopes: ['read'] });
    const show = (...extra: string[]) =>
      runCommand(
        process.env.TEMPORAL_CLI!,
        ['workflow', 'show', '--address', process.env.TEMPORAL_ADDRESS!, '--workflow-id', firstRun.workflowId, '--run-id', firstRun.runId, '--output', 'json', ...extra],
        { env: { PATH: process.env.PATH, HOME: stack.dir }, cwd: stack.dir },
      );
    // The CLI prints each payload's data in base64.
    const shown = (r: { output: string }) => [...r.output.matchAll(/"data": "([A-Za-z0-9+/=]*)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8')).join('\n');
    const raw = await show();
    expect(raw.code).toBe(0);
    expect(raw.output).toContain(Buffer.from(ENCRYPTED_ENCODING).toString('base64')); // metadata, in base64 too
    expect(shown(raw)).not.toContain(CANARY);
    const decoded = await show('--codec-endpoint', `${stack.base}/codec`, '--codec-auth', `Bearer ${token}`);
    expect(decoded.code).toBe(0);
    expect(shown(decoded)).toContain(`"agentVersion":"${CANARY}"`);
    const refused = await show('--codec-endpoint', `${stack.base}/codec`);
    expect(refused.code).not.toBe(0);
    expect(shown(refused)).not.toContain(CANARY);
  });

  it('encodes what Temporal Web sends under the MSP’s key, refuses a tampered payload with a reason, and another namespace', async () => {
    const admin = await cookieOf(stack.w.actors.admin.userId);
    const typed = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify({ typed: CANARY })).toString('base64') };
    const encoded = await call('/codec/encode', { origin: TEMPORAL_WEB, cookie: admin, body: { payloads: [typed] } });
    expect(encoded.status).toBe(200);
    const [sealed] = ((await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    expect(Buffer.from(sealed!.metadata[KEY_ID_METADATA]!, 'base64').toString()).toBe(await dataKeyIdOf(stack.w.msp.id));
    expect(Buffer.from(sealed!.data, 'base64').includes(CANARY)).toBe(false);
    const back = await call('/codec/decode', { origin: TEMPORAL_WEB, cookie: admin, body: { payloads: [sealed] } });
    expect(((await back.json()) as { payloads: unknown[] }).payloads).toEqual([typed]);

    const data = Buffer.from(sealed!.data, 'base64');
    data[30] = data[30]! ^ 1;
    const tampered = await call('/codec/decode', { origin: TEMPORAL_WEB, cookie: admin, body: { payloads: [{ ...sealed, data: data.toString('base64') }] } });
    expect(tampered.status).toBe(422);
    expect(((await tampered.json()) as { detail: string }).detail).toMatch(/^A payload cannot be decoded: an encrypted Temporal payload does not open with key /);

    const other = await call('/codec/decode', { origin: TEMPORAL_WEB, cookie: admin, body: { payloads: [] }, headers: { 'X-Namespace': 'other' } });
    expect(other.status).toBe(400);
  });
});
