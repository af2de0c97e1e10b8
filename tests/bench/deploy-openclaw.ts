// `npm run bench:deploy`: the product as `npm start` runs it (its local agent on a private Docker engine
// whose data lives in the cache), driven through its REST API as an operator would. Measures, over
// BENCH_RUNS deployments (default 3): preflight (request → waiting for approval), approval → healthy
// gateway, a gateway restart's downtime, the gateway's memory and the image's size; writes the figures
// to docs/benchmarks/deploy-openclaw.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OPENCLAW_BUNDLE } from '../../agent-worker/openclaw/bundle.ts';
import { LABELS } from '../../agent-worker/openclaw/containers.ts';
import { ensureBundleImage } from '../../agent-worker/openclaw/image.ts';
import { loadConfig, REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { progress } from '../../infra/progress.ts';
import { startStack } from '../../infra/stack.ts';
import { startTestEngine } from '../jest/docker.ts';
import { signedInApi } from './sign-in.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-1' };
const OUT = path.join(REPO_ROOT, 'docs/benchmarks/deploy-openclaw.md');

interface Job {
  id: string;
  state: string;
  instanceId: string | null;
  failureReason: string | null;
  approvalPhrase: string | null;
  result: Record<string, unknown> | null;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
};
const row = (what: string, xs: number[], unit: string) => {
  const { median, min, max } = stats(xs);
  return `| ${what} | ${median} ${unit} | ${min}–${max} ${unit} | ${xs.length} |`;
};

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-bench-'));
  fs.chmodSync(dataDir, 0o755);
  const engine = await startTestEngine('bench-deploy');
  const imageStarted = Date.now();
  const hadImage = await engine.docker
    .getImage(OPENCLAW_BUNDLE.image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  await ensureBundleImage(engine.docker, { cacheDir: loadConfig().cacheDir });
  const imageBuildSeconds = hadImage ? null : seconds(Date.now() - imageStarted);
  const port = await freePort();
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    EMBEDDED_POSTGRES_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    AGENT_DOOR_PORT: String(await freePort()),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  });
  delete process.env.DATABASE_URL;
  delete process.env.TEMPORAL_ADDRESS;
  process.env.DOCKER_HOST = `unix://${engine.socketPath}`;
  const stack = await startStack(config, { echoLogs: false });
  const base = stack.consoleUrl.replace(/\/$/, '');
  try {
    const api = await signedInApi(base, ADMIN);
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
    const local = stack.localNodeId;
    if (!local) throw new Error('npm start ran no local agent');

    const preflight: number[] = [];
    const toHealthy: number[] = [];
    const instanceIds: string[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const requestedAt = Date.now();
      const job = await api<Job>('POST', `/nodes/${local}/deployments`, { instanceName: `bench-${i}`, port: await freePort() });
      const waiting = await until(job.id, 'waiting_for_approval');
      preflight.push(seconds(Date.now() - requestedAt));
      const approvedAt = Date.now();
      await api('POST', `/jobs/${job.id}/approve`, { phrase: waiting.approvalPhrase });
      const done = await until(job.id, 'completed');
      toHealthy.push(seconds(Date.now() - approvedAt));
      instanceIds.push(done.instanceId!);
      progress.ok(`deployment ${i}/${RUNS}: preflight ${preflight.at(-1)} s, approval → healthy ${toHealthy.at(-1)} s`);
    }

    const downtime: number[] = [];
    for (const id of instanceIds) {
      const job = await api<Job>('POST', `/instances/${id}/restart`);
      const waiting = await until(job.id, 'waiting_for_approval');
      await api('POST', `/jobs/${job.id}/approve`, { phrase: waiting.approvalPhrase });
      downtime.push(Number((await until(job.id, 'completed')).result!.downtimeSeconds));
      progress.ok(`restart: ${downtime.at(-1)} s of downtime`);
    }

    const gateways = await engine.docker.listContainers({ filters: { label: [`${LABELS.role}=gateway`] } });
    const memory = await Promise.all(
      gateways.map(async (g) => {
        const s = await engine.docker.getContainer(g.Id).stats({ stream: false });
        return Math.round((s.memory_stats.usage - ((s.memory_stats.stats as Record<string, number>).inactive_file ?? 0)) / 1024 / 1024);
      }),
    );
    const imageMb = Math.round((await engine.docker.getImage(OPENCLAW_BUNDLE.image).inspect()).Size / 1024 / 1024);

    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const report = [
      '# Benchmark: deploying OpenClaw',
      '',
      `Written by \`npm run bench:deploy\` (tests/bench/deploy-openclaw.ts) on ${new Date().toISOString().slice(0, 10)} at commit ${commit}:`,
      `${os.cpus().length} cores, ${Math.round(os.totalmem() / 1024 ** 3)} GiB, OpenClaw ${OPENCLAW_BUNDLE.version}, image ${OPENCLAW_BUNDLE.image}.`,
      'The product ran as `npm start` runs it (embedded PostgreSQL, Temporal dev server, control-plane worker, console, local agent);',
      "the operator's steps went through the REST API. Times are wall-clock, as the operator sees them.",
      '',
      '| measure | median | range | runs |',
      '| --- | --- | --- | --- |',
      row('request → waiting for approval (preflight on the node)', preflight, 's'),
      row('approval → healthy gateway (`/healthz`, `/readyz`, `openclaw gateway health`)', toHealthy, 's'),
      row('gateway restart downtime', downtime, 's'),
      row('gateway memory after the restart (usage less inactive file cache)', memory, 'MiB'),
      `| bundle image size | ${imageMb} MiB | | 1 |`,
      `| bundle image build (first use on an engine) | ${imageBuildSeconds === null ? 'not measured: already built on this engine' : `${imageBuildSeconds} s`} | | 1 |`,
      '',
    ].join('\n');
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, report);
    console.log(`\n${report}`);
    progress.ok(`Wrote ${path.relative(REPO_ROOT, OUT)}`);
  } finally {
    await stack.stop();
    await engine.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:deploy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
