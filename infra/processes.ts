// Child processes of the start script (web, control-plane worker): JSON logs go to a file, and a short
// readable line per entry goes to the terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { livePidRecord, terminate, writePidRecord } from './pids.ts';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function readable(name: string, line: string): string | null {
  try {
    const entry = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string }; [k: string]: unknown };
    if (entry.msg === 'request' && entry.level < 40) return null; // every request is in the log file
    const extra = entry.err?.message ? ` (${entry.err.message})` : '';
    return `  [${name}] ${LEVELS[entry.level] ?? entry.level} ${entry.msg ?? ''}${extra}`;
  } catch {
    return `  [${name}] ${line}`;
  }
}

export interface Service {
  name: string;
  child: ChildProcess;
  exited: Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts a service. With `pidFile`, its pid is recorded there while it runs, so that the next start can
 * stop it should this process die without stopping it (`stopLeftoverService`).
 */
export function startNodeService(opts: { name: string; script: string; args?: string[]; env: NodeJS.ProcessEnv; logFile: string; echo: boolean; pidFile?: string }): Service {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', opts.script, ...(opts.args ?? [])], {
    // Own process group: Ctrl-C reaches only the start script, which stops the services in order.
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (opts.pidFile && child.pid) writePidRecord(opts.pidFile, child.pid);
  const file = fs.createWriteStream(opts.logFile, { flags: 'a' });
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      file.write(`${line}\n`);
      const shown = opts.echo ? readable(opts.name, line) : null;
      if (shown) console.log(shown);
    });
  }
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => {
      file.end();
      if (opts.pidFile) fs.rmSync(opts.pidFile, { force: true });
      resolve(code ?? (signal ? 128 : 1));
    }),
  );
  return {
    name: opts.name,
    child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Stops the service `pidFile` names when that very process still runs (its start script died). */
export async function stopLeftoverService(label: string, pidFile: string): Promise<string | undefined> {
  const pid = livePidRecord(pidFile);
  fs.rmSync(pidFile, { force: true });
  if (!pid) return undefined;
  await terminate(pid, 15_000);
  return `Stopped the ${label} an earlier start left running (pid ${pid})`;
}
