// `npm run bench -- deployment` (issue 18, suite 2; also `npm run bench:deploy`): deploying and restarting
// an OpenClaw gateway through the product, beside the same gateway run with the bare `docker` CLI, on
// one private Docker engine with the real bundle image, interleaved (the pair's order alternates).
//   product: the product as `npm start` runs it (local agent on that engine), driven through the REST
//            API as an operator would: the typed approval's POST → the job reports the gateway healthy
//            (/healthz, /readyz and `openclaw gateway health` agree); then a restart job, approved.
//   bare:    `docker network create` + `docker run` with the agent's own flags (bare.ts) → /healthz
//            answers (and /readyz); then `docker restart`.
// Both sides are watched by the same poll (poll.ts). Each product run's Temporal history gives the time
// per step (history.ts); the agent's wait reports its own timings. BENCH_RUNS pairs (default 5).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { OPENCLAW_BUNDLE } from '../../../agent-worker/openclaw/bundle.ts';
import { LABELS, type InstanceSpec } from '../../../agent-worker/openclaw/containers.ts';
import { ensureBundleImage } from '../../../agent-worker/openclaw/image.ts';
import { loadConfig } from '../../../infra/config.ts';
import { freePort } from '../../../infra/ports.ts';
import { progress } from '../../../infra/progress.ts';
import { startStack } from '../../../infra/stack.ts';
import { startTestEngine } from '../../jest/docker.ts';
import { benchProductConfig } from '../product.ts';
import { signedInApi } from '../sign-in.ts';
import { DockerCli } from './bare.ts';
import { jobBreakdown, type RunBreakdown } from './history.ts';
import { firstAnswer, watchOutage } from './poll.ts';
import { writeDeploymentReport, type Pair } from './report.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/**
 * Both sides restart a gateway that has been ready this long. Just after /readyz the gateway has not yet
 * begun its post-ready work, and a SIGTERM then stops it in under a second; once that work runs, its stop
 * drains it first (seconds). An operator restarts a gateway that has been up a while.
 */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_SECONDS ?? 15) * 1000;
const settled = (readyAt: number) => new Promise((r) => setTimeout(r, readyAt + SETTLE_MS - Date.now()));
const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-1' };

interface Job {
  id: string;
  state: string;
  workflowId: string;
  instanceId: string | null;
  failureReason: string | null;
  approvalPhrase: string | null;
  result: Record<string, unknown> | null;
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-bench-'));
  fs.chmodSync(dataDir, 0o755);
  const engine = await startTestEngine('bench-deploy');
  const cacheDir = loadConfig().cacheDir;
  // The first call builds the image when the engine lacks it; the second is what every deployment pays.
  await ensureBundleImage(engine.docker, { cacheDir });
  const imageCheckStarted = Date.now();
  await ensureBundleImage(engine.docker, { cacheDir });
  const imageCheckMs = Date.now() - imageCheckStarted;
  const config = await benchProductConfig(dataDir, ADMIN);
  process.env.DOCKER_HOST = `unix://${engine.socketPath}`;
  const stack = await startStack(config, { echoLogs: false });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const base = stack.consoleUrl.replace(/\/$/, '');
  const cli = new DockerCli(engine.socketPath);
  try {
    const api = await signedInApi(base, ADMIN);
    // The job's state as the operator's console reads it, every 100 ms (the poll's own interval).
    const until = async (id: string, state: string, withinMs = 300_000): Promise<Job> => {
      const deadline = Date.now() + withinMs;
      for (;;) {
        const job = await api<Job>('GET', `/jobs/${id}`);
        if (job.state === state) return job;
        if (['failed', 'expired', 'cancelled'].includes(job.state)) throw new Error(`job ${id} ended ${job.state}: ${job.failureReason}`);
        if (Date.now() > deadline) throw new Error(`job ${id} was not ${state} within ${withinMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    /** Asks for `request`, waits for its approval phrase, approves; resolves once the job is completed. */
    const approved = async (request: () => Promise<Job>, atApproval: () => void = () => {}) => {
      const job = await request();
      const waiting = await until(job.id, 'waiting_for_approval');
      const approvedAt = Date.now();
      atApproval();
      await api('POST', `/jobs/${job.id}/approve`, { phrase: waiting.approvalPhrase });
      const done = await until(job.id, 'completed');
      return { job: done, approvedAt, completedAt: Date.now() };
    };
    const local = stack.localNodeId;
    if (!local) throw new Error('npm start ran no local agent');
    const removeInstance = async (instanceId: string) => {
      for (const c of await engine.docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${instanceId}`] } })) {
        await engine.docker.getContainer(c.Id).remove({ force: true });
      }
      for (const v of (await engine.docker.listVolumes({ filters: { label: [`${LABELS.instance}=${instanceId}`] } })).Volumes ?? []) await engine.docker.getVolume(v.Name).remove();
      await engine.docker.pruneNetworks();
    };

    async function product(i: number): Promise<Pair['product']> {
      const port = await freePort();
      let healthz: Promise<number> | undefined;
      let readyz: Promise<number> | undefined;
      const deployed = await approved(
        () => api<Job>('POST', `/nodes/${local}/deployments`, { instanceName: `bench-product-${i}`, port }),
        () => {
          healthz = firstAnswer(port, '/healthz');
          readyz = firstAnswer(port, '/readyz');
        },
      );
      const instanceId = deployed.job.instanceId!;
      const instance = await api<{ lastHealth: { timings?: Record<string, number> } | null }>('GET', `/instances/${instanceId}`);
      const deployHistory = await jobBreakdown(temporal, deployed.job.workflowId);
      const restartJob = await api<Job>('POST', `/instances/${instanceId}/restart`);
      const waiting = await until(restartJob.id, 'waiting_for_approval');
      await settled(await readyz!);
      const watch = watchOutage(port);
      const restartAt = Date.now();
      await api('POST', `/jobs/${restartJob.id}/approve`, { phrase: waiting.approvalPhrase });
      const restarted = await until(restartJob.id, 'completed');
      const restartEndedAt = Date.now();
      await watch.upAgain();
      const outage = await watch.stop();
      const restartHistory: RunBreakdown = await jobBreakdown(temporal, restarted.workflowId);
      const gateway = (await engine.docker.listContainers({ filters: { label: [`${LABELS.instance}=${instanceId}`, `${LABELS.role}=gateway`] } }))[0];
      const stats = gateway && (await engine.docker.getContainer(gateway.Id).stats({ stream: false }));
      const memoryMiB = stats ? Math.round((stats.memory_stats.usage - ((stats.memory_stats.stats as Record<string, number>).inactive_file ?? 0)) / 1024 ** 2) : undefined;
      await removeInstance(instanceId);
      return {
        healthyMs: deployed.completedAt - deployed.approvedAt,
        healthzMs: (await healthz!) - deployed.approvedAt,
        readyzMs: (await readyz!) - deployed.approvedAt,
        agentTimings: instance.lastHealth?.timings ?? {},
        deployHistory,
        restart: {
          notAnsweringMs: outage.downAt && outage.upAt ? outage.upAt - outage.downAt : undefined,
          answeringMs: outage.upAt! - restartAt,
          jobEndedMs: restartEndedAt - restartAt,
          reportedDowntimeS: Number(restarted.result?.downtimeSeconds),
          history: restartHistory,
          agentTimings: (restarted.result?.after as { timings?: Record<string, number> } | undefined)?.timings ?? {},
        },
        memoryMiB,
      };
    }

    async function bare(i: number): Promise<Pair['bare']> {
      const spec: InstanceSpec = { instanceId: crypto.randomUUID(), instanceName: `bench-bare-${i}`, jobId: crypto.randomUUID(), port: await freePort() };
      const started = Date.now();
      const id = await cli.networkAndRun(spec);
      const healthz = await firstAnswer(spec.port, '/healthz');
      const readyz = await firstAnswer(spec.port, '/readyz');
      await settled(readyz);
      const watch = watchOutage(spec.port);
      const restartAt = Date.now();
      await cli.run(['restart', id]);
      await watch.upAgain();
      const outage = await watch.stop();
      await cli.remove(spec, id);
      return {
        healthzMs: healthz - started,
        readyzMs: readyz - started,
        restart: { notAnsweringMs: outage.downAt && outage.upAt ? outage.upAt - outage.downAt : undefined, answeringMs: outage.upAt! - restartAt },
      };
    }

    const pairs: Pair[] = [];
    for (let i = 1; i <= RUNS; i++) {
      // Alternating which side goes first, so neither always meets the machine warmer.
      const productFirst = i % 2 === 1;
      const first = productFirst ? await product(i) : await bare(i);
      const second = productFirst ? await bare(i) : await product(i);
      const pair = (productFirst ? { product: first, bare: second } : { product: second, bare: first }) as Pair;
      pairs.push(pair);
      progress.ok(
        `pair ${i}/${RUNS}: approval → healthy ${(pair.product.healthyMs / 1000).toFixed(1)} s, bare run → /healthz ${(pair.bare.healthzMs / 1000).toFixed(1)} s; ` +
          `restart answering again ${(pair.product.restart.answeringMs / 1000).toFixed(1)} s (job ends ${(pair.product.restart.jobEndedMs / 1000).toFixed(1)} s), bare ${(pair.bare.restart.answeringMs / 1000).toFixed(1)} s`,
      );
    }
    const imageMiB = Math.round((await engine.docker.getImage(OPENCLAW_BUNDLE.image).inspect()).Size / 1024 ** 2);
    const file = writeDeploymentReport({ pairs, imageCheckMs, imageMiB, runs: RUNS, settleSeconds: SETTLE_MS / 1000 });
    progress.ok(`Wrote ${file}`);
  } finally {
    await connection.close();
    await stack.stop();
    await engine.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench deployment failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
