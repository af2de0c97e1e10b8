// A Temporal cluster on PostgreSQL for the production-shape test, set up with the runbook's commands
// (docs/runbook.md, "Temporal cluster on PostgreSQL"): the pinned server and temporal-sql-tool built from
// Go source (infra/toolchain/temporal-server.ts), infra/temporal-cluster/setup-schema.sh for the two
// databases, the private PKI by `node infra/tls-certs.ts` (mTLS: the server's certificate, the app's client
// certificate), the server on infra/temporal-cluster/config/production.yaml, and the product's namespace
// created with the Temporal CLI over mTLS. Loopback and free ports.
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
  /** The product's TLS settings for the frontend (TEMPORAL_TLS_*: the app's client certificate, the CA, the server's name). */
  clientTls: Record<'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE' | 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_SERVER_NAME', string>;
  namespace: string;
  /** The temporal role's credentials (for a test that looks into the cluster's databases). */
  db: { user: string; password: string };
  /** What setup-schema.sh printed. */
  schemaOutput: string;
  log(): string;
  stop(): Promise<void>;
  /** Starts the stopped server again on the same ports and databases (as after a restore), until the namespace is served. */
  restart(): Promise<void>;
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

  // The private PKI (the Compose file's `certs` job): temporal/ for the server, app/ for the product's processes.
  const pki = path.join(opts.dir, 'tls');
  const certs = await runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'infra/tls-certs.ts'), '--out', pki], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  if (certs.code !== 0) throw new Error(`tls-certs.ts failed (${certs.code}):\n${certs.output.slice(-2000)}`);
  const serverTls = {
    TEMPORAL_TLS_SERVER_CERT: path.join(pki, 'temporal', 'server.pem'),
    TEMPORAL_TLS_SERVER_KEY: path.join(pki, 'temporal', 'server.key'),
    TEMPORAL_TLS_CA: path.join(pki, 'temporal', 'ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: 'temporal',
  };
  const clientTls = {
    TEMPORAL_TLS_CERT_FILE: path.join(pki, 'app', 'temporal-client.pem'),
    TEMPORAL_TLS_KEY_FILE: path.join(pki, 'app', 'temporal-client.key'),
    TEMPORAL_TLS_CA_FILE: path.join(pki, 'app', 'temporal-ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: 'temporal',
  };

  const ports = {} as Record<(typeof PORTS)[number], string>;
  for (const name of PORTS) ports[name] = String(name.endsWith('MEMBERSHIP_PORT') ? await freeMembershipPort(new Set(Object.values(ports))) : await freePort());
  const logFile = path.join(opts.dir, 'temporal-server.log');
  const readLog = () => fs.readFileSync(logFile, 'utf8');
  const address = `127.0.0.1:${ports.TEMPORAL_FRONTEND_PORT}`;
  let stop: () => Promise<void> = async () => {};
  const launch = async () => {
    const log = fs.openSync(logFile, 'a');
    // 4 history shards: a quick start on a small machine (production's default is 512: the config's comment).
    const server = spawn(toolchain.server, ['--root', path.join(REPO_ROOT, 'infra/temporal-cluster'), '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'], {
      cwd: REPO_ROOT, // the config's dynamic config file is named from the repository's folder, as the runbook runs it
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...dbEnv, ...ports, ...serverTls, TEMPORAL_HISTORY_SHARDS: '4' },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    stop = async () => {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
      server.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    };
    try {
      await Promise.race([
        waitForPort(Number(ports.TEMPORAL_FRONTEND_PORT), 60_000),
        exited.then(() => {
          throw new Error(`the Temporal server exited with ${server.exitCode}:\n${readLog().slice(-2000)}`);
        }),
      ]);
      // The runbook's namespace command; the frontend may listen before the cluster's services have joined.
      const tlsFlags = [
        ...['--tls-cert-path', clientTls.TEMPORAL_TLS_CERT_FILE, '--tls-key-path', clientTls.TEMPORAL_TLS_KEY_FILE],
        ...['--tls-ca-path', clientTls.TEMPORAL_TLS_CA_FILE, '--tls-server-name', clientTls.TEMPORAL_TLS_SERVER_NAME],
      ];
      const temporal = (args: string[]) => runCommand(cli, [...args, ...tlsFlags], { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
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
  };
  await launch();
  return {
    address,
    clientTls,
    namespace: opts.namespace,
    db: { user: role.name, password: role.password },
    schemaOutput: schema.output,
    log: readLog,
    stop: () => stop(),
    restart: launch,
  };
}
