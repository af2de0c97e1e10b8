// The Temporal connection factory against a real gRPC server over real TLS that requires client
// certificates (as the compose file's frontend does): the web process's client connection, the worker's
// native connection and the agent door's raw channel each present the client certificate from
// TEMPORAL_TLS_CERT_FILE, check the frontend's against TEMPORAL_TLS_CA_FILE under TEMPORAL_TLS_SERVER_NAME,
// and a client without a certificate is turned away by the handshake.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { startFrontend } from '../tests/jest/stand-in-frontend.ts';
import { testPki, type TestPki } from '../tests/jest/test-pki.ts';
import { WORKFLOW_SERVICE } from './agent-door/allowed-calls.ts';
import { connectTemporal, connectTemporalWorker, temporalChannel, temporalTls, type TemporalSettings } from './temporal-connection.ts';

let pki: TestPki;
let frontend: Awaited<ReturnType<typeof startFrontend>>;
let settings: TemporalSettings;

const bytes = (b: Buffer) => b;
function getSystemInfo(channel: ReturnType<typeof temporalChannel>, address: string): Promise<grpc.status> {
  const client = new grpc.Client(address, channel.credentials, channel.options);
  return new Promise<grpc.status>((resolve) => {
    client.makeUnaryRequest(`/${WORKFLOW_SERVICE}/GetSystemInfo`, bytes, bytes, Buffer.alloc(0), { deadline: Date.now() + 5_000 }, (err) =>
      resolve(err ? err.code : grpc.status.OK),
    );
  }).finally(() => client.close());
}
const callersSince = (from: number) => frontend.received.slice(from).map((r) => r.clientCertificate);

beforeAll(async () => {
  pki = testPki();
  const ca = pki.ca('test Temporal CA');
  // Named "temporal" only: reached at 127.0.0.1, the name to expect comes from TEMPORAL_TLS_SERVER_NAME.
  const server = pki.server(ca, 'temporal', ['temporal']);
  const client = pki.files('client', pki.client(ca, 'anthropy-works'));
  frontend = await startFrontend(grpc.ServerCredentials.createSsl(Buffer.from(ca.cert), [{ cert_chain: Buffer.from(server.cert), private_key: Buffer.from(server.key) }], true));
  settings = {
    temporalAddress: frontend.address,
    TEMPORAL_TLS_CERT_FILE: client.cert,
    TEMPORAL_TLS_KEY_FILE: client.key,
    TEMPORAL_TLS_CA_FILE: pki.files('ca', ca).cert,
    TEMPORAL_TLS_SERVER_NAME: 'temporal',
  };
});

afterAll(() => {
  frontend?.stop();
  pki?.remove();
});

describe('the Temporal connection factory', () => {
  it('is plain without TEMPORAL_TLS_* settings (the dev server on loopback)', () => {
    expect(temporalTls({ temporalAddress: '127.0.0.1:7233' })).toBeUndefined();
    expect(temporalTls({ temporalAddress: 'x:7233', TEMPORAL_TLS_SERVER_NAME: 'temporal' })).toEqual({ serverNameOverride: 'temporal' });
  });

  it("connects the web process's client with its client certificate", async () => {
    const from = frontend.received.length;
    const connection = await connectTemporal(settings);
    await connection.workflowService.getSystemInfo({});
    await connection.close();
    expect(callersSince(from).length).toBeGreaterThan(0);
    expect(new Set(callersSince(from))).toEqual(new Set(['anthropy-works']));
  });

  it("connects the worker's native connection with its client certificate", async () => {
    const from = frontend.received.length;
    const connection = await connectTemporalWorker(settings); // it asks GetSystemInfo on connecting
    await connection.close();
    expect(callersSince(from)).toContain('anthropy-works');
    expect(new Set(callersSince(from))).toEqual(new Set(['anthropy-works']));
  });

  it("gives the agent door's upstream channel the client certificate too", async () => {
    const from = frontend.received.length;
    expect(await getSystemInfo(temporalChannel(settings), frontend.address)).toBe(grpc.status.OK);
    expect(callersSince(from)).toEqual(['anthropy-works']);
  });

  it('is turned away without a client certificate, and refuses a frontend whose certificate does not name TEMPORAL_TLS_SERVER_NAME', async () => {
    const from = frontend.received.length;
    const noCertificate = { ...settings, TEMPORAL_TLS_CERT_FILE: undefined, TEMPORAL_TLS_KEY_FILE: undefined };
    expect(await getSystemInfo(temporalChannel(noCertificate), frontend.address)).toBe(grpc.status.UNAVAILABLE);
    expect(await getSystemInfo(temporalChannel({ ...settings, TEMPORAL_TLS_SERVER_NAME: 'elsewhere' }), frontend.address)).toBe(grpc.status.UNAVAILABLE);
    expect(await getSystemInfo(temporalChannel({ ...settings, TEMPORAL_TLS_CA_FILE: undefined }), frontend.address)).toBe(grpc.status.UNAVAILABLE); // the machine's roots do not know the CA
    expect(frontend.received.length).toBe(from);
  });
});
