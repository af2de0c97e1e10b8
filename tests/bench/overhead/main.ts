// `npm run bench -- overhead` (issue 18, suite 1): orchestration overhead. The time from a typed approval
// (the console's POST) to the start of the node's first activity after it, beside the limit: a minimal
// workflow on the same Temporal dev server that waits for an Update and then schedules one activity on
// another worker's queue (raw-workflow.ts), driven from this process's own client.
//
// One stack as `npm start` runs it (embedded PostgreSQL, Temporal dev server, control-plane worker, web
// console, agent door; no local agent), and one node: a row, enrolled by the real `agent-worker enroll`
// through the console, whose worker here polls the node's queue through the agent door with the node's
// credential and payload key, and verifies each envelope (signature, node, key, window, replay store) as
// the agent does. Its work is canned (a restart's health, at once): what is measured ends when it starts.
// The job is a gateway restart on a managed instance (the cheapest approval-gated node job: its preflight
// is one health read), requested through the API and approved through POST /api/v1/jobs/:id/approve
// with the signed-in admin's session cookie, which is the console's approve action's code path
// (web/app/routes/jobs/detail.tsx and the API both call approveJob). Both clocks are this process's
// performance.now(): from just before the POST (or the Update) is sent to the first line of the
// activity. Samples alternate a/b, b/a. BENCH_OVERHEAD_N (default 200) samples each.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { agentEnvironment } from '../../../agent-worker/child-env.ts';
import { AGENT_ACTIVITY_POLLS } from '../../../agent-worker/run.ts';
import { readAgentConfig, readPrivateKey, readTemporalCredential } from '../../../agent-worker/config.ts';
import { doorConnectionOptions } from '../../../agent-worker/door-connection.ts';
import { agentPayloadCodec } from '../../../agent-worker/payload-codec.ts';
import { ReplayStore } from '../../../agent-worker/replay-store.ts';
import { createDb } from '../../../db/client.ts';
import { instances, nodes, users } from '../../../db/schema.ts';
import { loadConfig, REPO_ROOT } from '../../../infra/config.ts';
import { freePort } from '../../../infra/ports.ts';
import { progress } from '../../../infra/progress.ts';
import { startStack } from '../../../infra/stack.ts';
import { PROGRESS_HEARTBEAT_THROTTLE } from '../../../protocol/step-progress.ts';
import { keyFingerprint, publicKeyOf, signResult, verifyJob, type JobEnvelope, type JobResult } from '../../../protocol/envelope.ts';
import { ms, percentile, reportHeader, table, writeReport } from '../report.ts';
import { signedInApi } from '../sign-in.ts';
import { goUpdate, rawUpdateThenActivity } from './raw-workflow.ts';
import { SEGMENTS, segmentsOf, tailProfile, type Segments } from './segments.ts';

const N = Number(process.env.BENCH_OVERHEAD_N ?? 200);
const TARGET = 1.3;
const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-1' };
const RAW_WORKFLOW_QUEUE = 'bench-raw-workflow';
const RAW_ACTIVITY_QUEUE = 'bench-raw-activity';
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A gateway's health as a restart reports it: the canned work of the benchmark's node. */
const HEALTH = {
  gateway: { id: 'a'.repeat(64), state: 'running', health: 'healthy' },
  cli: { id: null, state: 'missing', health: null },
  healthz: { ok: true, body: { ok: true } },
  readyz: { ok: true, body: { ready: true } },
  cliCheck: null,
  healthy: true,
};

/** Who waits for which activity's start: by job id (the product's envelope) or sample name (raw). */
const waiters = new Map<string, (at: number) => void>();
const startOf = (key: string) => new Promise<number>((resolve) => waiters.set(key, resolve));
const started = (key: string, at: number) => {
  waiters.get(key)?.(at);
  waiters.delete(key);
};

/** Runs `script` under Node until `ready` shows in its output. */
function launch(script: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve(child);
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${output.slice(-2000)}`)));
  });
}

/** The node's worker, through the agent door as the agent's (agent-worker/run.ts), with canned work. */
async function nodeWorker(stateDir: string) {
  const config = readAgentConfig(stateDir);
  const privateKey = readPrivateKey(stateDir);
  const store = ReplayStore.open(stateDir);
  const agentKey = keyFingerprint(publicKeyOf(privateKey));
  const connection = await NativeConnection.connect(doorConnectionOptions(config, readTemporalCredential(stateDir)));
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    dataConverter: { payloadCodecs: [agentPayloadCodec(privateKey, config.controlPlanePublicKey)] },
    // The agent's own worker settings (agent-worker/run.ts), so that its polls are the real agent's.
    ...PROGRESS_HEARTBEAT_THROTTLE,
    maxConcurrentActivityTaskPolls: AGENT_ACTIVITY_POLLS,
    activities: {
      async runNodeJob(envelope: JobEnvelope): Promise<JobResult> {
        const at = performance.now();
        const verdict = verifyJob(envelope, {
          nodeId: config.nodeId,
          agentKey,
          controlPlanePublicKey: config.controlPlanePublicKey,
          alreadyExecuted: (id) => store.hasExecuted(id),
        });
        if (!verdict.ok || !store.markExecuted(envelope.envelopeId, envelope.notAfter))
          throw ApplicationFailure.nonRetryable(verdict.ok ? 'replayed' : verdict.reason, 'JobRefused');
        if (envelope.action === 'openclaw.restart') started(envelope.jobId, at);
        const output = envelope.action === 'openclaw.restart' ? { ...HEALTH, seconds: 0, downtimeSeconds: 0 } : HEALTH;
        return signResult(privateKey, { envelopeId: envelope.envelopeId, nodeId: config.nodeId, ok: true, output });
      },
    },
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
      store.close();
    },
  };
}

interface Stats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}
const statsOf = (xs: number[]): Stats => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99), max: Math.max(...xs) });

async function main() {
  // The SDK's workers say each state change at INFO: not news here.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-bench-overhead-'));
  fs.chmodSync(dataDir, 0o755);
  // Its own data folder and free ports: nothing of a running `npm start` is shared.
  const ports = await Promise.all(['PORT', 'EMBEDDED_POSTGRES_PORT', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'AGENT_DOOR_PORT'].map(async (name) => [name, String(await freePort())]));
  const config = loadConfig({ ...process.env, ...Object.fromEntries(ports), DATA_DIR: dataDir, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOCAL_AGENT: 'off' });
  delete process.env.DATABASE_URL;
  delete process.env.TEMPORAL_ADDRESS;
  const stack = await startStack(config, { echoLogs: false });
  const base = stack.consoleUrl.replace(/\/$/, '');
  const db = createDb(stack.databaseUrl, { max: 2 });
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const api = await signedInApi(base, ADMIN);

    // The node: a row, enrolled by the real CLI through the console; a managed instance on it.
    const [admin] = await db.select().from(users).where(eq(users.email, ADMIN.email));
    const organizationId = admin!.organizationId!;
    const [node] = await db.insert(nodes).values({ organizationId, name: 'bench-node' }).returning();
    const { token, controlPlaneKeyFingerprint } = await api<{ token: string; controlPlaneKeyFingerprint: string }>('POST', `/nodes/${node!.id}/enrollment-tokens`, {});
    const stateDir = path.join(dataDir, 'bench-agent');
    const enroll = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        path.join(REPO_ROOT, 'agent-worker/cli.ts'),
        'enroll',
        '--server',
        base,
        '--token',
        token,
        '--control-plane-key',
        controlPlaneKeyFingerprint,
        '--state-dir',
        stateDir,
      ],
      { env: agentEnvironment(), stdio: 'inherit' },
    );
    const enrolled = await new Promise<number | null>((resolve) => enroll.once('exit', resolve));
    if (enrolled !== 0) throw new Error(`agent-worker enroll failed (${enrolled})`);
    const [instance] = await db
      .insert(instances)
      .values({ organizationId, nodeId: node!.id, name: 'bench-gw', state: 'managed', containerIds: ['a'.repeat(64)], port: 18789, managedSince: new Date() })
      .returning();
    const agent = await nodeWorker(stateDir);
    stops.push(() => agent.stop());

    // The limit's parts: its workflow worker in a process of its own, its activity worker here.
    const rawWorker = await launch(
      path.join(HERE, 'raw-worker.ts'),
      { ...process.env, TEMPORAL_ADDRESS: stack.temporalAddress, BENCH_RAW_QUEUE: RAW_WORKFLOW_QUEUE },
      /raw worker running/,
    );
    stops.push(async () => {
      rawWorker.kill('SIGTERM');
      await new Promise((r) => rawWorker.once('exit', r));
    });
    const rawConnection = await NativeConnection.connect({ address: stack.temporalAddress });
    const rawActivities = await Worker.create({
      connection: rawConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: RAW_ACTIVITY_QUEUE,
      // The node worker's poll settings (the agent's): the limit's worker polls as the product's does
      // (BENCH_RAW_POLLS: another count, to see what it changes).
      maxConcurrentActivityTaskPolls: Number(process.env.BENCH_RAW_POLLS ?? AGENT_ACTIVITY_POLLS),
      activities: {
        async stamp(sample: string) {
          started(sample, performance.now());
        },
      },
    });
    const rawRunning = rawActivities.run();
    stops.push(async () => {
      rawActivities.shutdown();
      await rawRunning;
      await rawConnection.close();
    });
    const connection = await Connection.connect({ address: stack.temporalAddress });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

    const until = async (id: string, states: string[]) => {
      for (;;) {
        const job = await api<{ state: string; approvalPhrase: string | null; failureReason: string | null }>('GET', `/jobs/${id}`);
        if (states.includes(job.state)) return job;
        if (['failed', 'expired', 'cancelled', 'rejected'].includes(job.state)) throw new Error(`job ${id} ended ${job.state}: ${job.failureReason}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    const firstEvent = async (workflowId: string, which: (e: temporal.api.history.v1.IHistoryEvent) => boolean) => {
      for (;;) {
        const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace: config.TEMPORAL_NAMESPACE, execution: { workflowId } });
        if (history?.events?.some(which)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    /** The product's last sample: its run, and when its POST was sent (wall clock, as the history's times are). */
    let lastHistory: { workflowId: string; wall0: number; sample: number } | undefined;
    /** What the history of the run says happened after the POST, each event at its offset from it. */
    const historySince = async ({ workflowId, wall0 }: { workflowId: string; wall0: number }) => {
      const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace: config.TEMPORAL_NAMESPACE, execution: { workflowId } });
      const rows: string[][] = [];
      for (const e of history?.events ?? []) {
        const at = Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6) - wall0;
        if (at < -50) continue;
        const kind = (Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? '?').replace('EventAttributes', '');
        const what = e.activityTaskScheduledEventAttributes?.activityType?.name ?? e.markerRecordedEventAttributes?.markerName ?? '';
        rows.push([String(Math.round(at)), `${kind}${what ? ` (${what})` : ''}`]);
        if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'runNodeJob') break;
      }
      return rows;
    };

    const eventsOf = async (workflowId: string) =>
      (await client.workflowService.getWorkflowExecutionHistory({ namespace: config.TEMPORAL_NAMESPACE, execution: { workflowId } })).history?.events ?? [];
    /** Each sample's segments (segments.ts), by side. */
    const segments: { a: Segments[]; b: Segments[] } = { a: [], b: [] };
    const keep = (side: Segments[], s: Segments | undefined) => s && side.push(s);

    /** (a) The product: a restart waiting for its approval, approved; POST → the restart's start on the node. */
    const product = async (): Promise<{ ms: number; postMs: number }> => {
      const job = await api<{ id: string; workflowId: string }>('POST', `/instances/${instance!.id}/restart`);
      const waiting = await until(job.id, ['waiting_for_approval']);
      // Waiting as a person finds it: the run has taken in its record of the wait and started the expiry's timer.
      await firstEvent(job.workflowId, (e) => Boolean(e.timerStartedEventAttributes));
      const start = startOf(job.id);
      const t0 = performance.now();
      const wall0 = Date.now();
      await api('POST', `/jobs/${job.id}/approve`, { phrase: waiting.approvalPhrase });
      const postMs = performance.now() - t0;
      const sample = (await start) - t0;
      await until(job.id, ['completed']);
      lastHistory = { workflowId: job.workflowId, wall0, sample };
      keep(segments.a, segmentsOf(await eventsOf(job.workflowId), 'runNodeJob', wall0, wall0 + sample));
      return { ms: sample, postMs };
    };
    /** (b) The limit: the raw workflow waiting for its Update; Update → its activity's start. */
    let raws = 0;
    const raw = async (): Promise<number> => {
      const sample = `raw-${process.pid}-${++raws}`;
      const handle = await client.workflow.start(rawUpdateThenActivity, {
        taskQueue: RAW_WORKFLOW_QUEUE,
        workflowId: sample,
        args: [{ activityQueue: RAW_ACTIVITY_QUEUE, sample }],
      });
      // Waiting as the product's job is: its first workflow task done, the handler set.
      await firstEvent(sample, (e) => Boolean(e.workflowTaskCompletedEventAttributes));
      const start = startOf(sample);
      const t0 = performance.now();
      const wall0 = Date.now();
      await handle.executeUpdate(goUpdate);
      const at = (await start) - t0;
      await handle.result();
      keep(segments.b, segmentsOf(await eventsOf(sample), 'stamp', wall0, wall0 + at));
      return at;
    };

    // Warm-up (JIT, connections, the workflow caches): not counted.
    for (let i = 0; i < 3; i++) {
      await product();
      await raw();
    }
    segments.a.length = 0;
    segments.b.length = 0;
    const a: number[] = [];
    const posts: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < N; i++) {
      const takeA = async () => {
        const s = await product();
        a.push(s.ms);
        posts.push(s.postMs);
      };
      const takeB = async () => b.push(await raw());
      if (i % 2 === 0) {
        await takeA();
        await takeB();
      } else {
        await takeB();
        await takeA();
      }
      if ((i + 1) % 50 === 0) progress.ok(`${i + 1}/${N}: product p50 ${ms(percentile(a, 50))} ms, raw p50 ${ms(percentile(b, 50))} ms`);
    }

    const steps = lastHistory ? await historySince(lastHistory) : [];
    const A = statsOf(a);
    const B = statsOf(b);
    const P = statsOf(posts);
    const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
    const met = A.p99 <= TARGET * B.p99;
    const lines = [
      ...reportHeader('orchestration overhead (approval → the node’s first activity)', 'npm run bench -- overhead', 'tests/bench/overhead/main.ts'),
      '',
      'One stack as `npm start` runs it (embedded PostgreSQL, one Temporal dev server, the control-plane worker, the web console, the',
      'agent door; no local agent). **a, the product**: a gateway restart waiting for its typed approval, approved with',
      '`POST /api/v1/jobs/:id/approve` and the signed-in admin’s session cookie (the console’s approve action calls the same',
      '`approveJob`), until the restart’s `runNodeJob` starts on the node’s worker: a worker of this process polling `node.<id>` through',
      'the agent door with the credential, key and payload codec the real `agent-worker enroll` gave it, verifying each envelope as',
      'the agent does (its work is canned: it answers at once). **b, the limit**: a workflow that waits for an Update and then',
      'schedules one activity on another worker’s queue (tests/bench/overhead/raw-workflow.ts; its workflow worker in a process of its',
      'own, as the control-plane worker is), the Update sent by this process’s own client, until that activity starts. Both times are',
      `this process’s monotonic clock, from just before the request is sent to the activity’s first line. ${N} samples each,`,
      'interleaved (a then b, b then a), after 3 of each not counted.',
      '',
      '## Target',
      '',
      ...table(
        ['target', 'measured', 'verdict'],
        [
          [
            `p99 within ${TARGET}× raw Temporal`,
            `${ms(A.p99)} ms against ${ms(B.p99)} ms: ${ratio(A.p99, B.p99)}`,
            met ? 'met' : `missed by ${ms(A.p99 - TARGET * B.p99)} ms (${ratio(A.p99, TARGET * B.p99)} of the limit)`,
          ],
        ],
      ),
      '',
      `## Approval → the node’s first activity (${N} samples each, milliseconds)`,
      '',
      ...table(
        ['', 'p50', 'p95', 'p99', 'max'],
        [
          ['a. product: approve POST → restart starts on the node', ms(A.p50), ms(A.p95), ms(A.p99), ms(A.max)],
          ['b. raw Temporal: Update → activity starts on another worker', ms(B.p50), ms(B.p95), ms(B.p99), ms(B.max)],
          ['a ÷ b', ratio(A.p50, B.p50), ratio(A.p95, B.p95), ratio(A.p99, B.p99), ''],
          ['(the approve POST’s own answer, for reference)', ms(P.p50), ms(P.p95), ms(P.p99), ms(P.max)],
        ],
      ),
      '',
      '## Where the time goes: every sample, segment by segment',
      '',
      'From each sample’s history (the server’s event times) and this process’s clock (when the request was sent, when the',
      'activity’s first line ran), in milliseconds. “Delivery” is the server’s match of the activity to a poll until its first',
      'line: for the product the agent door’s answer to the node worker’s poll and the worker’s decoding; for raw, the worker’s.',
      `Samples with a complete history: product ${segments.a.length}, raw ${segments.b.length}.`,
      '',
      ...table(
        ['segment', 'product p50', 'product p95', 'product mean', 'raw p50', 'raw p95', 'raw mean'],
        SEGMENTS.map((name) => {
          const xa = segments.a.map((s) => s[name]);
          const xb = segments.b.map((s) => s[name]);
          const mean = (xs: number[]) => (xs.length ? ms(xs.reduce((x, y) => x + y, 0) / xs.length) : '–');
          const p = (xs: number[], q: number) => (xs.length ? ms(percentile(xs, q)) : '–');
          return [name, p(xa, 50), p(xa, 95), mean(xa), p(xb, 50), p(xb, 95), mean(xb)];
        }),
      ),
      '',
      '## The tail: where the slowest samples’ time went',
      '',
      'Each segment’s mean over the slowest 5 % of the samples (by their whole time, as p99 counts them) beside its mean over the',
      'other 95 %: the segment that grows most is where a missed p99 comes from.',
      '',
      ...table(
        ['segment', 'product: slowest 5 %', 'product: the rest', 'raw: slowest 5 %', 'raw: the rest'],
        tailProfile(segments.a).map((t, i) => {
          const r = tailProfile(segments.b)[i]!;
          return [t.segment, ms(t.slowest), ms(t.rest), ms(r.slowest), ms(r.rest)];
        }),
      ),
      '',
      `## Where the time goes: the last sample’s run (${ms(lastHistory?.sample ?? 0)} ms to the node’s activity)`,
      '',
      'Its history from the POST on (event times are the Temporal server’s, in milliseconds after the POST was sent, by the wall',
      'clock of the same machine), up to the node step’s scheduling; the node’s worker picked it up at the time above.',
      '',
      ...table(['ms after the POST', 'event'], steps),
      '',
    ];
    const out = writeReport('overhead.md', lines);
    console.log(`\n${lines.join('\n')}`);
    progress.ok(`Wrote ${out}`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await db.$client.end({ timeout: 5 });
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    progress.fail(`bench overhead failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
