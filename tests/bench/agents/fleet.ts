// One load process of the agents benchmark (main.ts forks it): many simulated agents, each with its own
// key and credential, enrolled with the agent's own `enroll` command (in this process, not one process
// per node) and then run as the agent runs: a Temporal worker on the node's own queue, reached through
// the agent door with the node's credential, executing signed jobs with the agent's real activity
// (envelope checks, replay store, signed result), and a signed heartbeat every interval. What is
// simulated is the machine: every node's Docker engine is the same stand-in (tests/stand-ins), and the
// report is built once per node (hostReport, the agent's own) and then re-sent without its containers,
// as a real agent does while its inventory does not change; this keeps the load process's own CPU low
// on a machine it shares with the control plane it measures.
//
// main.ts talks to it over the IPC channel: `enroll` (tokens to enroll and start), `stats` (the
// heartbeats' latencies since the last `stats`), `stop`.
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import Dockerode from 'dockerode';
import { main as agentCli } from '../../../agent-worker/cli.ts';
import { readAgentConfig, readPrivateKey, readTemporalCredential } from '../../../agent-worker/config.ts';
import { doorConnectionOptions } from '../../../agent-worker/door-connection.ts';
import { hostReport } from '../../../agent-worker/host-report.ts';
import { createAgentJobActivities } from '../../../agent-worker/node-jobs.ts';
import { agentPayloadCodec } from '../../../agent-worker/payload-codec.ts';
import { ReplayStore } from '../../../agent-worker/replay-store.ts';
import { AGENT_ACTIVITY_POLLS } from '../../../agent-worker/run.ts';
import { signedFetch } from '../../../protocol/request-signing.ts';
import { PROGRESS_HEARTBEAT_THROTTLE } from '../../../protocol/step-progress.ts';
import { startDockerEngineStandIn } from '../../stand-ins/docker-engine.ts';

export interface EnrollItem {
  name: string;
  token: string;
  fingerprint: string;
}
export type FleetCommand = { type: 'enroll'; items: EnrollItem[] } | { type: 'stats' } | { type: 'stop' };
export type FleetReply =
  | { type: 'ready' }
  | { type: 'enrolled'; count: number; failures: string[] }
  | { type: 'stats'; latenciesMs: number[]; refused: number; failed: number; running: number }
  | { type: 'stopped' };

const SERVER = process.env.FLEET_SERVER!;
const DIR = process.env.FLEET_DIR!;
const INTERVAL_MS = Number(process.env.FLEET_HEARTBEAT_SECONDS ?? 15) * 1000;
/** Activity task polls each node's worker keeps open: the agent's own setting, unless FLEET_POLLS says otherwise. */
const POLLS = Number(process.env.FLEET_POLLS ?? AGENT_ACTIVITY_POLLS);
const ENROLL_CONCURRENCY = 6;

const send = (reply: FleetReply) => process.send!(reply);

interface RunningNode {
  worker: Worker;
  connection: NativeConnection;
  store: ReplayStore;
  done: Promise<void>;
  timer?: NodeJS.Timeout;
}
const running: RunningNode[] = [];
let stopping = false;
let latencies: number[] = [];
let refused = 0;
let failed = 0;

async function startNode(stateDir: string, docker: Dockerode): Promise<void> {
  const config = readAgentConfig(stateDir);
  const privateKey = readPrivateKey(stateDir);
  const store = ReplayStore.open(stateDir);
  const connection = await NativeConnection.connect(doorConnectionOptions(config, readTemporalCredential(stateDir)));
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    dataConverter: { payloadCodecs: [agentPayloadCodec(privateKey, config.controlPlanePublicKey)] },
    activities: createAgentJobActivities({ config, privateKey, store, docker, cacheDir: path.join(DIR, 'cache') }),
    ...PROGRESS_HEARTBEAT_THROTTLE,
    maxConcurrentActivityTaskPolls: POLLS,
    maxConcurrentActivityTaskExecutions: Math.max(POLLS, 2),
  });
  const node: RunningNode = { worker, connection, store, done: worker.run().catch(() => {}) };
  running.push(node);

  // The agent's report, once; the containers go along until a report carrying them is accepted.
  let report = await hostReport(docker, () => true);
  const beat = async () => {
    const started = performance.now();
    try {
      const res = await signedFetch({
        serverUrl: SERVER,
        nodeId: config.nodeId,
        privateKey,
        method: 'POST',
        path: '/api/v1/agent/heartbeat',
        body: report,
        signal: AbortSignal.timeout(10_000),
      });
      await res.text();
      if (res.ok) {
        latencies.push(performance.now() - started);
        const { containers: _c, discovered: _d, ...rest } = report;
        report = rest;
      } else refused += 1;
    } catch {
      failed += 1;
    }
  };
  const loop = () => {
    if (stopping) return;
    void beat().finally(() => {
      if (!stopping) node.timer = setTimeout(loop, INTERVAL_MS);
    });
  };
  loop();
}

async function enroll(items: EnrollItem[], docker: Dockerode): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  const quiet = console.log; // `enroll` says three lines per node, which nobody reads here
  console.log = () => {};
  const one = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const stateDir = path.join(DIR, 'agents', item.name);
      try {
        const code = await agentCli(['enroll', '--server', SERVER, '--token', item.token, '--control-plane-key', item.fingerprint, '--state-dir', stateDir]);
        if (code !== 0) throw new Error(`enroll exited with ${code}`);
        await startNode(stateDir, docker);
      } catch (err) {
        failures.push(`${item.name}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: ENROLL_CONCURRENCY }, one)).finally(() => (console.log = quiet));
  send({ type: 'enrolled', count: items.length - failures.length, failures: failures.slice(0, 5) });
}

async function stop(): Promise<void> {
  stopping = true;
  for (const n of running) clearTimeout(n.timer);
  for (const n of running) n.worker.shutdown();
  await Promise.all(running.map((n) => n.done));
  await Promise.all(running.map((n) => n.connection.close().catch(() => {})));
  for (const n of running) n.store.close();
  send({ type: 'stopped' });
}

async function main() {
  // The SDK's own lines at WARN only, less the one every activity-only worker says at start.
  const sdkLog = new DefaultLogger('WARN');
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      if (!entry.message.startsWith('No workflows registered')) sdkLog.log(entry.level, entry.message, entry.meta);
    }),
  });
  fs.mkdirSync(path.join(DIR, 'agents'), { recursive: true });
  const engine = await startDockerEngineStandIn(path.join(DIR, 'docker.sock'), [
    { id: 'a'.repeat(64), name: 'postgres', image: 'postgres:17', state: 'running', labels: { 'com.example.role': 'database' } },
    { id: 'b'.repeat(64), name: 'backup', image: 'restic/restic:0.17', state: 'exited', labels: {} },
  ]);
  const docker = new Dockerode({ socketPath: engine.socketPath });
  process.on('message', (cmd: FleetCommand) => {
    if (cmd.type === 'enroll') void enroll(cmd.items, docker);
    else if (cmd.type === 'stats') {
      send({ type: 'stats', latenciesMs: latencies, refused, failed, running: running.length });
      latencies = [];
      refused = 0;
      failed = 0;
    } else if (cmd.type === 'stop') void stop().then(() => engine.close().finally(() => process.exit(0)));
  });
  send({ type: 'ready' });
}

void main();
