// A Temporal cluster on PostgreSQL for the production-shape test, set up with the runbook's commands
// (docs/runbook.md, "Temporal cluster on PostgreSQL"): the pinned server and temporal-sql-tool built from
// Go source (infra/toolchain/temporal-server.ts), infra/temporal-cluster/setup-schema.sh for the two
// databases, the server on infra/temporal-cluster/config/production.yaml, and the product's namespace
// created with the Temporal CLI. Loopback and free ports; no TLS (the frontend is on 127.0.0.1 only).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, REPO_ROOT } from '../../infra/config.ts';
import { freePort, isPortFree, waitForPort } from '../../infra/ports.ts';
import { ensureTemporalCli } from '../../infra/toolchain/temporal-cli.ts';
import { ensureTemporalServer } from '../../infra/toolchain/temporal-server.ts';
import type { DebianPostgres } from './debian-postgres.ts';
import { runCommand } from './run-command.ts';
import { waitFor } from './wait-for.ts';

export interface TemporalCluster {
  /** The frontend, as TEMPORAL_ADDRESS. */
  address: string;
  namespace: string;
  /** The temporal role's credentials (for a test that looks into the cluster's databases). */
  db: { user: string; password: string };
  /** What setup-schema.sh printed. */
  schemaOutput: string;
  log(): string;
  stop(): Promise<void>;
}

const PORTS = [
  'TEMPORAL_FRONTEND_PORT',
  'TEMPORAL_FRONTEND_HTTP_PORT',
  'TEMPORAL_FRONTEND_MEMBERSHIP_PORT',
  'TEMPORAL_HISTORY_PORT',
  'TEMPORAL_HISTORY_MEMBERSHIP_PORT',
  'TEMPORAL_MATCHING_PORT',
  'TEMPORAL_MATCHING_MEMBERSHIP_PORT',
  'TEMPORAL_WORKER_PORT',
  'TEMPORAL_WORKER_MEMBERSHIP_PORT',
  'TEMPORAL_METRICS_PORT',
] as const;

/**
 * A free port below 32768: the cluster keeps each member's membership port in a PostgreSQL smallint
 * (cluster_membership.rpc_port), and the kernel's free ports are mostly above it.
 */
async function freeMembershipPort(taken: Set<string>): Promise<number> {
  for (;;) {
    const port = 20_000 + crypto.randomInt(12_000);
    if (!taken.has(String(port)) && (await isPortFree(port))) return port;
  }
}

export async function startTemporalCluster(opts: { pg: DebianPostgres; dir: string; namespace: string }): Promise<TemporalCluster> {
  const cacheDir = loadConfig().cacheDir;
  const toolchain = await ensureTemporalServer(cacheDir);
  const cli = await ensureTemporalCli(cacheDir);
  const role = await opts.pg.createRole('temporal', { createdb: true });
  const dbEnv = { TEMPORAL_DB_HOST: opts.pg.host, TEMPORAL_DB_PORT: String(opts.pg.port), TEMPORAL_DB_USER: role.name, TEMPORAL_DB_PASSWORD: role.password };

  const schema = await runCommand('sh', [path.join(REPO_ROOT, 'infra/temporal-cluster/setup-schema.sh')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, TEMPORAL_SQL_TOOL: toolchain.sqlTool, TEMPORAL_SCHEMA_DIR: toolchain.schemaDir, ...dbEnv },
  });
  if (schema.code !== 0) throw new Error(`setup-schema.sh failed (${schema.code}):\n${schema.output.slice(-2000)}`);

  const ports = {} as Record<(typeof PORTS)[number], string>;
  for (const name of PORTS) ports[name] = String(name.endsWith('MEMBERSHIP_PORT') ? await freeMembershipPort(new Set(Object.values(ports))) : await freePort());
  const logFile = path.join(opts.dir, 'temporal-server.log');
  const log = fs.openSync(logFile, 'a');
  // 4 history shards: a quick start on a small machine (production's default is 512: the config's comment).
  const server = spawn(toolchain.server, ['--root', path.join(REPO_ROOT, 'infra/temporal-cluster'), '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...dbEnv, ...ports, TEMPORAL_HISTORY_SHARDS: '4' },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const readLog = () => fs.readFileSync(logFile, 'utf8');
  const stop = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
    server.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };
  const address = `127.0.0.1:${ports.TEMPORAL_FRONTEND_PORT}`;
  try {
    await Promise.race([
      waitForPort(Number(ports.TEMPORAL_FRONTEND_PORT), 60_000),
      exited.then(() => {
        throw new Error(`the Temporal server exited with ${server.exitCode}:\n${readLog().slice(-2000)}`);
      }),
    ]);
    // The runbook's namespace command; the frontend may listen before the cluster's services have joined.
    const temporal = (args: string[]) => runCommand(cli, args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    let last = '';
    await waitFor(
      `namespace ${opts.namespace} to be created`,
      async () => {
        const created = await temporal(['operator', 'namespace', 'create', '--address', address, '--namespace', opts.namespace, '--retention', '720h']);
        last = created.output;
        // An attempt that timed out on our side may have registered it all the same.
        return created.code === 0 || /already exists/i.test(created.output) ? true : undefined;
      },
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last.trim()}`);
    });
    await waitFor(
      `namespace ${opts.namespace} to be served`,
      async () => ((await temporal(['workflow', 'list', '--address', address, '--namespace', opts.namespace, '--limit', '1'])).code === 0 ? true : undefined),
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, namespace: opts.namespace, db: { user: role.name, password: role.password }, schemaOutput: schema.output, log: readLog, stop };
}
