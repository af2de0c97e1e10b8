// The agent door: a gRPC proxy in front of the Temporal frontend through which agents, and only agents,
// reach Temporal (ADR 0010, item 3). Each call must carry the agent's credential and be one an activity
// worker on the agent's own queue makes (allowed-calls.ts); it then goes to the frontend as it came
// (bytes in, bytes out), without the credential. Refusals answer PERMISSION_DENIED (UNAUTHENTICATED
// for an unknown or revoked credential) and are audited (refusals.ts).
import * as grpc from '@grpc/grpc-js';
import proto from '@temporalio/proto';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../logger.ts';
import { attemptMs, decodePollResponse, releaseRequest, ruleFor, WORKFLOW_SERVICE, type Caller } from './allowed-calls.ts';
import { bearerOf, CREDENTIAL_CACHE_MS, CredentialCheck, REFUSALS, type DoorAgent } from './credentials.ts';
import { DOOR_CLOSING_CHANNEL } from './closing.ts';
import { HandedTasks } from './handed-tasks.ts';
import { RefusalAudit } from './refusals.ts';

export interface AgentDoorOptions {
  db: Db;
  /** The Temporal frontend's address (loopback or the control plane's private network). */
  upstream: string;
  /** How to reach it (infra/temporal-connection.ts: TLS and the door's client certificate); default plain. */
  upstreamChannel?: { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions };
  namespace: string;
  host: string;
  /** 0: any free port. */
  port: number;
  /** The door's own certificate (infra/agent-door/tls.ts); none: plain, on loopback only (infra/config.ts). */
  tls?: { cert: Buffer; key: Buffer };
  log: Logger;
  /** How long a credential's verdict is reused, and how often calls in flight are checked again (tests change them). */
  credentialCacheMs?: number;
  recheckMs?: number;
}

export interface AgentDoor {
  port: number;
  close(): Promise<void>;
}

// Activity inputs and results are bounded by Temporal's payload limits (2 MB by default); the frontend
// answers for itself above that.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const bytes = (b: Buffer) => b;

interface InFlight {
  credential: string;
  nodeId: string;
  close(status: grpc.StatusObject): void;
}

/** A unary method whose messages pass as bytes: the door decodes only what it checks. */
export const rawUnaryMethod = (path: string): grpc.MethodDefinition<Buffer, Buffer> => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: bytes,
  requestDeserialize: bytes,
  responseSerialize: bytes,
  responseDeserialize: bytes,
});

/** Every method of the services a Temporal client may call: all are answered, most with a refusal. */
function servedMethods(): string[] {
  // The package's services are protobufjs reflection objects at run time (its types describe generated classes).
  type Reflected = { fullName: string; methods: Record<string, unknown> };
  const services = [proto.temporal.api.workflowservice.v1.WorkflowService, proto.temporal.api.operatorservice.v1.OperatorService] as unknown as Reflected[];
  return services.flatMap((s) => Object.keys(s.methods).map((m) => `/${s.fullName.replace(/^\./, '')}/${m}`));
}

export async function startAgentDoor(opts: AgentDoorOptions): Promise<AgentDoor> {
  const { log, namespace } = opts;
  const credentials = new CredentialCheck(opts.db, opts.credentialCacheMs ?? CREDENTIAL_CACHE_MS);
  const tasks = new HandedTasks();
  const audit = new RefusalAudit(opts.db, log);
  const inFlight = new Set<InFlight>();
  const upstream = new grpc.Client(opts.upstream, opts.upstreamChannel?.credentials ?? grpc.credentials.createInsecure(), {
    ...opts.upstreamChannel?.options,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES });

  const forward = (path: string, request: Buffer, metadata: grpc.Metadata, deadline: grpc.Deadline | undefined, done: (err: grpc.ServiceError | null, res?: Buffer) => void) =>
    upstream.makeUnaryRequest(path, bytes, bytes, request, metadata, deadline ? { deadline } : {}, (err, res) => done(err, res));

  // A task won for an agent whose door closed meanwhile goes back as a failed attempt, so that Temporal
  // retries it now instead of at the attempt's timeout.
  const release = (taskToken: Uint8Array, why: string) =>
    forward(`/${WORKFLOW_SERVICE}/RespondActivityTaskFailed`, releaseRequest(namespace, taskToken, why), new grpc.Metadata(), undefined, (err) => {
      if (err) log.warn({ err: { message: err.message } }, 'agent door: releasing a task for a closed agent failed (it ends at its timeout)');
    });

  function handle(path: string): grpc.handleUnaryCall<Buffer, Buffer> {
    const method = path.slice(path.lastIndexOf('/') + 1);
    return (call, callback) => {
      let answered = false;
      const answer = (err: Partial<grpc.StatusObject> | grpc.ServiceError | null, res?: Buffer) => {
        if (answered) return;
        answered = true;
        callback(err, res);
      };
      const refuse = (status: 'PERMISSION_DENIED' | 'UNAUTHENTICATED', reason: string, agent?: DoorAgent) => {
        void audit.record({ agent, peer: call.getPeer(), method: path, status, reason }); // it logs its own failure
        answer({ code: grpc.status[status], details: `agent door: ${reason}` });
      };
      const credential = bearerOf(call.metadata.get('authorization')[0]);
      void credentials
        .verify(credential)
        .then((verdict) => {
          if (!verdict.ok) return refuse('UNAUTHENTICATED', REFUSALS[verdict.refusal], verdict.agent);
          const { agent } = verdict;
          const rule = ruleFor(path);
          if ('refused' in rule) return refuse('PERMISSION_DENIED', rule.refused, agent);
          const caller: Caller = { nodeId: agent.nodeId, namespace };
          const admission = rule.admit(call.request, caller);
          if ('refused' in admission) return refuse('PERMISSION_DENIED', admission.refused, agent);
          const { taskToken } = admission;
          if (taskToken && !tasks.holds(agent.nodeId, taskToken)) {
            return refuse('PERMISSION_DENIED', 'the task token was not handed to this agent (or its attempt is over)', agent);
          }

          const metadata = call.metadata.clone();
          metadata.remove('authorization');
          log.debug({ nodeId: agent.nodeId, method }, 'agent door call');
          const pending = forward(path, call.request, metadata, call.getDeadline(), (err, res) => {
            inFlight.delete(entry);
            if (taskToken && rule.task === 'settle' && (!err || err.code === grpc.status.NOT_FOUND)) tasks.settle(agent.nodeId, taskToken);
            if (err || !res || rule.task !== 'hand') return answer(err, res);
            handOut(agent, credential!, res).then(
              (refusal) => (refusal ? refuse('UNAUTHENTICATED', refusal, agent) : answer(null, res)),
              (e: unknown) => answer(internal(e)),
            );
          });
          const entry: InFlight = {
            credential: credential!,
            nodeId: agent.nodeId,
            close: (status) => {
              pending.cancel();
              answer(status);
            },
          };
          inFlight.add(entry);
          call.on('cancelled', () => pending.cancel());
        })
        .catch((err: unknown) => answer(internal(err)));
    };
  }

  /** Records the task a poll answers with for the agent; or, when its door closed meanwhile, releases it and says why. */
  async function handOut(agent: DoorAgent, credential: string, res: Buffer): Promise<string | undefined> {
    const task = decodePollResponse(res);
    if (!task.taskToken?.length) return undefined; // the long poll ended without a task
    const now = await credentials.verify(credential);
    if (!now.ok || now.agent.nodeId !== agent.nodeId) {
      release(task.taskToken, "the node's agent was revoked or replaced while it polled; the task was not handed to it");
      tasks.forget(agent.nodeId);
      return REFUSALS[now.ok ? 'unknown' : now.refusal];
    }
    tasks.hand(agent.nodeId, task.taskToken, attemptMs(task));
    return undefined;
  }

  const internal = (err: unknown): Partial<grpc.StatusObject> => {
    log.error({ err }, 'agent door: a call failed inside the door');
    return { code: grpc.status.UNAVAILABLE, details: 'agent door: the control plane cannot check this call now; try again' };
  };

  // Long polls outlive a credential check: every second, and whenever a node's door closes, the callers
  // of calls in flight are checked again, and a closed door ends their calls at once.
  const recheck = () => {
    const byCredential = new Map<string, InFlight[]>();
    for (const entry of inFlight) {
      const entries = byCredential.get(entry.credential);
      if (entries) entries.push(entry);
      else byCredential.set(entry.credential, [entry]);
    }
    const verdicts = credentials.verifyAll([...byCredential.keys()]);
    for (const [credential, entries] of byCredential) {
      void verdicts.get(credential)!.then(
        (verdict) => {
          if (verdict.ok) return;
          tasks.forget(entries[0]!.nodeId);
          for (const entry of entries) {
            inFlight.delete(entry);
            entry.close({ code: grpc.status.UNAUTHENTICATED, details: `agent door: ${REFUSALS[verdict.refusal]}`, metadata: new grpc.Metadata() });
          }
        },
        () => {},
      ); // the database away: the next sweep tries again
    }
  };
  const sweep = setInterval(recheck, opts.recheckMs ?? CREDENTIAL_CACHE_MS);
  sweep.unref();
  const closing = await opts.db.$client.listen(DOOR_CLOSING_CHANNEL, () => {
    credentials.forgetAll();
    recheck();
  });

  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const path of servedMethods()) {
    definition[path] = rawUnaryMethod(path);
    implementation[path] = handle(path);
  }
  server.addService(definition, implementation);

  const credentialsForServer = opts.tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }], false)
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`, credentialsForServer, (err, bound) => (err ? reject(err) : resolve(bound)));
  });

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweep);
        void closing.unlisten().catch(() => {}); // the pool may be ending already
        for (const entry of inFlight) entry.close({ code: grpc.status.UNAVAILABLE, details: 'agent door: stopping', metadata: new grpc.Metadata() });
        server.tryShutdown(() => {
          upstream.close();
          resolve();
        });
      }),
  };
}
