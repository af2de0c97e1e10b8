// `npm run bench [-- suite …]`: issue 18's benchmarks, each beside the limit of the same work measured in
// the same run, each writing its report to docs/benchmarks/. No suite named: all of them, one after the
// other, within 20 minutes in all; each suite runs in its own process, stopped when its time is up.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';
import { progress } from '../../infra/progress.ts';

interface Suite {
  script: string;
  minutes: number;
  what: string;
}

const SUITES: Record<string, Suite> = {
  overhead: { script: 'tests/bench/overhead/main.ts', minutes: 8, what: "approval → the node's first activity, beside a raw Temporal Update → activity on the same dev server" },
  'big-lists': { script: 'tests/bench/big-lists/main.ts', minutes: 12, what: 'list pages, API lists and audit:verify over 10,000 nodes, 100,000 jobs, 1M audit events' },
  agents: { script: 'tests/bench/agents/main.ts', minutes: 7, what: '100 → 1,000 simulated agents: heartbeats, node status, CPU and memory per node, inventory fan-out' },
  deployment: {
    script: 'tests/bench/deployment/main.ts',
    minutes: 10,
    what: 'approval → healthy gateway and restart downtime, beside a bare docker run / docker restart (needs Docker)',
  },
};
const TOTAL_MINUTES = 20;

const USAGE = `Usage: npm run bench [-- suite …]

Runs the benchmarks (all when none is named), each writing its report to docs/benchmarks/:
${Object.entries(SUITES)
  .map(([name, s]) => `  ${name.padEnd(12)} ${s.what} (at most ${s.minutes} min)`)
  .join('\n')}`;

/** Runs one suite's script; resolves with how it ended. Past `ms` it is asked to stop (SIGTERM), then killed. */
function runSuite(suite: Suite, ms: number): Promise<'passed' | 'failed' | 'timed out'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, suite.script)], { stdio: 'inherit' });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(timedOut ? 'timed out' : code === 0 ? 'passed' : 'failed');
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const unknown = args.filter((a) => !(a in SUITES));
  if (unknown.length) {
    progress.fail(`No benchmark suite named ${unknown.join(', ')}.\n\n${USAGE}`);
    return 2;
  }
  const names = args.length ? args : Object.keys(SUITES);
  const deadline = Date.now() + TOTAL_MINUTES * 60_000;
  const outcomes: string[] = [];
  for (const name of names) {
    const suite = SUITES[name]!;
    const ms = Math.min(suite.minutes * 60_000, deadline - Date.now());
    if (ms <= 0) {
      outcomes.push(`${name}: not run (the ${TOTAL_MINUTES} minutes were up)`);
      continue;
    }
    progress.step(`Benchmark ${name}: ${suite.what}`);
    const started = Date.now();
    const outcome = await runSuite(suite, ms);
    outcomes.push(`${name}: ${outcome} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  for (const line of outcomes) {
    if (line.includes(': passed')) progress.ok(line);
    else progress.fail(line);
  }
  return outcomes.every((l) => l.includes(': passed')) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    progress.fail(`npm run bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
