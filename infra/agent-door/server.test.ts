// The door between two real gRPC ends: a client holding an agent's credential, and a stand-in frontend
// that records what reaches it (the real Temporal server is in tests/integration/agent-door.test.ts).
// Credentials and refusals live in a real, fresh database.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import proto from '@temporalio/proto';
import { and, eq } from 'drizzle-orm';
import { hashToken } from '../../api/auth/token-hash.ts';
import { auditEvents, nodes } from '../../db/schema.ts';
import { ensureMspOrganization } from '../../db/users.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { waitFor } from '../../tests/jest/wait-for.ts';
import { createLogger } from '../logger.ts';
import { WORKFLOW_SERVICE } from './allowed-calls.ts';
import { closeDoorOf } from './closing.ts';
import { AUDIT_ACTION } from './refusals.ts';
import { startAgentDoor, type AgentDoor } from './server.ts';
import { NativeConnection } from '@temporalio/worker';
import { doorConnectionOptions } from '../../agent-worker/door-connection.ts';
import { startFrontend } from '../../tests/jest/stand-in-frontend.ts';
import { testPki, type TestPki } from '../../tests/jest/test-pki.ts';
import { temporalChannel } from '../temporal-connection.ts';
import { doorTls } from './tls.ts';

const v1 = proto.temporal.api.workflowservice.v1;
const bytes = (b: Buffer) => b;

let t: TestDatabase;
let frontend: Awaited<ReturnType<typeof startFrontend>>;
let door: AgentDoor;
let client: grpc.Client;
let organizationId: string;
const log = createLogger('agent-door-test', 'silent');

interface Outcome {
  code: grpc.status;
  details: string;
  response?: Buffer;
}

function call(method: string, request: Uint8Array, credential?: string, service = WORKFLOW_SERVICE, deadlineMs = 10_000, through = client): Promise<Outcome> {
  const metadata = new grpc.Metadata();
  if (credential) metadata.set('authorization', `Bearer ${credential}`);
  metadata.set('client-name', 'temporal-typescript');
  return new Promise((resolve) => {
    through.makeUnaryRequest(`/${service}/${method}`, bytes, bytes, Buffer.from(request), metadata, { deadline: Date.now() + deadlineMs }, (err, response) => {
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '', response });
    });
  });
}

let counter = 0;
/** A node with an enrolled agent: its credential (the hash on the row) and its queue. */
async function enrolledNode(): Promise<{ id: string; credential: string; queue: string }> {
  const credential = `awagt_test${++counter}${'x'.repeat(40)}`;
  const [row] = await t.db
    .insert(nodes)
    .values({ organizationId, name: `door-${counter}`, agentCredentialHash: hashToken(credential) })
    .returning();
  return { id: row!.id, credential, queue: `node.${row!.id}` };
}
/** A door of its own, with other timings, and `call` through it. */
async function doorWith(timing: { credentialCacheMs: number; recheckMs: number }) {
  const other = await startAgentDoor({ db: t.db, upstream: frontend.address, namespace: 'default', host: '127.0.0.1', port: 0, log, ...timing });
  const through = new grpc.Client(`127.0.0.1:${other.port}`, grpc.credentials.createInsecure());
  return {
    call: (method: string, request: Uint8Array, credential: string) => call(method, request, credential, WORKFLOW_SERVICE, 60_000, through),
    close: async () => {
      through.close();
      await other.close();
    },
  };
}
const revoke = (id: string) => t.db.update(nodes).set({ revokedAt: new Date(), status: 'revoked' }).where(eq(nodes.id, id));

const poll = (queue: string) => v1.PollActivityTaskQueueRequest.encode({ namespace: 'default', taskQueue: { name: queue, kind: 1 } }).finish();
const task = (token: number[]) =>
  v1.PollActivityTaskQueueResponse.encode(v1.PollActivityTaskQueueResponse.fromObject({ taskToken: Uint8Array.from(token), startToCloseTimeout: { seconds: 30 } })).finish();
const completed = (token: number[]) => v1.RespondActivityTaskCompletedRequest.encode({ namespace: 'default', taskToken: Uint8Array.from(token) }).finish();

const refusals = (nodeId: string) =>
  t.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, AUDIT_ACTION), eq(auditEvents.actorId, nodeId)));

beforeAll(async () => {
  t = await freshDatabase();
  organizationId = (await ensureMspOrganization(t.db)).id;
  frontend = await startFrontend();
  door = await startAgentDoor({ db: t.db, upstream: frontend.address, namespace: 'default', host: '127.0.0.1', port: 0, log });
  client = new grpc.Client(`127.0.0.1:${door.port}`, grpc.credentials.createInsecure());
});

afterEach(() => {
  frontend.received.length = 0;
});

afterAll(async () => {
  client?.close();
  await door?.close();
  frontend?.stop();
  await t?.close();
});

describe('the agent door', () => {
  it("passes an allowed call on as it came, without the agent's credential", async () => {
    const a = await enrolledNode();
    const res = await call('GetSystemInfo', new Uint8Array(), a.credential);
    expect(res.code).toBe(grpc.status.OK);
    expect(frontend.received).toHaveLength(1);
    expect(frontend.received[0]!.metadata).toMatchObject({ 'client-name': 'temporal-typescript' });
    expect(frontend.received[0]!.metadata).not.toHaveProperty('authorization');
  });

  it('answers UNAUTHENTICATED without a credential or with one it does not know, passing nothing on', async () => {
    expect(await call('GetSystemInfo', new Uint8Array())).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: expect.stringMatching(/needs the agent's credential/) });
    expect(await call('GetSystemInfo', new Uint8Array(), 'awagt_made-up-credential')).toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: 'agent door: the agent door does not know this credential: enroll the agent again with a new token',
    });
    expect(frontend.received).toEqual([]);
    const [event] = await waitFor('the refusal in the audit trail', async () => {
      const rows = await t.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, AUDIT_ACTION), eq(auditEvents.reason, 'the agent door does not know this credential: enroll the agent again with a new token')));
      return rows.length ? rows : undefined;
    });
    expect(event).toMatchObject({ actorType: 'agent', actorId: null, actorLabel: expect.stringMatching(/^unknown agent at /), outcome: 'denied' });
    expect(JSON.stringify(event)).not.toContain('made-up-credential');
  });

  it('refuses what an activity worker does not do with PERMISSION_DENIED, and audits it once per window with the node and method', async () => {
    const a = await enrolledNode();
    for (const method of [
      'ListWorkflowExecutions',
      'StartWorkflowExecution',
      'SignalWorkflowExecution',
      'DescribeWorkflowExecution',
      'GetWorkflowExecutionHistory',
      'PollWorkflowTaskQueue',
    ]) {
      expect(await call(method, new Uint8Array(), a.credential)).toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
        details: 'agent door: not a call an activity worker on its own queue makes',
      });
    }
    expect(await call('ListSearchAttributes', new Uint8Array(), a.credential, 'temporal.api.operatorservice.v1.OperatorService')).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    // A flood of the same refusal is one event.
    for (let i = 0; i < 20; i++) expect((await call('ListWorkflowExecutions', new Uint8Array(), a.credential)).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(frontend.received).toEqual([]);
    const events = await waitFor('seven refusals', async () => {
      const rows = await refusals(a.id);
      return rows.length >= 7 ? rows : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await refusals(a.id)).length).toBe(7);
    expect(events.find((e) => (e.details as { method: string }).method.endsWith('/ListWorkflowExecutions'))).toMatchObject({
      actorType: 'agent',
      actorLabel: expect.stringMatching(/^agent of node door-\d+$/),
      organizationId,
      targetType: 'node',
      targetId: a.id,
      outcome: 'denied',
      reason: 'not a call an activity worker on its own queue makes',
      details: expect.objectContaining({ status: 'PERMISSION_DENIED', method: `/${WORKFLOW_SERVICE}/ListWorkflowExecutions` }),
    });
  });

  it('lets an agent poll its own queue only', async () => {
    const a = await enrolledNode();
    const b = await enrolledNode();
    expect(await call('PollActivityTaskQueue', poll(b.queue), a.credential)).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringContaining(`is not this node's queue ${a.queue}`),
    });
    expect(frontend.received).toEqual([]);
    const pending = call('PollActivityTaskQueue', poll(a.queue), a.credential);
    (await frontend.nextPoll()).answer(new Uint8Array()); // the long poll ends without a task
    expect((await pending).code).toBe(grpc.status.OK);
  });

  it('lets an agent heartbeat and complete only the tasks it was handed, once', async () => {
    const a = await enrolledNode();
    const b = await enrolledNode();
    const pending = call('PollActivityTaskQueue', poll(a.queue), a.credential);
    (await frontend.nextPoll()).answer(task([7, 7, 7]));
    expect((await pending).response).toEqual(Buffer.from(task([7, 7, 7])));

    expect(await call('RespondActivityTaskCompleted', completed([7, 7, 7]), b.credential)).toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: expect.stringMatching(/task token was not handed to this agent/),
    });
    expect(await call('RespondActivityTaskCompleted', completed([6, 6, 6]), a.credential)).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    const heartbeat = v1.RecordActivityTaskHeartbeatRequest.encode({ namespace: 'default', taskToken: Uint8Array.from([7, 7, 7]) }).finish();
    expect((await call('RecordActivityTaskHeartbeat', heartbeat, a.credential)).code).toBe(grpc.status.OK);
    expect((await call('RespondActivityTaskCompleted', completed([7, 7, 7]), a.credential)).code).toBe(grpc.status.OK);
    // Settled: the token is spent.
    expect((await call('RecordActivityTaskHeartbeat', heartbeat, a.credential)).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(frontend.methods()).toEqual(['PollActivityTaskQueue', 'RecordActivityTaskHeartbeat', 'RespondActivityTaskCompleted']);
  });

  it("closes a revoked node's door at once: its poll in flight ends UNAUTHENTICATED, and so does its next call", async () => {
    const a = await enrolledNode();
    const pending = call('PollActivityTaskQueue', poll(a.queue), a.credential, WORKFLOW_SERVICE, 60_000);
    const held = await frontend.nextPoll();
    const revokedAt = Date.now();
    await revoke(a.id);
    const res = await pending;
    expect(res).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: expect.stringMatching(/this node was revoked/) });
    expect(Date.now() - revokedAt).toBeLessThan(2_500);
    await held.cancelled; // the frontend's poll was cancelled too
    expect((await call('GetSystemInfo', new Uint8Array(), a.credential)).code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe('a door told of a revocation', () => {
  let patient: Awaited<ReturnType<typeof doorWith>>;
  // It reuses verdicts and checks calls in flight only every minute: the notification alone closes the door.
  beforeAll(async () => {
    patient = await doorWith({ credentialCacheMs: 60_000, recheckMs: 60_000 });
  });
  afterAll(() => patient.close());

  it("ends the node's calls in flight and refuses its next call as soon as the revocation commits", async () => {
    const a = await enrolledNode();
    expect((await patient.call('GetSystemInfo', new Uint8Array(), a.credential)).code).toBe(grpc.status.OK); // its verdict is now cached for a minute
    const pending = patient.call('PollActivityTaskQueue', poll(a.queue), a.credential);
    await frontend.nextPoll();
    const revokedAt = Date.now();
    await t.db.transaction(async (tx) => {
      await tx.update(nodes).set({ revokedAt: new Date(), status: 'revoked' }).where(eq(nodes.id, a.id));
      await closeDoorOf(tx, a.id);
    });
    expect(await pending).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    expect(await patient.call('GetSystemInfo', new Uint8Array(), a.credential)).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  });
});

describe('a door that has not yet seen a revocation when a task arrives', () => {
  let slow: Awaited<ReturnType<typeof doorWith>>;
  // Credentials checked on every call, calls in flight never: the task answer meets the revocation.
  beforeAll(async () => {
    slow = await doorWith({ credentialCacheMs: 0, recheckMs: 3_600_000 });
  });
  afterAll(() => slow.close());

  it('does not hand the task to the revoked agent, and gives it back to Temporal as a failed attempt', async () => {
    const a = await enrolledNode();
    const pending = slow.call('PollActivityTaskQueue', poll(a.queue), a.credential);
    const held = await frontend.nextPoll();
    await revoke(a.id);
    held.answer(task([9, 9, 9]));
    expect(await pending).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const released = await waitFor('the task given back', async () => frontend.received.find((r) => r.method === 'RespondActivityTaskFailed'));
    const request = v1.RespondActivityTaskFailedRequest.decode(released.request);
    expect(Buffer.from(request.taskToken)).toEqual(Buffer.from([9, 9, 9]));
    expect(request.failure).toMatchObject({ message: expect.stringMatching(/revoked or replaced while it polled/), applicationFailureInfo: { type: 'AgentDoorClosed' } });
  });
});

describe("a door with a private CA's certificate, in front of a frontend that requires client certificates", () => {
  // Real TLS on both sides: agents -> door (the door's certificate, signed by a private CA that enrollment
  // hands agents) and door -> frontend (mTLS with the door's client certificate, infra/temporal-connection.ts).
  let pki: TestPki;
  let doorCa: { cert: string };
  let secure: AgentDoor;
  let mtlsFrontend: Awaited<ReturnType<typeof startFrontend>>;
  const agentOf = (credential: string, door: { temporalTls?: boolean; temporalTlsServerCa?: string }) =>
    NativeConnection.connect(doorConnectionOptions({ temporalAddress: `127.0.0.1:${secure.port}`, ...door }, credential));

  beforeAll(async () => {
    pki = testPki();
    const temporalCa = pki.ca('test Temporal CA');
    const frontendCert = pki.server(temporalCa, 'temporal', ['temporal']);
    mtlsFrontend = await startFrontend(
      grpc.ServerCredentials.createSsl(Buffer.from(temporalCa.cert), [{ cert_chain: Buffer.from(frontendCert.cert), private_key: Buffer.from(frontendCert.key) }], true),
    );
    const client = pki.files('door-client', pki.client(temporalCa, 'anthropy-works'));
    const ca = pki.ca('test agent door CA');
    doorCa = ca;
    const doorCert = pki.files('door', pki.server(ca, 'agent-door', ['localhost', '127.0.0.1']));
    secure = await startAgentDoor({
      db: t.db,
      upstream: mtlsFrontend.address,
      upstreamChannel: temporalChannel({
        temporalAddress: mtlsFrontend.address,
        TEMPORAL_TLS_CERT_FILE: client.cert,
        TEMPORAL_TLS_KEY_FILE: client.key,
        TEMPORAL_TLS_CA_FILE: pki.files('temporal-ca', temporalCa).cert,
        TEMPORAL_TLS_SERVER_NAME: 'temporal',
      }),
      namespace: 'default',
      host: '127.0.0.1',
      port: 0,
      tls: doorTls({ AGENT_DOOR_TLS_CERT_FILE: doorCert.cert, AGENT_DOOR_TLS_KEY_FILE: doorCert.key, AGENT_DOOR_TLS_CA_FILE: pki.files('door-ca', ca).cert }),
      log,
    });
  });
  afterAll(async () => {
    await secure?.close();
    mtlsFrontend?.stop();
    pki?.remove();
  });

  it("accepts an agent that was handed the door's CA, and reaches the frontend with the door's client certificate", async () => {
    const a = await enrolledNode();
    const connection = await agentOf(a.credential, { temporalTls: true, temporalTlsServerCa: doorCa.cert }); // connecting asks GetSystemInfo
    await connection.close();
    expect(mtlsFrontend.received.map((r) => [r.method, r.clientCertificate])).toContainEqual(['GetSystemInfo', 'anthropy-works']);
    expect(mtlsFrontend.received.every((r) => !('authorization' in r.metadata))).toBe(true);
  });

  it("fails an agent that trusts only its machine's roots, and one that speaks plain gRPC, before its credential is sent", async () => {
    const a = await enrolledNode();
    const before = mtlsFrontend.received.length;
    await expect(agentOf(a.credential, { temporalTls: true })).rejects.toThrow(/certificate|UnknownIssuer|tls|transport/i);
    await expect(agentOf(a.credential, { temporalTls: false })).rejects.toThrow();
    expect(mtlsFrontend.received.length).toBe(before);
    // Neither reached the door's checks: no credential was seen, so nothing was refused in the audit trail.
    expect(await refusals(a.id)).toEqual([]);
  });
});
