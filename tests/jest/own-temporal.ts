// For durability tests: a Temporal dev server of the file's own, which the test may stop and start again
// on the same port and database file (a crash of the cluster), while every process the file starts uses
// it; and a SIGKILL for a process (no chance to clean up).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config.ts';
import { startTemporalDevServer, type RunningTemporal } from '../../infra/services/temporal-server.ts';
import { ensureTemporalCli } from '../../infra/toolchain/temporal-cli.ts';
import type { TestProcess } from './processes.ts';
import { testTemporalOptions } from './test-temporal.ts';

export interface OwnTemporal {
  /**
   * Stops the server and starts it again: same port, same database file (after `downForMs`: an outage;
   * `whileDown` runs during the outage, e.g. to look at what the product says meanwhile).
   */
  restart(downForMs?: number, whileDown?: () => Promise<void>): Promise<void>;
  /** Stops it for good; the next test file in this Jest worker uses the shared server again. */
  stop(): Promise<void>;
}

export async function startOwnTemporal(name: string): Promise<OwnTemporal> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `aw-${name}-temporal-`));
  const opts = await testTemporalOptions(dir, await ensureTemporalCli(loadConfig().cacheDir));
  let server: RunningTemporal = await startTemporalDevServer(opts);
  const shared = process.env.TEMPORAL_ADDRESS;
  process.env.TEMPORAL_ADDRESS = server.address; // this file's own server, for every process it starts
  return {
    async restart(downForMs = 0, whileDown) {
      await server.stop();
      if (downForMs) await new Promise((resolve) => setTimeout(resolve, downForMs));
      try {
        await whileDown?.();
      } finally {
        server = await startTemporalDevServer(opts);
      }
    },
    async stop() {
      await server.stop();
      process.env.TEMPORAL_ADDRESS = shared;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kills the process at once (SIGKILL) and waits until it is gone. */
export async function killProcess(p: TestProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGKILL');
  await exited;
}
