// How a command-line script (admin:create, audit:verify) finds the product's database: DATABASE_URL when
// set; otherwise the embedded PostgreSQL of the data folder, the one `npm start` is running, or started
// just for the script and stopped again afterwards (also on Ctrl-C).
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import type { Config } from './config.ts';
import { progress, timed } from './progress.ts';
import { startEmbeddedPostgres, type RunningPostgres } from './services/postgres.ts';

export interface ScriptDatabase {
  url: string;
  stop?: () => Promise<void>;
}

type DatabaseConfig = Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'EMBEDDED_POSTGRES_PORT'>;

async function canConnect(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** The database to use; `stop` is set when the embedded PostgreSQL was started for this script. */
export async function openDatabaseForScript(config: DatabaseConfig): Promise<ScriptDatabase> {
  if (config.DATABASE_URL) {
    progress.ok('PostgreSQL: using DATABASE_URL');
    return { url: config.DATABASE_URL };
  }
  const secretsDir = path.join(config.DATA_DIR, 'secrets');
  const passwordFile = path.join(secretsDir, 'postgres-password');
  if (fs.existsSync(passwordFile)) {
    const password = fs.readFileSync(passwordFile, 'utf8').trim();
    const url = `postgres://anthropy:${encodeURIComponent(password)}@127.0.0.1:${config.EMBEDDED_POSTGRES_PORT}/anthropy`;
    if (await canConnect(url)) {
      progress.ok(`PostgreSQL: using the embedded PostgreSQL already running on port ${config.EMBEDDED_POSTGRES_PORT}`);
      return { url };
    }
  }
  const pg: RunningPostgres = await timed(`Starting the embedded PostgreSQL (data in ${path.join(config.DATA_DIR, 'postgres')})`, () =>
    startEmbeddedPostgres({ dir: path.join(config.DATA_DIR, 'postgres'), port: config.EMBEDDED_POSTGRES_PORT, secretsDir }),
  );
  return { url: pg.url, stop: () => timed('Stopping the embedded PostgreSQL', () => pg.stop()) };
}

/**
 * Opens the database, runs `fn` with its URL, and stops an embedded PostgreSQL started for the script,
 * whether `fn` succeeds or fails, and on Ctrl-C (exit code 130).
 */
export async function withDatabaseForScript<T>(config: DatabaseConfig, fn: (url: string) => Promise<T>): Promise<T> {
  let database: ScriptDatabase | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= database?.stop?.().catch(() => {}) ?? Promise.resolve());
  const onSignal = () => void stop().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    database = await openDatabaseForScript(config);
    return await fn(database.url);
  } finally {
    await stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
