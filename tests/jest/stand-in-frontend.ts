// A stand-in for the Temporal frontend over real gRPC, for tests of what reaches it (the agent door's,
// the Temporal connection factory's); the real Temporal server is in tests/integration.
import * as grpc from '@grpc/grpc-js';
import proto from '@temporalio/proto';
import { WORKFLOW_SERVICE } from '../../infra/agent-door/allowed-calls.ts';
import { rawUnaryMethod } from '../../infra/agent-door/server.ts';

const v1 = proto.temporal.api.workflowservice.v1;
export interface Received {
  method: string;
  metadata: Record<string, unknown>;
  request: Buffer;
  /** The common name of the client certificate the caller presented (over mTLS), if any. */
  clientCertificate?: string;
}
export interface HeldPoll {
  answer(res: Uint8Array): void;
  cancelled: Promise<void>;
}

/**
 * A stand-in for the Temporal frontend: answers every WorkflowService call with an empty message, and holds
 * polls for the test. With `credentials` it speaks TLS (createSsl(ca, …, true) requires client certificates).
 */
export async function startFrontend(credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()) {
  const received: Received[] = [];
  const polls: HeldPoll[] = [];
  const waiting: ((poll: HeldPoll) => void)[] = [];
  const server = new grpc.Server();
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  const service = v1.WorkflowService as unknown as { methods: Record<string, unknown> };
  for (const method of Object.keys(service.methods)) {
    const path = `/${WORKFLOW_SERVICE}/${method}`;
    definition[method] = rawUnaryMethod(path);
    implementation[method] = ((call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const peer = call.getAuthContext().sslPeerCertificate;
      received.push({ method, metadata: call.metadata.getMap(), request: call.request, clientCertificate: peer?.subject?.CN as string | undefined });
      if (method !== 'PollActivityTaskQueue') return callback(null, Buffer.alloc(0));
      const poll: HeldPoll = {
        answer: (res) => callback(null, Buffer.from(res)),
        cancelled: new Promise((resolve) => call.on('cancelled', () => resolve())),
      };
      const taker = waiting.shift();
      if (taker) taker(poll);
      else polls.push(poll);
    }) as grpc.handleUnaryCall<Buffer, Buffer>;
  }
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (e, p) => (e ? reject(e) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    received,
    /** The next poll that reaches the frontend. */
    nextPoll: () =>
      new Promise<HeldPoll>((resolve) => {
        const held = polls.shift();
        if (held) resolve(held);
        else waiting.push(resolve);
      }),
    methods: () => received.map((r) => r.method),
    stop: () => server.forceShutdown(),
  };
}
