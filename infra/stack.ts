// Starts the whole product on embedded defaults: PostgreSQL, migrations, the first admin, Temporal
// (dev server + Temporal Web, on loopback), the control-plane worker, the web console and the agent door
// (agents, the local one too, reach Temporal only through it). Used by `npm start` and by
// the browser tests (with their own data folder and ports). A start after a crash first stops what the
// crashed one left running (services/leftovers.ts).
import fs from 'node:fs';
import path from 'node:path';
import { createDb } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { buildConsole, consoleBuildIsCurrent } from './build-console.ts';
import { REPO_ROOT, type Config } from './config.ts';
import { grantPublicKey } from '../protocol/approval-grant.ts';
import { APPROVAL_GRANT_KEY_FILE, readOrCreateGrantKey } from './approval-grant-key.ts';
import { CONTROL_PLANE_KEY_FILE, readOrCreateControlPlaneKey } from './control-plane-key.ts';
import { readOrCreateKeyFile } from './key-file.ts';
import { publicKeyOf } from '../protocol/envelope.ts';
import { generateSecretsKey } from './secret-box.ts';
import { assertConfiguredKekMatches } from './secrets/startup-check.ts';
import { ensureFirstAdmin, type CreatedAdmin } from './first-admin.ts';
import { assertPortFree, waitForPort } from './ports.ts';
import { startLocalAgent } from './local-agent.ts';
import { startNodeService, type Service } from './processes.ts';
import { progress, timed, UserFacingError } from './progress.ts';
import { claimDataFolder, servicePidFile } from './services/leftovers.ts';
import { startEmbeddedPostgres, type RunningPostgres } from './services/postgres.ts';
import { startTemporalDevServer, type RunningTemporal } from './services/temporal-server.ts';
import { ensureTemporalCli } from './toolchain/temporal-cli.ts';

// The key that encrypts secrets at rest (infra/secret-box.ts), generated once into the data folder.
const readOrCreateSecretsKey = (file: string): string =>
  readOrCreateKeyFile(file, { generate: generateSecretsKey, valid: (k) => Buffer.from(k, 'base64').length === 32, what: 'a secrets key (32 bytes, base64)' });

export interface RunningStack {
  consoleUrl: string;
  temporalWebUrl: string;
  temporalAddress: string;
  /** The Temporal address agents are given: the agent door's. */
  agentDoorAddress: string;
  databaseUrl: string;
  embeddedPostgres: boolean;
  admin?: CreatedAdmin;
  services: Service[];
  /** The node the local agent runs for, when one runs. */
  localNodeId?: string;
  /** Resolves with the name of the first service that exits on its own. */
  firstExit: Promise<string>;
  stop(): Promise<void>;
}

export async function startStack(config: Config, opts: { echoLogs?: boolean } = {}): Promise<RunningStack> {
  const logsDir = path.join(config.DATA_DIR, 'logs');
  fs.mkdirSync(logsDir, { recursive: true });
  const stoppers: (() => Promise<void>)[] = [];
  let claim: { release(): void } | undefined;
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
    stoppers.length = 0;
    claim?.release();
  };

  try {
    // First, as what a crashed start left running may hold the ports checked next.
    claim = await claimDataFolder(config);
    await assertPortFree(config.PORT, 'web console', 'PORT');
    await assertPortFree(config.AGENT_DOOR_PORT, 'agent door', 'AGENT_DOOR_PORT');
    if (!config.TEMPORAL_ADDRESS) {
      await assertPortFree(config.TEMPORAL_PORT, 'Temporal', 'TEMPORAL_PORT');
      await assertPortFree(config.TEMPORAL_UI_PORT, 'Temporal Web', 'TEMPORAL_UI_PORT');
    }

    if (consoleBuildIsCurrent()) progress.ok('Web console build is current');
    else await timed('Building the web console (react-router build)', buildConsole);

    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      await assertPortFree(config.EMBEDDED_POSTGRES_PORT, 'embedded PostgreSQL', 'EMBEDDED_POSTGRES_PORT');
      const pg: RunningPostgres = await timed(`Starting the embedded PostgreSQL (data in ${path.join(config.DATA_DIR, 'postgres')})`, () =>
        startEmbeddedPostgres({ dir: path.join(config.DATA_DIR, 'postgres'), port: config.EMBEDDED_POSTGRES_PORT, secretsDir: path.join(config.DATA_DIR, 'secrets') }),
      );
      stoppers.push(() => pg.stop());
      databaseUrl = pg.url;
    } else {
      progress.ok('PostgreSQL: using DATABASE_URL');
    }
    await timed('Applying database migrations', () => migrateDatabase(databaseUrl!)).catch((err: Error) => {
      throw new UserFacingError(`Database migrations failed (${err.message}); check that the database is reachable and DATABASE_URL is right.`);
    });

    const secretsKey = config.SECRETS_KEY ?? readOrCreateSecretsKey(path.join(config.DATA_DIR, 'secrets', 'secrets.key'));
    const db = createDb(databaseUrl, { max: 2 });
    const admin = await (async () => {
      // Said here in one line, before web and worker would each refuse it in their logs.
      await assertConfiguredKekMatches(db, { SECRETS_KEY: secretsKey }).catch((err: Error) => {
        throw new UserFacingError(err.message);
      });
      return ensureFirstAdmin(db, config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
    })().finally(() => db.$client.end({ timeout: 5 }));
    if (admin) progress.ok(`Created the first MSP admin ${admin.email}`);

    let temporal: RunningTemporal | undefined;
    if (!config.TEMPORAL_ADDRESS) {
      const cli = await ensureTemporalCli(config.cacheDir);
      temporal = await timed(`Starting the Temporal dev server (history in ${path.join(config.DATA_DIR, 'temporal')})`, () =>
        startTemporalDevServer({
          cli,
          dbFile: path.join(config.DATA_DIR, 'temporal', 'temporal.sqlite'),
          port: config.TEMPORAL_PORT,
          uiPort: config.TEMPORAL_UI_PORT,
          namespace: config.TEMPORAL_NAMESPACE,
          logFile: path.join(logsDir, 'temporal.log'),
          // Temporal Web shows payloads decrypted through the console's codec server (ADR 0016).
          codecEndpoint: `${config.publicUrl}/codec`,
        }),
      );
      stoppers.push(() => temporal!.stop());
    } else {
      progress.ok(`Temporal: using TEMPORAL_ADDRESS=${config.TEMPORAL_ADDRESS}`);
    }

    // The key that signs node jobs, generated once like the secrets key; web and worker must share it.
    const controlPlaneSigningKey = config.CONTROL_PLANE_SIGNING_KEY ?? readOrCreateControlPlaneKey(path.join(config.DATA_DIR, 'secrets', CONTROL_PLANE_KEY_FILE));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SECRETS_KEY: secretsKey,
      CONTROL_PLANE_SIGNING_KEY: controlPlaneSigningKey,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: config.temporalAddress,
      TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
      TEMPORAL_UI_URL: config.temporalUiUrl,
      PORT: String(config.PORT),
      HOST: config.HOST,
      PUBLIC_URL: config.publicUrl,
      AGENT_DOOR_PORT: String(config.AGENT_DOOR_PORT),
      AGENT_DOOR_HOST: config.AGENT_DOOR_HOST,
      AGENT_DOOR_ADDRESS: config.agentDoorAddress,
      LOG_LEVEL: config.LOG_LEVEL,
    };
    // The approval-grant key signs in the web process only; the worker checks grants with its public half.
    const grantSeed = config.APPROVAL_GRANT_KEY ?? readOrCreateGrantKey(path.join(config.DATA_DIR, 'secrets', APPROVAL_GRANT_KEY_FILE));
    const ownEnv = {
      // React's production build renders the console several times faster than its development build, which
      // it loads without NODE_ENV=production (as the Dockerfile sets): docs/benchmarks/big-lists.md.
      web: { APPROVAL_GRANT_KEY: grantSeed, NODE_ENV: process.env.NODE_ENV ?? 'production' },
      worker: { APPROVAL_GRANT_PUBLIC_KEY: grantPublicKey(grantSeed) },
      door: {},
    };
    const services: Service[] = [];
    const launch = (name: 'web' | 'worker' | 'door', script: string) => {
      const service = startNodeService({
        name,
        script: path.join(REPO_ROOT, script),
        env: { ...env, ...ownEnv[name] },
        logFile: path.join(logsDir, `${name}.log`),
        echo: opts.echoLogs ?? true,
        pidFile: servicePidFile(config, name),
      });
      services.push(service);
      stoppers.push(() => service.stop());
      return service;
    };
    progress.step('Starting the control-plane worker (task queue "control-plane"), the web console and the agent door');
    launch('worker', 'infra/control-plane-worker.ts');
    const web = launch('web', 'web/server.ts');
    const door = launch('door', 'infra/agent-door/main.ts');
    const listening = (service: Service, what: string, port: number, host = '127.0.0.1') =>
      Promise.race([
        waitForPort(port, 60_000, host),
        service.exited.then((code) => {
          throw new UserFacingError(`The ${what} exited with code ${code}; see ${path.join(logsDir, `${service.name}.log`)}.`);
        }),
      ]);
    await listening(web, 'web console', config.PORT);
    await listening(door, 'agent door', config.AGENT_DOOR_PORT, ['0.0.0.0', '::'].includes(config.AGENT_DOOR_HOST) ? '127.0.0.1' : config.AGENT_DOOR_HOST);

    // The local agent enrolls through the web console, so it comes last; it gets none of `env`'s secrets.
    const agentDb = createDb(databaseUrl, { max: 2 });
    const localAgent = await startLocalAgent({ db: agentDb, config, controlPlanePublicKey: publicKeyOf(controlPlaneSigningKey), logsDir, echo: opts.echoLogs ?? true }).finally(
      () => agentDb.$client.end({ timeout: 5 }),
    );
    if (localAgent) {
      if (localAgent.stopEngine) stoppers.splice(0, 0, localAgent.stopEngine); // stopped last, after the agent
      services.push(localAgent.service);
      stoppers.push(() => localAgent.service.stop());
    }

    const exits = services.map((s) => s.exited.then(() => s.name));
    if (temporal) exits.push(new Promise((resolve) => temporal!.child.once('exit', () => resolve('temporal'))));
    return {
      consoleUrl: config.publicUrl,
      temporalWebUrl: config.temporalUiUrl,
      temporalAddress: config.temporalAddress,
      agentDoorAddress: config.agentDoorAddress,
      databaseUrl,
      embeddedPostgres: !config.DATABASE_URL,
      admin,
      services,
      localNodeId: localAgent?.nodeId,
      firstExit: Promise.race(exits),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
