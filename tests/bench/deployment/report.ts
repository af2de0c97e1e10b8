// docs/benchmarks/deployment.md: suite 2's figures, each beside the bare run measured in the same run.
import { OPENCLAW_BUNDLE } from '../../../agent-worker/openclaw/bundle.ts';
import { percentile, reportHeader, table, writeReport } from '../report.ts';
import { medianBreakdown, type RunBreakdown } from './history.ts';
import { POLL_MS } from './poll.ts';

export const TARGET = 1.2;

export interface Pair {
  product: {
    healthyMs: number;
    healthzMs: number;
    readyzMs: number;
    agentTimings: Record<string, number>;
    deployHistory: RunBreakdown;
    restart: {
      notAnsweringMs?: number;
      answeringMs: number;
      jobEndedMs: number;
      reportedDowntimeS: number;
      history: RunBreakdown;
      agentTimings: Record<string, number>;
    };
    memoryMiB?: number;
  };
  bare: { healthzMs: number; readyzMs: number; restart: { notAnsweringMs?: number; answeringMs: number } };
}

const s = (ms: number | undefined) => (ms === undefined ? '–' : (ms / 1000).toFixed(1));
const median = (xs: number[]) => percentile(xs, 50);
/** Seconds as the agent reports them (median), or a dash where it reported none (an agent of an earlier commit). */
const agentSeconds = (xs: (number | undefined)[]) => (defined(xs).length ? `${median(defined(xs)).toFixed(1)} s` : '–');
const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
const spread = (xs: number[]) => (xs.length ? `${s(median(xs))} s (${s(Math.min(...xs))}–${s(Math.max(...xs))})` : '–');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

export function writeDeploymentReport(r: { pairs: Pair[]; imageCheckMs: number; imageMiB: number; runs: number; settleSeconds: number }): string {
  const { pairs } = r;
  const p = pairs.map((x) => x.product);
  const b = pairs.map((x) => x.bare);
  const healthy = median(p.map((x) => x.healthyMs));
  const bareHealthz = median(b.map((x) => x.healthzMs));
  const bareReadyz = median(b.map((x) => x.readyzMs));
  const deployRatio = healthy / bareHealthz;
  const verdict =
    deployRatio <= TARGET
      ? `**Target met**: approval → healthy is ${ratio(healthy, bareHealthz)} the bare run (target ≤ ${TARGET}×).`
      : `**Target missed** by ${(((deployRatio - TARGET) / TARGET) * 100).toFixed(0)} %: approval → healthy is ${ratio(healthy, bareHealthz)} the bare run's /healthz (target ≤ ${TARGET}×); ` +
        `beside the bare run's /readyz (the gateway's own readiness, which the product's health gate waits for) it is ${ratio(healthy, bareReadyz)}.`;
  const steps = (runs: RunBreakdown[]) =>
    table(
      ['step (from the approval on)', 'workflow before it', 'queued', 'ran', 'runs'],
      [
        ...medianBreakdown(runs).map((x) => [x.name, `${x.before} ms`, `${x.queued} ms`, `${x.ran} ms`, String(x.n)]),
        ['last step → run completed', `${median(runs.map((x) => x.afterLast))} ms`, '', '', String(runs.length)],
      ],
    );
  const waitSteps: [string, string][] = [
    ['`docker restart` of the gateway returned (restart only)', 'restarted'],
    ['the helper was back in the gateway’s namespace (restart only)', 'helperRejoined'],
    ['/healthz answered', 'healthz'],
    ['/healthz and /readyz answered', 'readyz'],
    ['`openclaw gateway health` began', 'cliStarted'],
    ['`openclaw gateway health` took', 'cliSeconds'],
  ];
  const timings = (list: Record<string, number>[]) =>
    table(
      ['the agent’s wait, from its start (restart: from the restart call)', 'median'],
      waitSteps.map(([label, key]) => [label, agentSeconds(list.map((t) => t[key]))]),
    );
  const lines = [
    ...reportHeader('deployment (issue 18, suite 2)', `BENCH_RUNS=${r.runs} npm run bench -- deployment`, 'tests/bench/deployment/main.ts'),
    '',
    `OpenClaw ${OPENCLAW_BUNDLE.version}, image ${OPENCLAW_BUNDLE.image} (${r.imageMiB} MiB), on one private Docker engine (infra/services/docker-engine.ts).`,
    `${r.runs} pairs, interleaved (the side that goes first alternates). **product**: the product as \`npm start\` runs it (embedded PostgreSQL,`,
    'Temporal dev server, control-plane worker, console, local agent), driven through the REST API: the typed approval’s POST → the job',
    'reads `completed` (the agent found /healthz, /readyz and `openclaw gateway health` all succeeding). **bare**: `docker network create`,',
    '`docker create` with the flags the agent passes to Docker, `docker cp` of the same configuration file into the state volume, `docker start`',
    '(tests/bench/deployment/bare.ts: same hardening, limits, volumes, own bridge network, port published on 127.0.0.1, environment).',
    `Both are watched by the same poll: GET on the published port every ${POLL_MS} ms from the benchmark's process; the job's state is read`,
    `through the API every ${POLL_MS} ms.`,
    '',
    '## Approval → healthy gateway',
    '',
    verdict,
    '',
    ...table(
      ['measure', 'median (min–max)'],
      [
        ['product: approval → job completed (healthy)', spread(p.map((x) => x.healthyMs))],
        ['product: approval → its gateway answers /healthz', spread(p.map((x) => x.healthzMs))],
        ['product: approval → its gateway answers /readyz', spread(p.map((x) => x.readyzMs))],
        ['bare: `docker network create` … `docker start` → /healthz', spread(b.map((x) => x.healthzMs))],
        ['bare: `docker network create` … `docker start` → /readyz', spread(b.map((x) => x.readyzMs))],
      ],
    ),
    '',
    ...table(
      ['ratio (of medians)', 'value'],
      [
        ['product healthy / bare /healthz (**the target**, ≤ 1.2×)', ratio(healthy, bareHealthz)],
        ['product healthy / bare /readyz', ratio(healthy, bareReadyz)],
        ['product /healthz / bare /healthz (the gateway’s start itself)', ratio(median(p.map((x) => x.healthzMs)), bareHealthz)],
        ['product: healthy − its own /readyz (the CLI check and the job’s end)', `${s(median(p.map((x) => x.healthyMs - x.readyzMs)))} s`],
      ],
    ),
    '',
    '## Restart',
    '',
    `Each side restarts its gateway ${r.settleSeconds} s after it first answered /readyz (the product: the restart job is requested before,`,
    'and approved then). A gateway stopped just after it became ready stops in under a second; once its post-ready work runs, its stop',
    'drains that work first, which takes seconds: restarting both at the same age keeps that out of the ratio.',
    '',
    ...table(
      ['measure', 'product (restart job)', 'bare (`docker restart`)', 'ratio'],
      [
        [
          'gateway not answering /healthz',
          spread(defined(p.map((x) => x.restart.notAnsweringMs))),
          spread(defined(b.map((x) => x.restart.notAnsweringMs))),
          ratio(median(defined(p.map((x) => x.restart.notAnsweringMs))), median(defined(b.map((x) => x.restart.notAnsweringMs)))),
        ],
        [
          'approval (bare: the command) → answering again',
          spread(p.map((x) => x.restart.answeringMs)),
          spread(b.map((x) => x.restart.answeringMs)),
          ratio(median(p.map((x) => x.restart.answeringMs)), median(b.map((x) => x.restart.answeringMs))),
        ],
        ['approval → job completed', spread(p.map((x) => x.restart.jobEndedMs)), '', ''],
        ['job completed after answering again', spread(p.map((x) => x.restart.jobEndedMs - x.restart.answeringMs)), '', ''],
        ['downtime the job reports', `${median(p.map((x) => x.restart.reportedDowntimeS * 1000)) / 1000} s`, '', ''],
      ],
    ),
    '',
    '## Where the product’s time goes',
    '',
    'From each job’s Temporal history (medians over the runs): the workflow’s own turn before each activity (workflow tasks),',
    'the wait in the queue (a worker picking it up) and the run. Node steps run on the agent; the others are the control plane’s.',
    '',
    '### Deployment job',
    '',
    ...steps(p.map((x) => x.deployHistory)),
    '',
    ...timings(p.map((x) => x.agentTimings)),
    '',
    `\`openclaw.deploy\` includes \`ensureBundleImage\` (hashing the openclaw install to find the image already built): ${s(r.imageCheckMs)} s`,
    'on its own, measured once before the pairs on the same engine.',
    '',
    '### Restart job',
    '',
    ...steps(p.map((x) => x.restart.history)),
    '',
    ...timings(p.map((x) => x.restart.agentTimings)),
    '',
    '## Each pair',
    '',
    ...table(
      ['pair', 'product healthy', 'product /healthz', 'bare /healthz', 'bare /readyz', 'restart: product down', 'bare down', 'product job ends after up'],
      pairs.map((x, i) => [
        String(i + 1),
        s(x.product.healthyMs),
        s(x.product.healthzMs),
        s(x.bare.healthzMs),
        s(x.bare.readyzMs),
        s(x.product.restart.notAnsweringMs),
        s(x.bare.restart.notAnsweringMs),
        s(x.product.restart.jobEndedMs - x.product.restart.answeringMs),
      ]),
    ),
    '',
    `Gateway memory after its restart (usage less inactive file cache): ${spread(defined(p.map((x) => x.memoryMiB)).map((m) => m * 1000)).replaceAll(' s', ' MiB')}.`,
  ];
  return writeReport('deployment.md', lines);
}
