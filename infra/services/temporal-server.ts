// The Temporal CLI's dev server (a real Temporal server with Temporal Web) used when TEMPORAL_ADDRESS is
// not set. Its SQLite file lives in the data folder, so workflow runs survive a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findProcesses, flagValue, terminate } from '../pids.ts';
import { waitForPort } from '../ports.ts';
import { UserFacingError } from '../progress.ts';

/** Concurrent long polls Temporal admits per namespace: room for 5,000 agents' polls and the control plane's. */
export const NAMESPACE_LONG_POLLS = 12_000;
export interface RunningTemporal {
  address: string;
  uiUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A dev server an earlier start left running on `dbFile` (the start script was killed, the server was
 * not): it holds the ports and the database file, so it is stopped. Returns what it did, for the user.
 */
export async function stopLeftoverTemporal(dbFile: string): Promise<string | undefined> {
  const pids = findProcesses((cmdline) => cmdline.includes('start-dev') && flagValue(cmdline, '--db-filename') === dbFile);
  for (const pid of pids) await terminate(pid, 10_000);
  return pids.length ? `Stopped the Temporal dev server an earlier start left running (pid ${pids.join(', ')})` : undefined;
}

export async function startTemporalDevServer(opts: {
  cli: string;
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  logFile: string;
  headless?: boolean;
  /**
   * The codec server Temporal Web decodes payloads with (the console's /codec, ADR 0016). The dev server
   * has no setting for Temporal Web to send cookies with it: that is the browser's own codec setting.
   */
  codecEndpoint?: string;
}): Promise<RunningTemporal> {
  fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = fs.openSync(opts.logFile, 'a');
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--db-filename',
    opts.dbFile,
    '--namespace',
    opts.namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    // Every agent keeps its activity polls open through the door (AGENT_ACTIVITY_POLLS each): Temporal's
    // default of 1,200 concurrent long polls per namespace refuses polls from a few hundred agents on
    // (ResourceExhausted, "namespace concurrent poller limit exceeded"; docs/benchmarks/agents.md).
    '--dynamic-config-value',
    `frontend.namespaceCount=${NAMESPACE_LONG_POLLS}`,
  ];
  args.push(...(opts.headless ? ['--headless'] : ['--ui-port', String(opts.uiPort), ...(opts.codecEndpoint ? ['--ui-codec-endpoint', opts.codecEndpoint] : [])]));
  const child = spawn(opts.cli, args, { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  try {
    await Promise.race([waitForPort(opts.port, 60_000), new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`it exited with code ${code}`))))]);
    if (!opts.headless) await waitForPort(opts.uiPort, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new UserFacingError(`The Temporal dev server did not start (${(err as Error).message}); see ${opts.logFile}.`);
  }
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: `http://localhost:${opts.uiPort}`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
