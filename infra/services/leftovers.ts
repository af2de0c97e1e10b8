// After a crash of `npm start` (the start script alone, or every process of the product, killed with
// SIGKILL: the OOM killer, a power cut), what it started may still run and hold the ports and files the
// next start needs, or have left lock files behind. The next start stops those leftovers first, saying
// so in one line each, so that a crash needs no hand work. The private Docker engine is the exception:
// taken over when it still answers (infra/services/docker-engine.ts). A start that still runs on the
// data folder is never touched: its pid record says that it runs.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { livePidRecord, writePidRecord } from '../pids.ts';
import { stopLeftoverService } from '../processes.ts';
import { progress, UserFacingError } from '../progress.ts';
import { stopLeftoverPostgres } from './postgres.ts';
import { stopLeftoverTemporal } from './temporal-server.ts';

/** The services the stack runs as Node processes, with the name the user reads. */
const NODE_SERVICES = { agent: 'local agent', door: 'agent door', web: 'web console', worker: 'control-plane worker' } as const;

/** Where a service of the stack records its pid while it runs. */
export const servicePidFile = (config: Pick<Config, 'DATA_DIR'>, name: keyof typeof NODE_SERVICES) => path.join(config.DATA_DIR, 'run', `${name}.pid`);

/**
 * Claims the data folder for this start (refused while another start runs on it), after stopping what a
 * crashed start left behind. `release` gives the folder up again, at the end of a clean stop.
 */
export async function claimDataFolder(config: Config): Promise<{ release(): void }> {
  const record = path.join(config.DATA_DIR, 'run', 'start.pid');
  const running = livePidRecord(record);
  if (running && running !== process.pid) {
    throw new UserFacingError(`Anthropy Works already runs for ${config.DATA_DIR} (pid ${running}); stop it first, or set DATA_DIR to another folder.`);
  }
  // Clients first, then the servers they use.
  const done: (string | undefined)[] = [];
  for (const [name, label] of Object.entries(NODE_SERVICES)) done.push(await stopLeftoverService(label, servicePidFile(config, name as keyof typeof NODE_SERVICES)));
  if (!config.TEMPORAL_ADDRESS) done.push(await stopLeftoverTemporal(path.join(config.DATA_DIR, 'temporal', 'temporal.sqlite')));
  if (!config.DATABASE_URL) done.push(await stopLeftoverPostgres(path.join(config.DATA_DIR, 'postgres'), config.EMBEDDED_POSTGRES_PORT));
  for (const line of done) if (line) progress.ok(line);

  writePidRecord(record, process.pid);
  return {
    release: () => {
      if (livePidRecord(record) === process.pid) fs.rmSync(record, { force: true });
    },
  };
}
