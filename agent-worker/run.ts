// `agent-worker run`: the agent's Temporal worker, polling only this node's task queue, plus the
// heartbeat loop. Stops on Ctrl-C/SIGTERM (after in-flight jobs), or when the control plane says the
// node was revoked.
import { parseArgs } from 'node:util';
import { NativeConnection, Worker } from '@temporalio/worker';
import Dockerode from 'dockerode';
import { createLogger } from '../infra/logger.ts';
import { installTemporalLogging } from '../infra/temporal-logging.ts';
import { PROGRESS_HEARTBEAT_THROTTLE } from '../protocol/step-progress.ts';
import { pingDocker } from '../infra/services/docker-engine.ts';
import { defaultStateDir, readAgentConfig, readPrivateKey, readTemporalCredential } from './config.ts';
import { doorConnectionOptions } from './door-connection.ts';
import { startHeartbeats } from './heartbeats.ts';
import { createAgentJobActivities } from './node-jobs.ts';
import { agentPayloadCodec } from './payload-codec.ts';
import { ReplayStore } from './replay-store.ts';
import { agentSettings } from './settings.ts';

export const RUN_USAGE = `Usage: agent-worker run [--state-dir DIR] [--docker-socket PATH] [--heartbeat-seconds N]

Runs the agent: a Temporal worker on this node's own task queue (node.<nodeId>), which alone does
Docker work on this machine, and a signed heartbeat to the control plane every N seconds (default
NODE_HEARTBEAT_SECONDS, else 15). Needs an enrolled state directory (agent-worker enroll).

  --state-dir DIR        where enroll saved the configuration and key (default: AGENT_STATE_DIR or ~/.config/anthropy-agent)
  --docker-socket PATH   the Docker engine's socket (default: DOCKER_HOST unix://… or /var/run/docker.sock)
  --heartbeat-seconds N  seconds between heartbeats`;

export class RunError extends Error {}

/**
 * Activity polls the agent keeps open on its queue. A poll only fetches a job (jobs then run side by side
 * however many there are), and a node's jobs come one or two at a time: the SDK's default of up to ten
 * would hold ten long polls per agent open through the door and in Temporal, whose per-namespace limit a
 * few hundred agents would then reach (docs/benchmarks/agents.md).
 */
export const AGENT_ACTIVITY_POLLS = 2;

/** The door's own sentence when it refused the agent's credential (gRPC UNAUTHENTICATED), else undefined. */
function doorRefusal(err: Error): string | undefined {
  // Core words UNAUTHENTICATED by its description: "code: 'The request does not have valid authentication credentials'".
  if (!/Unauthenticated|valid authentication credentials/i.test(err.message)) return undefined;
  return /agent door: ([^"\\]+)/.exec(err.message)?.[1]?.trim() ?? 'unauthenticated';
}

export async function runAgent(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(RUN_USAGE);
    return 0;
  }
  let values: { 'state-dir'?: string; 'docker-socket'?: string; 'heartbeat-seconds'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: { 'state-dir': { type: 'string' }, 'docker-socket': { type: 'string' }, 'heartbeat-seconds': { type: 'string' } },
    }));
  } catch (err) {
    throw new RunError(`${(err as Error).message} (see agent-worker run --help)`);
  }
  const stateDir = values['state-dir'] ?? defaultStateDir();
  const config = readAgentConfig(stateDir);
  const privateKey = readPrivateKey(stateDir);
  const credential = readTemporalCredential(stateDir);
  const settings = agentSettings();
  const seconds = Number(values['heartbeat-seconds'] ?? settings.heartbeatSeconds);
  if (!Number.isInteger(seconds) || seconds < 1) throw new RunError('--heartbeat-seconds must be a whole number of seconds, at least 1.');
  const socketPath = values['docker-socket'] ?? settings.dockerSocket;
  const docker = new Dockerode({ socketPath });
  if (!(await pingDocker(docker))) throw new RunError(`No Docker engine answers at ${socketPath}: start Docker, or pass --docker-socket.`);

  const log = createLogger('agent', settings.logLevel);
  installTemporalLogging(log);
  const store = ReplayStore.open(stateDir);
  // The address is the control plane's agent door, which knows this agent by its credential (a bearer token).
  const connection = await NativeConnection.connect(doorConnectionOptions(config, credential)).catch((err: Error) => {
    const refusal = doorRefusal(err);
    if (refusal)
      throw new RunError(
        `the agent door refused this agent's credential (${refusal}); if the node was revoked or enrolled again elsewhere, enroll this machine again with a new token.`,
      );
    if (config.temporalTls && /certificate|UnknownIssuer|handshake|tls/i.test(err.message)) {
      throw new RunError(
        `the agent door's TLS certificate at ${config.temporalAddress} was not accepted (${err.message}); if the door's certificate or CA changed, enroll this machine again with a new token.`,
      );
    }
    throw new RunError(`Cannot reach Temporal at ${config.temporalAddress} (${err.message}); check the address the control plane gave at enrollment.`);
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    // Results go back encrypted under the key this agent shares with the control plane (ADR 0016).
    dataConverter: { payloadCodecs: [agentPayloadCodec(privateKey, config.controlPlanePublicKey)] },
    activities: createAgentJobActivities({ config, privateKey, store, docker, cacheDir: settings.cacheDir }),
    // A long step's progress reaches the console within seconds (ADR 0022).
    ...PROGRESS_HEARTBEAT_THROTTLE,
    maxConcurrentActivityTaskPolls: AGENT_ACTIVITY_POLLS,
  });
  const heartbeats = startHeartbeats({ config, privateKey, stateDir, docker, intervalMs: seconds * 1000, log });
  log.info({ node: config.nodeName, nodeId: config.nodeId, taskQueue: config.taskQueue, docker: socketPath }, 'agent running');
  let revoked = false;
  void heartbeats.revoked.then(() => {
    revoked = true;
    worker.shutdown();
  });
  try {
    await worker.run(); // returns after SIGINT/SIGTERM (or a revocation), once in-flight jobs are done
  } finally {
    await heartbeats.stop();
    await connection.close();
    store.close();
    log.info('agent stopped');
  }
  return revoked ? 2 : 0;
}
