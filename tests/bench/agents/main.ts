// `npm run bench -- agents` (issue 18, suite 3): a thousand agents. The product as `npm start` runs it
// (embedded PostgreSQL, the Temporal dev server, web, control-plane worker, agent door; no local agent),
// and simulated agents in a load process (fleet.ts): real keys, enrolled through the API with the agent's
// own `enroll`, a signed heartbeat every NODE_HEARTBEAT_SECONDS, a Temporal worker per node on its own
// queue through the agent door. The fleet grows in steps (BENCH_AGENTS_STEPS, default 100,300,1000); at
// each step, once every node is online:
//   steady      BENCH_AGENTS_WINDOW seconds (default: 2.5 intervals, long enough for a missed beat to turn
//               a node stale): heartbeats handled per second, their latency at the agent, the control
//               plane's CPU and memory (from /proc), and every status change the heartbeats and the node status sweep made
//   fan-out     an inventory refresh POSTed for every node at once: time from each POST to its job's
//               completion (the node's signed result verified and stored), and until the last one
// The limit beside it, in the same run: the heartbeat rate the configuration asks for (N / interval).
// Writes docs/benchmarks/agents.md and two SVG charts. BENCH_HEARTBEAT_SECONDS overrides the interval.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { progress } from '../../../infra/progress.ts';
import { startStack } from '../../../infra/stack.ts';
import { benchProductConfig } from '../product.ts';
import { signedInApi } from '../sign-in.ts';
import type { EnrollItem, FleetCommand, FleetReply } from './fleet.ts';
import { historyBreakdown, type Breakdown } from './history.ts';
import { between, usage } from './proc.ts';
import { writeAgentsReport, type StepResult } from './report.ts';

const STEPS = (process.env.BENCH_AGENTS_STEPS ?? '100,300,1000').split(',').map(Number);
const HEARTBEAT_SECONDS = Number(process.env.BENCH_HEARTBEAT_SECONDS ?? 15);
const WINDOW_SECONDS = Number(process.env.BENCH_AGENTS_WINDOW ?? HEARTBEAT_SECONDS * 2.5);
const FANOUT_TIMEOUT_MS = Number(process.env.BENCH_FANOUT_TIMEOUT ?? 60) * 1000;
const ONLINE_WAIT_MS = 60_000;
const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-1' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The load process, and a way to ask it something and wait for its answer of one type. */
function startFleet(dir: string, server: string) {
  const child = fork(path.join(import.meta.dirname, 'fleet.ts'), [], {
    execArgv: ['--disable-warning=ExperimentalWarning'],
    env: { ...process.env, FLEET_SERVER: server, FLEET_DIR: dir, FLEET_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T extends FleetReply['type']>(type: T) =>
    new Promise<Extract<FleetReply, { type: T }>>((resolve, reject) => {
      const onMessage = (m: FleetReply) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as Extract<FleetReply, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`the load process exited (${code}) before answering ${type}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ask = <T extends FleetReply['type']>(cmd: FleetCommand, type: T) => {
    const answer = next(type);
    child.send(cmd);
    return answer;
  };
  return { child, next, ask };
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Persistence operations the Temporal dev server has logged as timed out so far (its store falling behind). */
const temporalTimeouts = (logsDir: string) => {
  try {
    return (fs.readFileSync(path.join(logsDir, 'temporal.log'), 'utf8').match(/context deadline exceeded/g) ?? []).length;
  } catch {
    return 0;
  }
};

/** The web process's count of heartbeats that came after their node had turned stale (GET /metrics, from this machine). */
async function lateHeartbeats(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^anthropy_node_heartbeats_late_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

const cleanup: (() => Promise<unknown>)[] = [];
const stopAll = async () => {
  for (const step of cleanup.splice(0)) await step().catch(() => {});
};
process.once('SIGTERM', () => {
  console.error('bench agents: stopped (SIGTERM), cleaning up');
  void stopAll().then(() => process.exit(1));
});

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-bench-agents-'));
  fs.chmodSync(dataDir, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
  cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const started = Date.now();
  process.env.NODE_HEARTBEAT_SECONDS = String(HEARTBEAT_SECONDS); // web and worker read it from the environment
  process.env.LOCAL_AGENT = 'off';
  const config = await benchProductConfig(dataDir, ADMIN);
  try {
    const stack = await startStack(config, { echoLogs: false });
    cleanup.unshift(() => stack.stop());
    const base = stack.consoleUrl.replace(/\/$/, '');
    const sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
    cleanup.unshift(() => sql.end({ timeout: 5 }));
    const api = await signedInApi(base, ADMIN);
    const [msp] = await sql<{ id: string }[]>`select id from organizations where kind = 'msp' limit 1`;

    const fleet = startFleet(path.join(dataDir, 'fleet'), base);
    cleanup.unshift(async () => {
      if (fleet.child.exitCode !== null) return;
      await Promise.race([fleet.ask({ type: 'stop' }, 'stopped'), sleep(30_000)]);
      fleet.child.kill('SIGKILL');
    });
    await fleet.next('ready');

    const nodeIds: string[] = [];
    const results: StepResult[] = [];
    for (const target of STEPS) {
      // Enrollment: the node's record and a one-time token through the API (as the console's "Create
      // enrollment command"), then the agent's own `enroll` in the load process, which starts the agent.
      const enrollStarted = Date.now();
      const timeoutsBefore = temporalTimeouts(path.join(dataDir, 'logs'));
      const names = Array.from({ length: target - nodeIds.length }, (_, i) => `bench-${String(nodeIds.length + i + 1).padStart(5, '0')}`);
      const items = await mapLimited(names, 6, async (name): Promise<EnrollItem> => {
        const node = await api<{ id: string }>('POST', '/nodes', { organizationId: msp!.id, name });
        nodeIds.push(node.id);
        const { token, controlPlaneKeyFingerprint } = await api<{ token: string; controlPlaneKeyFingerprint: string }>('POST', `/nodes/${node.id}/enrollment-tokens`);
        return { name, token, fingerprint: controlPlaneKeyFingerprint };
      });
      const enrolled = await fleet.ask({ type: 'enroll', items }, 'enrolled');
      if (enrolled.failures.length) throw new Error(`enrollment failed: ${enrolled.failures.join('; ')}`);
      // Every node online, or as many as came online within ONLINE_WAIT_MS of the last enrollment (the
      // report says how many: a control plane that cannot keep up is a finding, not a reason to stop).
      const enrolledAt = Date.now();
      let online = 0;
      for (;;) {
        [{ online }] = (await sql`select count(*)::int as online from nodes where status = 'online'`) as unknown as [{ online: number }];
        if (online >= target || Date.now() - enrolledAt > ONLINE_WAIT_MS) break;
        await sleep(500);
      }
      const enrollSeconds = (Date.now() - enrollStarted) / 1000;
      progress.ok(`${target} agents enrolled, ${online} online (${names.length} new in ${enrollSeconds.toFixed(1)} s)`);

      // Steady heartbeats.
      const [{ mark }] = (await sql`select coalesce(max(id), 0)::bigint as mark from audit_events`) as unknown as [{ mark: string }];
      await fleet.ask({ type: 'stats' }, 'stats'); // drops what enrollment's beats measured
      const lateBefore = await lateHeartbeats(base);
      const before = usage();
      const windowStarted = performance.now();
      await sleep(WINDOW_SECONDS * 1000);
      const beats = await fleet.ask({ type: 'stats' }, 'stats');
      const windowSeconds = (performance.now() - windowStarted) / 1000;
      const steady = between(before, usage(), windowSeconds);
      const statuses = await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from nodes group by 1`;
      const late = (await lateHeartbeats(base)) - lateBefore;
      progress.ok(`${target} agents: ${(beats.latenciesMs.length / windowSeconds).toFixed(1)} heartbeats/s over ${windowSeconds.toFixed(0)} s`);

      // Fan-out: an inventory refresh for every node at once.
      const fanStarted = Date.now();
      const before2 = usage();
      const sentAt = new Map<string, number>();
      const refusedPosts: string[] = [];
      const jobIds = (
        await Promise.all(
          nodeIds.map(async (id) => {
            const at = Date.now();
            try {
              const { jobId } = await api<{ jobId: string }>('POST', `/nodes/${id}/inventory-refresh`);
              sentAt.set(jobId, at);
              return jobId;
            } catch (err) {
              refusedPosts.push((err as Error).message.slice(0, 200)); // counted as not verified: the report says why
              return undefined;
            }
          }),
        )
      ).filter((id): id is string => id !== undefined);
      const acceptedMs = Date.now() - fanStarted;
      let done: { id: string; workflow_id: string; state: string; completed_at: Date | null; failure_reason: string | null }[] = [];
      for (;;) {
        done =
          await sql`select id, workflow_id, state, completed_at, failure_reason from jobs where id = any(${jobIds}::uuid[]) and state in ('completed', 'failed', 'expired', 'cancelled')`;
        if (done.length === jobIds.length || Date.now() - fanStarted > FANOUT_TIMEOUT_MS) break;
        await sleep(100);
      }
      const fanSeconds = (Date.now() - fanStarted) / 1000;
      const fanUsage = between(before2, usage(), fanSeconds);
      const completed = done.filter((j) => j.state === 'completed' && j.completed_at);
      const perNodeMs = completed.map((j) => j.completed_at!.getTime() - sentAt.get(j.id)!);
      const lastMs = completed.length ? Math.max(...completed.map((j) => j.completed_at!.getTime())) - fanStarted : NaN;
      const failures = [...refusedPosts.map((m) => `POST refused: ${m}`), ...done.filter((j) => j.state !== 'completed').map((j) => `${j.state}: ${j.failure_reason}`)];
      // Every status change made (heartbeats to online, the sweep to stale or offline) since the window began: heartbeats flowed all along, the fan-out's too.
      const statusChanges = await sql<{ to: string; outcome: string; n: number }[]>`
        select details->>'to' as to, outcome, count(*)::int as n from audit_events
        where action = 'node.status' and id > ${mark} group by 1, 2`;
      // Where the time went: the histories of up to 12 of the jobs, from the quickest to the slowest.
      const byLatency = [...completed].sort((a, b) => a.completed_at!.getTime() - sentAt.get(a.id)! - (b.completed_at!.getTime() - sentAt.get(b.id)!));
      const sample = byLatency.filter((_, i) => byLatency.length <= 12 || i % Math.ceil(byLatency.length / 12) === 0 || i === byLatency.length - 1);
      // A history that cannot be read (Temporal overwhelmed) leaves the sample smaller, not the run without a report.
      const breakdowns = (await Promise.all(sample.map((j) => historyBreakdown(stack.temporalAddress, config.TEMPORAL_NAMESPACE, j.workflow_id).catch(() => undefined)))).filter(
        (b): b is Breakdown => b !== undefined,
      );
      progress.ok(`${target} agents: fan-out of ${jobIds.length} refreshes, ${completed.length} verified, the last ${(lastMs / 1000).toFixed(1)} s after the first POST`);

      results.push({
        nodes: target,
        onlineAfterEnrollment: online,
        enrollSeconds,
        newNodes: names.length,
        windowSeconds,
        heartbeats: { latenciesMs: beats.latenciesMs, refused: beats.refused, failed: beats.failed },
        steady,
        statusChanges,
        statuses,
        lateHeartbeats: late,
        temporalTimeouts: temporalTimeouts(path.join(dataDir, 'logs')) - timeoutsBefore,
        fanout: {
          sent: nodeIds.length,
          timeoutMs: FANOUT_TIMEOUT_MS,
          acceptedMs,
          perNodeMs,
          lastMs,
          failures,
          timedOut: done.length < jobIds.length,
          usage: fanUsage,
          seconds: fanSeconds,
          breakdowns,
        },
      });
    }
    const written = writeAgentsReport({
      results,
      heartbeatSeconds: HEARTBEAT_SECONDS,
      staleAfterMissed: config.NODE_STALE_AFTER_MISSED,
      totalSeconds: (Date.now() - started) / 1000,
    });
    progress.ok(`Wrote ${written.join(', ')}`);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  console.error(`bench agents failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
