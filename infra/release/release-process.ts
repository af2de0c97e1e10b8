// One process of a release (this checkout's or the previous one's) for release:check: its JSON log in a
// file, ready when a line matches, and an environment made only of what the drill gives it (never the
// caller's DATABASE_URL or keys).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface ReleaseProcess {
  label: string;
  child: ChildProcess;
  logFile: string;
  /** The last lines it logged, to say why a step failed. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

/** What every process inherits from this one: where things are, nothing of the product's settings. */
const BASE_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'XDG_CACHE_HOME', 'ANTHROPY_CACHE_DIR'];

export function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(BASE_ENV.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

export async function startReleaseProcess(opts: {
  label: string;
  /** The release's folder: the script runs from there, with its own node_modules. */
  root: string;
  script: string;
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  logDir: string;
  timeoutMs?: number;
}): Promise<ReleaseProcess> {
  const logFile = path.join(opts.logDir, `${opts.label.replace(/[^\w.-]+/g, '-')}.log`);
  const file = fs.createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(opts.root, opts.script)], {
    cwd: opts.root,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tail = (n = 15) => lines.slice(-n).join('\n');
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.label} did not become ready within ${(opts.timeoutMs ?? 120_000) / 1000} s`)), opts.timeoutMs ?? 120_000);
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        file.write(`${line}\n`);
        lines.push(line);
        if (lines.length > 500) lines.shift();
        if (opts.ready.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${opts.label} exited (${signal ?? `code ${code}`}) before it was ready`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    }
    file.end();
  };
  try {
    await ready;
  } catch (err) {
    await stop();
    throw Object.assign(err as Error, { log: tail() });
  }
  return { label: opts.label, child, logFile, tail, stop };
}
