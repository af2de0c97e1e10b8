// The agents report (docs/benchmarks/agents.md) and its charts: per step of the fleet, heartbeats handled
// beside the rate the configuration asks for, their latency, the control plane's CPU and memory per node,
// every status change the heartbeats and the node status sweep made, and the fan-out of inventory refreshes.
import fs from 'node:fs';
import path from 'node:path';
import { lineChartSvg } from '../chart.ts';
import { BENCHMARKS_DIR, ms, percentile, reportHeader, table, writeReport } from '../report.ts';
import type { Breakdown } from './history.ts';
import type { Part } from './proc.ts';

type PartUsage = Record<Part, { cpuCores: number; rssBytes: number }>;

export interface StepResult {
  nodes: number;
  /** Nodes online when the steady window began (all of them, unless they did not come online within a minute). */
  onlineAfterEnrollment: number;
  newNodes: number;
  enrollSeconds: number;
  windowSeconds: number;
  heartbeats: { latenciesMs: number[]; refused: number; failed: number };
  steady: PartUsage;
  /** node.status audit events from the steady window's start to the fan-out's end, by target status and outcome. */
  statusChanges: { to: string; outcome: string; n: number }[];
  statuses: { status: string; n: number }[];
  lateHeartbeats: number;
  /** Persistence operations the Temporal dev server logged as timed out during the step (its log). */
  temporalTimeouts: number;
  fanout: {
    sent: number;
    /** How long the bench waited for the results. */
    timeoutMs: number;
    acceptedMs: number;
    perNodeMs: number[];
    lastMs: number;
    failures: string[];
    timedOut: boolean;
    usage: PartUsage;
    seconds: number;
    breakdowns: Breakdown[];
  };
}

const FANOUT_TARGET_S = 5;
const CONTROL_PLANE: Part[] = ['web', 'worker', 'door'];
const n = (x: number) => x.toLocaleString('en-US');
const mib = (b: number) => (b / 1024 ** 2).toFixed(0);
const s1 = (msValue: number) => (msValue / 1000).toFixed(1);
const p = (xs: number[], q: number) => (xs.length ? percentile(xs, q) : NaN);
/** Each node's time, the nodes whose result was not verified (refused, failed, timed out) counted as never. */
const perNode = (f: StepResult['fanout']) => [...f.perNodeMs, ...Array<number>(Math.max(0, f.sent - f.perNodeMs.length)).fill(Infinity)];
/** Seconds, or "> timeout" for never. */
const secs = (f: StepResult['fanout'], msValue: number) => (Number.isFinite(msValue) ? s1(msValue) : `> ${s1(f.timeoutMs)}`);
const falseChanges = (r: StepResult) => r.statusChanges.filter((c) => c.to !== 'online' || c.outcome !== 'success').reduce((a, c) => a + c.n, 0);

function charts(results: StepResult[]): string[] {
  const heartbeat = lineChartSvg({
    title: 'Agents: heartbeat latency at the agent (signed POST → answer), against the fleet’s size',
    xLabel: 'simulated agents (log scale)',
    yLabel: 'latency (ms)',
    series: [
      { label: 'heartbeat p50', color: '#1f77b4', points: results.map((r) => [r.nodes, p(r.heartbeats.latenciesMs, 50)]) },
      { label: 'heartbeat p99', color: '#1f77b4', dash: '6 3', points: results.map((r) => [r.nodes, p(r.heartbeats.latenciesMs, 99)]) },
    ],
  });
  const fanout = lineChartSvg({
    title: 'Agents: inventory refresh to every node at once, against the fleet’s size',
    xLabel: 'simulated agents, one refresh each (log scale)',
    yLabel: `seconds to verified result (${Math.round((results[0]?.fanout.timeoutMs ?? 0) / 1000)} s: still missing)`,
    series: [
      { label: 'per node p50', color: '#d62728', points: results.map((r) => [r.nodes, Math.min(p(perNode(r.fanout), 50), r.fanout.timeoutMs) / 1000]) },
      { label: 'per node p99', color: '#d62728', dash: '6 3', points: results.map((r) => [r.nodes, Math.min(p(perNode(r.fanout), 99), r.fanout.timeoutMs) / 1000]) },
      {
        label: 'the last one',
        color: '#555',
        dash: '2 3',
        points: results.map((r) => [r.nodes, (r.fanout.perNodeMs.length < r.fanout.sent ? r.fanout.timeoutMs : r.fanout.lastMs) / 1000]),
      },
    ],
    target: { y: FANOUT_TARGET_S, label: `target at 1,000 nodes: p99 < ${FANOUT_TARGET_S} s` },
  });
  const files = ['agents-heartbeats.svg', 'agents-fanout.svg'];
  fs.writeFileSync(path.join(BENCHMARKS_DIR, files[0]!), heartbeat);
  fs.writeFileSync(path.join(BENCHMARKS_DIR, files[1]!), fanout);
  return files;
}

/** The mean time of each stretch of a refresh job's run over the sampled jobs, in the run's order, and the slowest job's. */
function breakdownSection(r: StepResult | undefined): string[] {
  if (!r) return [];
  const samples = r.fanout.breakdowns;
  if (!samples.length) return [];
  const order: string[] = [];
  const sums = new Map<string, number>();
  for (const b of samples) {
    for (const step of b.steps) {
      if (!sums.has(step.what)) order.push(step.what);
      sums.set(step.what, (sums.get(step.what) ?? 0) + step.ms);
    }
  }
  const slowest = samples.at(-1)!;
  const slowestBy = new Map<string, number>();
  for (const step of slowest.steps) slowestBy.set(step.what, (slowestBy.get(step.what) ?? 0) + step.ms);
  const meanTotal = samples.reduce((a, b) => a + b.totalMs, 0) / samples.length;
  return [
    `Where a refresh job's time goes at ${n(r.nodes)} nodes, from its run's history (${samples.length} jobs sampled from the quickest to`,
    'the slowest; workflow tasks summed per job; the run starts after the POST has created the job and started it):',
    '',
    ...table(
      ['stretch of the run', 'mean over the sample (ms)', 'share of the mean run', 'the slowest job (ms)'],
      [
        ...order.map((what) => {
          const mean = sums.get(what)! / samples.length;
          return [what, ms(mean), `${Math.round((mean / meanTotal) * 100)} %`, ms(slowestBy.get(what) ?? 0)];
        }),
        ['the whole run', ms(meanTotal), '100 %', ms(slowest.totalMs)],
      ],
    ),
  ];
}

/** The largest step some of whose refresh jobs completed (their histories say where the time went). */
const withBreakdowns = (results: StepResult[]) => [...results].reverse().find((r) => r.fanout.breakdowns.length > 0);

/** Why the figures at the largest step are what they are, from this run's own numbers, and what would change them. */
function whySection(r: StepResult, sampled: StepResult | undefined, heartbeatSeconds: number): string[] {
  const handled = r.heartbeats.latenciesMs.length / r.windowSeconds;
  const asked = r.nodes / heartbeatSeconds;
  const perBeat = (part: Part) => (handled ? (r.steady[part].cpuCores / handled) * 1000 : NaN);
  const beatCpu = (['web', 'worker', 'temporal', 'postgres'] as const).reduce((a, part) => a + perBeat(part), 0);
  const samples = sampled?.fanout.breakdowns ?? [];
  const mean = (pick: (what: string) => boolean) =>
    samples.length ? samples.reduce((a, b) => a + b.steps.filter((st) => pick(st.what)).reduce((x, st) => x + st.ms, 0), 0) / samples.length : NaN;
  const meanRun = samples.length ? samples.reduce((a, b) => a + b.totalMs, 0) / samples.length : NaN;
  const activities = samples[0] ? new Set(samples[0].steps.filter((st) => st.what.endsWith(': run')).map((st) => st.what)).size : 0;
  const busy = r.steady.web.cpuCores + r.steady.worker.cpuCores + r.steady.door.cpuCores + r.steady.temporal.cpuCores + r.steady.postgres.cpuCores + r.steady.load.cpuCores;
  return [
    `## Why, at ${n(r.nodes)} nodes`,
    '',
    `- **A heartbeat is one statement, and no Temporal.** The API stores the report (one \`UPDATE\` for an online node; a first beat, or one`,
    '  after silence, a transaction with its audited change to online), and node status is decided by one sweep over PostgreSQL on the',
    `  control plane (ADR 0029), no longer by a signal per heartbeat to a monitor workflow per node: ${beatCpu.toFixed(1)} ms of CPU per heartbeat in all,`,
    `  of which the web process ${perBeat('web').toFixed(1)} ms, PostgreSQL ${perBeat('postgres').toFixed(1)} ms, the worker ${perBeat('worker').toFixed(1)} ms and Temporal ${perBeat('temporal').toFixed(1)} ms (the last two are`,
    '  not the heartbeats’ any more: the agents’ long polls through the door, the sweep’s passes, the fan-out’s tail). The processes',
    `  measured here used ${busy.toFixed(1)} of the machine’s 2 cores in the window, and ${handled.toFixed(0)} of the ${asked.toFixed(0)} heartbeats a second asked for were handled.`,
    ...(sampled
      ? [
          `- **A refresh is ${activities} activities and their workflow tasks.** At ${n(sampled.nodes)} nodes (the largest step whose refreshes completed),`,
          `  workflow tasks took ${ms(mean((w) => w === 'workflow task'))} ms of a mean run of ${ms(meanRun)} ms, waits on the control-plane queue`,
          `  ${ms(mean((w) => w.includes('wait on the control-plane')))} ms, the node’s own step (its queue and its run) ${ms(mean((w) => w.startsWith('runNodeJob')))} ms: the node is not`,
          '  the bottleneck, the control plane’s round trips through Temporal are, and with every node at once they queue behind each other',
          '  on the same dev server (SQLite, one process).',
        ]
      : ['- **No refresh completed** at any step within the wait: no history says where the time went.']),
    ...(r.temporalTimeouts > 0
      ? [
          `- **Temporal’s own store gave way.** The dev server logged ${n(r.temporalTimeouts)} persistence operations that timed out (\`context deadline`,
          `  exceeded\`, its log) during the ${n(r.nodes)}-node step, with the processes measured using ${busy.toFixed(1)} cores: the limit reached is the dev`,
          `  server’s SQLite store (one writer; each task and timer a write)${busy < 1.6 ? ', not CPU' : ', and the CPU it shares'}.`,
        ]
      : [`- **Temporal’s store kept up.** The dev server logged no persistence operation that timed out during the ${n(r.nodes)}-node step.`]),
    '- **Long polls.** Each agent keeps its activity polls open through the door; past 1,200 per namespace (Temporal’s default',
    '  `frontend.namespaceCount`) Temporal refuses polls, the control plane’s own worker’s among them, and everything stops. `npm start`’s',
    '  dev server now admits 12,000 and the agent keeps two polls, not ten; **a production Temporal cluster needs the same setting** for',
    '  more than a few hundred agents (its dynamic config).',
    '',
    'What would make the fan-out quicker still, in order of effect (not done in this change):',
    '',
    '1. A refresh job’s control-plane steps (record running, sign, verify, store, record completed) as one or two activities, or local',
    '   activities: fewer workflow tasks and queue waits per job (suite 1, orchestration overhead, measures the same round trips).',
    '2. A Temporal cluster on PostgreSQL (as the compose file runs) instead of the single-process dev server, and a machine not shared.',
  ];
}

export function writeAgentsReport(run: { results: StepResult[]; heartbeatSeconds: number; staleAfterMissed: number; totalSeconds: number }): string[] {
  const { results, heartbeatSeconds } = run;
  const at1000 = results.find((r) => r.nodes === 1000) ?? results.at(-1)!;
  const [heartbeatChart, fanoutChart] = charts(results);
  const cpPerNode = (u: PartUsage, nodes: number) => CONTROL_PLANE.reduce((a, part) => a + u[part].cpuCores, 0) / nodes;
  const fanP99 = p(perNode(at1000.fanout), 99);
  const lines = [
    ...reportHeader(
      'a thousand agents',
      `${process.env.BENCH_AGENTS_STEPS ? `BENCH_AGENTS_STEPS=${process.env.BENCH_AGENTS_STEPS} ` : ''}npm run bench -- agents`,
      'tests/bench/agents/main.ts',
    ),
    '',
    'The product as `npm start` runs it (embedded PostgreSQL, the Temporal dev server, web, control-plane worker and agent door, each its',
    'own process; no local agent) and simulated agents in one load process (tests/bench/agents/fleet.ts): each node created and given a',
    'one-time token through the API, enrolled by the agent’s own `enroll` (its own Ed25519 key and door credential), then run as the',
    `agent runs: a signed heartbeat every ${heartbeatSeconds} s (NODE_HEARTBEAT_SECONDS, the default) and an SDK Worker on the node’s own`,
    'queue `node.<id>`, reaching Temporal only through the agent door with the node’s credential and executing signed jobs with the',
    'agent’s own activity (envelope checks, replay store, signed and encrypted result). What is simulated is the machine: every node’s',
    'Docker engine is one stand-in speaking the Engine API (tests/stand-ins/docker-engine.ts, two containers), and the report',
    '(the agent’s hostReport) is built once per node and re-sent without its containers, as an agent does while they do not change.',
    'Each worker keeps the agent’s own two activity polls open (`AGENT_ACTIVITY_POLLS`, agent-worker/run.ts): the SDK’s default (up',
    'to ten per worker) would hold ten thousand long polls open through the door at 1,000 nodes, and Temporal refuses polls past its',
    'per-namespace limit (`frontend.namespaceCount`, 1,200 by default; `npm start`’s dev server now admits 12,000).',
    '',
    `At each step, once every node is online: a steady window of ${Math.round(results[0]?.windowSeconds ?? 0)} s (longer than the ${heartbeatSeconds * run.staleAfterMissed} s`,
    'after which a silent node turns stale), then an inventory refresh POSTed for every node at once (`POST /nodes/{id}/inventory-refresh`),',
    'timed from each POST to its job’s completion in PostgreSQL (the node’s signed result verified and stored). **The limit** beside',
    'the heartbeats is the rate the configuration asks for (nodes ÷ interval). CPU is per process from /proc (utime + stime over the',
    'window), as a share of one core; the machine has two, shared by everything here, the load process included.',
    `The whole suite took ${Math.round(run.totalSeconds)} s.`,
    '',
    '## Targets',
    '',
    ...table(
      ['target', 'measured', 'verdict'],
      [
        [
          `no false status change at ${n(at1000.nodes)} nodes`,
          `${falseChanges(at1000)} change(s) to stale/offline or refused while heartbeats flowed; ${at1000.lateHeartbeats} late heartbeat(s)`,
          falseChanges(at1000) === 0 ? 'met' : 'missed',
        ],
        [
          `fan-out p99 < ${FANOUT_TARGET_S} s at ${n(at1000.nodes)} nodes`,
          `${secs(at1000.fanout, fanP99)} s per node (p50 ${secs(at1000.fanout, p(perNode(at1000.fanout), 50))} s), ${at1000.fanout.perNodeMs.length} of ${at1000.fanout.sent} verified, the last ${s1(at1000.fanout.lastMs)} s after the first POST`,
          fanP99 < FANOUT_TARGET_S * 1000
            ? 'met'
            : Number.isFinite(fanP99)
              ? `missed by ${s1(fanP99 - FANOUT_TARGET_S * 1000)} s (${(fanP99 / (FANOUT_TARGET_S * 1000)).toFixed(1)}×)`
              : 'missed: results still missing at the timeout',
        ],
      ],
    ),
    '',
    '## Heartbeats, steady (the window after every node came online)',
    '',
    `![heartbeat latency against scale](${heartbeatChart})`,
    '',
    ...table(
      ['nodes', 'asked (per s)', 'handled (per s)', 'handled ÷ asked', 'p50 ms', 'p99 ms', 'refused', 'failed', 'late', 'status changes (window and fan-out)', 'nodes by status'],
      results.map((r) => {
        const asked = r.nodes / heartbeatSeconds;
        const handled = r.heartbeats.latenciesMs.length / r.windowSeconds;
        return [
          n(r.nodes),
          asked.toFixed(1),
          handled.toFixed(1),
          `${(handled / asked).toFixed(2)}×`,
          ms(p(r.heartbeats.latenciesMs, 50)),
          ms(p(r.heartbeats.latenciesMs, 99)),
          String(r.heartbeats.refused),
          String(r.heartbeats.failed),
          String(r.lateHeartbeats),
          r.statusChanges.length ? r.statusChanges.map((c) => `${c.n} → ${c.to} (${c.outcome})`).join(', ') : 'none',
          r.statuses.map((s) => `${s.n} ${s.status}`).join(', '),
        ];
      }),
    ),
    '',
    '## The control plane’s cost, steady (share of one core; resident memory)',
    '',
    ...table(
      [
        'nodes',
        'web CPU',
        'worker CPU',
        'door CPU',
        'web+worker+door CPU per node',
        'Temporal CPU',
        'PostgreSQL CPU',
        'load process CPU',
        'web MiB',
        'worker MiB',
        'door MiB',
        'MiB per node (web+worker+door)',
        'load process MiB',
      ],
      results.map((r) => {
        const u = r.steady;
        const rss = CONTROL_PLANE.reduce((a, part) => a + u[part].rssBytes, 0);
        return [
          n(r.nodes),
          u.web.cpuCores.toFixed(2),
          u.worker.cpuCores.toFixed(2),
          u.door.cpuCores.toFixed(2),
          `${(cpPerNode(u, r.nodes) * 1000).toFixed(2)} ‰`,
          u.temporal.cpuCores.toFixed(2),
          u.postgres.cpuCores.toFixed(2),
          u.load.cpuCores.toFixed(2),
          mib(u.web.rssBytes),
          mib(u.worker.rssBytes),
          mib(u.door.rssBytes),
          (rss / r.nodes / 1024 ** 2).toFixed(2),
          mib(u.load.rssBytes),
        ];
      }),
    ),
    '',
    'The same CPU per heartbeat handled (milliseconds of CPU time; the door’s is its long polls’ and does not grow with heartbeats):',
    '',
    ...table(
      ['nodes', 'web', 'control-plane worker', 'Temporal', 'PostgreSQL', 'load process (signing, sending)'],
      results.map((r) => {
        const handled = r.heartbeats.latenciesMs.length / r.windowSeconds;
        const per = (part: Part) => ((r.steady[part].cpuCores / handled) * 1000).toFixed(1);
        return [n(r.nodes), per('web'), per('worker'), per('temporal'), per('postgres'), per('load')];
      }),
    ),
    '',
    '## Fan-out: an inventory refresh to every node at once',
    '',
    `![fan-out against scale](${fanoutChart})`,
    '',
    ...table(
      ['nodes', 'POSTs answered (s)', 'per node p50 (s)', 'per node p99 (s)', 'the last (s)', 'verified', 'failed', 'CPU web / worker / door / Temporal / PostgreSQL'],
      results.map((r) => {
        const f = r.fanout;
        return [
          n(r.nodes),
          s1(f.acceptedMs),
          secs(f, p(perNode(f), 50)),
          secs(f, p(perNode(f), 99)),
          s1(f.lastMs),
          `${f.perNodeMs.length} of ${f.sent}${f.timedOut ? ' (timed out)' : ''}`,
          f.failures.length ? `${f.failures.length}: ${f.failures[0]}` : '0',
          (['web', 'worker', 'door', 'temporal', 'postgres'] as const).map((part) => f.usage[part].cpuCores.toFixed(2)).join(' / '),
        ];
      }),
    ),
    '',
    ...breakdownSection(withBreakdowns(results)),
    '',
    ...whySection(at1000, withBreakdowns(results), heartbeatSeconds),
    '',
    '## Enrollment',
    '',
    ...table(
      ['nodes', 'new nodes enrolled', 'enrollment until all online, or a minute after the last (s)', 'online then'],
      results.map((r) => [n(r.nodes), n(r.newNodes), r.enrollSeconds.toFixed(1), n(r.onlineAfterEnrollment)]),
    ),
  ];
  return [writeReport('agents.md', lines), `docs/benchmarks/${heartbeatChart}`, `docs/benchmarks/${fanoutChart}`];
}
