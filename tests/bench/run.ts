// `npm run bench [-- suite …]`: issue 18's benchmarks, each beside the limit of the same work measured in
// the same run, each writing its report to docs/benchmarks/. No suite named: all of them, one after the
// other, within TOTAL_MINUTES in all; each suite runs in its own process, asked to stop (SIGTERM, then
// SIGKILL) when its time is up.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';
import { progress } from '../../infra/progress.ts';
import { allowedMs, STOP_GRACE_MS, SUITES, TOTAL_MINUTES, type Suite } from './budget.ts';

const USAGE = `Usage: npm run bench [-- suite …]

Runs the benchmarks (all when none is named), each writing its report to docs/benchmarks/:
${Object.entries(SUITES)
  .map(([name, s]) => `  ${name.padEnd(12)} ${s.what} (${s.minutes} min of the ${TOTAL_MINUTES})`)
  .join('\n')}

All of them together take at most ${TOTAL_MINUTES} minutes: each suite its share, plus what the ones before it left.`;

/** Set once the runner itself was asked to stop (Ctrl-C, SIGTERM): no further suite starts. */
let interrupted = false;
/** Signals the running suite's process group, if one runs. */
let signalSuite: ((sig: NodeJS.Signals) => void) | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted = true;
    // The suite runs in a process group of its own: the terminal's Ctrl-C does not reach it by itself.
    // A suite whose Temporal workers take the signal (the SDK's runtime stops them) may then wait for
    // samples that never come: killed after the grace, as when its time is up.
    const suite = signalSuite;
    suite?.(sig);
    setTimeout(() => suite?.('SIGKILL'), STOP_GRACE_MS).unref();
  });
}

/** Runs one suite's script; resolves with how it ended. Past `ms` it is asked to stop (SIGTERM), then killed. */
function runSuite(suite: Suite, ms: number, env: NodeJS.ProcessEnv): Promise<'passed' | 'failed' | 'timed out'> {
  return new Promise((resolve) => {
    // Its own process group, so that what it started (the product's processes) is asked to stop with it.
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, suite.script)], { stdio: 'inherit', env, detached: true });
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    signalSuite = signal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), STOP_GRACE_MS).unref();
    }, ms);
    child.on('exit', (code) => {
      signalSuite = undefined;
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
  // One suite alone may use the whole bound; several share it, each in its settings for a shared run.
  const shared = names.length > 1;
  const minutes = (name: string) => (shared ? SUITES[name]!.minutes : TOTAL_MINUTES);
  const deadline = Date.now() + TOTAL_MINUTES * 60_000;
  progress.step(
    `${names.length === 1 ? `Benchmark ${names[0]}` : `${names.length} benchmarks (${names.map((n) => `${n} ${minutes(n)} min`).join(', ')})`}: done by ${new Date(deadline).toISOString().slice(11, 16)} UTC at the latest (${TOTAL_MINUTES} minutes in all)`,
  );
  const outcomes: string[] = [];
  for (const [index, name] of names.entries()) {
    const suite = SUITES[name]!;
    const ms = allowedMs(names, index, Date.now(), deadline, minutes);
    if (interrupted) {
      outcomes.push(`${name}: not run (the run was stopped)`);
      continue;
    }
    if (ms <= 0) {
      outcomes.push(`${name}: not run (the ${TOTAL_MINUTES} minutes were up)`);
      continue;
    }
    const settings = shared ? Object.fromEntries(Object.entries(suite.inFullRun ?? {}).filter(([k]) => process.env[k] === undefined)) : {};
    const told = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
    progress.step(`Benchmark ${name}: ${suite.what} (at most ${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s${told.length ? `; ${told.join(' ')}` : ''})`);
    const started = Date.now();
    const outcome = await runSuite(suite, ms, { ...process.env, ...settings });
    outcomes.push(`${name}: ${outcome} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  outcomes.push(`all: ${Math.round((Date.now() - (deadline - TOTAL_MINUTES * 60_000)) / 1000)} s of the ${TOTAL_MINUTES * 60} s allowed`);
  const failed = outcomes.slice(0, -1).filter((l) => !l.includes(': passed'));
  for (const line of outcomes) {
    if (failed.includes(line)) progress.fail(line);
    else progress.ok(line);
  }
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    progress.fail(`npm run bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
