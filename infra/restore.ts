// `npm run restore -- ARCHIVE`: brings a backup (infra/backup.ts, ADR 0024) back into an EMPTY data folder
// (DATA_DIR), and into an empty database when DATABASE_URL is set, else into a new embedded PostgreSQL in
// that folder; a Temporal cluster's databases into empty ones at TEMPORAL_DATABASE_URL. It refuses a non-empty folder or database, and a wrong passphrase, before changing
// anything; a failure on the way removes what it had put in place. The next `npm start` runs on it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readArchive } from './backup/archive.ts';
import { databaseIsEmpty, loadDatabase, migrationsToApply } from './backup/database.ts';
import { DamagedArchiveError, WrongPassphraseError } from './backup/encryption.ts';
import { readManifest, type Manifest } from './backup/manifest.ts';
import { clearTemporalCluster, loadTemporalCluster, temporalDatabasesInUse } from './backup/temporal-cluster.ts';
import { backupPassphrase } from './backup/passphrase.ts';
import { loadConfig, type Config } from './config.ts';
import { freePort } from './ports.ts';
import { progress, timed } from './progress.ts';
import { runScriptMain } from './script-exit.ts';
import { startEmbeddedPostgres } from './services/postgres.ts';
import { ensureTemporalServer, type TemporalServerToolchain } from './toolchain/temporal-server.ts';

const USAGE = `Usage: npm run restore -- ARCHIVE

Restores a backup made by \`npm run backup\` into the data folder DATA_DIR, which must be empty or absent:
the database (into the empty database DATABASE_URL when set, else into a new embedded PostgreSQL in the
data folder), Temporal's history (the dev server's into the data folder; a cluster's into its databases
temporal and temporal_visibility at TEMPORAL_DATABASE_URL, absent or empty, set up by
infra/temporal-cluster/setup-schema.sh; stop the Temporal server first), the keys and the local agent's identity. The passphrase
is BACKUP_PASSPHRASE, or typed on the terminal. Nothing is changed when the folder or the database is not
empty, the passphrase is wrong or the archive was altered. Then run \`npm start\` with the same DATA_DIR
(and the keys the backup did not include, from your secret store).`;

class InputError extends Error {}

/** Refuses a data folder or database that holds anything: a restore never overwrites. */
async function assertEmptyTarget(config: Config): Promise<void> {
  const inFolder = fs.existsSync(config.DATA_DIR) ? fs.readdirSync(config.DATA_DIR) : [];
  if (inFolder.length > 0) {
    throw new InputError(
      `The data folder ${config.DATA_DIR} is not empty (it holds ${inFolder.slice(0, 5).join(', ')}${inFolder.length > 5 ? ', …' : ''}): a restore goes into an empty folder only, so nothing is overwritten. ` +
        'Set DATA_DIR to a new folder, or move this one away first. Nothing was changed.',
    );
  }
  if (config.DATABASE_URL) {
    const database = await databaseIsEmpty(config.DATABASE_URL).catch((err: Error) => {
      throw new InputError(`Could not reach the database DATABASE_URL (${err.message.split('\n')[0]}). Nothing was changed.`);
    });
    if (!database.empty) {
      throw new InputError(
        `The database DATABASE_URL is not empty (it has ${database.tables.slice(0, 5).join(', ')}${database.tables.length > 5 ? ', …' : ''}): a restore goes into an empty database only. ` +
          'Create a new database and point DATABASE_URL at it. Nothing was changed.',
      );
    }
  }
  if (config.TEMPORAL_DATABASE_URL) {
    const inUse = await temporalDatabasesInUse(config.TEMPORAL_DATABASE_URL).catch((err: Error) => {
      throw new InputError(`Could not reach the Temporal cluster's databases at TEMPORAL_DATABASE_URL (${err.message.split('\n')[0]}). Nothing was changed.`);
    });
    if (inUse.length > 0) {
      throw new InputError(
        `The Temporal database ${inUse.map((d) => `${d.name} is not empty (it has rows in ${d.tables.slice(0, 5).join(', ')}${d.tables.length > 5 ? ', …' : ''})`).join('; the Temporal database ')}: ` +
          'a restore goes into empty databases only (a Temporal server has run on this one). Stop the Temporal server, drop temporal and temporal_visibility (or point TEMPORAL_DATABASE_URL at another server). Nothing was changed.',
      );
    }
  }
}

/** Puts the archive's files, database and Temporal history in place. */
async function restoreInto(config: Config, staging: string, manifest: Manifest, toolchain?: TemporalServerToolchain): Promise<void> {
  // First: its likely failures (the schema tool, a schema version of another release) leave its databases
  // with the schema and no rows, which a second attempt accepts.
  if ('cluster' in manifest.temporal && toolchain) {
    const { databases } = manifest.temporal.cluster;
    await timed('Setting up the Temporal cluster’s databases (setup-schema.sh) and loading them (one transaction each)', () =>
      loadTemporalCluster(config.TEMPORAL_DATABASE_URL!, path.join(staging, 'temporal-cluster'), databases, toolchain),
    );
    try {
      await restoreProduct(config, staging, manifest);
    } catch (err) {
      // Loaded by this restore (and only then): emptied again, so the next attempt accepts them.
      await clearTemporalCluster(config.TEMPORAL_DATABASE_URL!).catch(() => {});
      throw err;
    }
  } else {
    await restoreProduct(config, staging, manifest);
  }
}

/** Puts the archive's files, database and the dev server's history in place. */
async function restoreProduct(config: Config, staging: string, manifest: Manifest): Promise<void> {
  for (const file of manifest.files) {
    if (!/^(secrets|agent)\//.test(file) || file.split('/').includes('..'))
      throw new DamagedArchiveError(`The archive's manifest names ${JSON.stringify(file)}, outside the data folder's secrets and agent folders. Nothing was restored.`);
    const to = path.join(config.DATA_DIR, file);
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(staging, file), to);
    fs.chmodSync(to, 0o600);
  }
  const dumpDir = path.join(staging, 'database');
  if (config.DATABASE_URL) {
    await timed('Loading the database into DATABASE_URL (one transaction)', () => loadDatabase(config.DATABASE_URL!, dumpDir, manifest.database));
  } else {
    // A port of its own: the product (of another data folder) may be running on the usual one.
    const pg = await timed(`Creating the embedded PostgreSQL (data in ${path.join(config.DATA_DIR, 'postgres')})`, async () =>
      startEmbeddedPostgres({ dir: path.join(config.DATA_DIR, 'postgres'), port: await freePort(), secretsDir: path.join(config.DATA_DIR, 'secrets') }),
    );
    try {
      await timed('Loading the database (one transaction)', () => loadDatabase(pg.url, dumpDir, manifest.database));
    } finally {
      await timed('Stopping the embedded PostgreSQL', () => pg.stop());
    }
  }
  if ('file' in manifest.temporal && !config.TEMPORAL_ADDRESS) {
    const to = path.join(config.DATA_DIR, 'temporal', 'temporal.sqlite');
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(staging, manifest.temporal.file), to);
    fs.chmodSync(to, 0o600);
  }
}

async function main(): Promise<number> {
  let positionals: string[];
  let help: boolean | undefined;
  try {
    const parsed = parseArgs({ args: process.argv.slice(2), options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    positionals = parsed.positionals;
    help = parsed.values.help;
  } catch (err) {
    throw new InputError(`${(err as Error).message.split('\n')[0]} (run with --help for the usage).`);
  }
  if (help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new InputError('Name one archive: npm run restore -- ARCHIVE (run with --help for the usage).');
  const archive = path.resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0]!);
  if (!fs.existsSync(archive)) throw new InputError(`${archive} does not exist.`);
  const config = loadConfig(process.env);
  await assertEmptyTarget(config);
  const passphrase = await backupPassphrase({ confirm: false });

  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-restore-'));
  const createdFolder = !fs.existsSync(config.DATA_DIR);
  try {
    await timed('Decrypting and checking the archive', () => readArchive(archive, passphrase, staging));
    const manifest = readManifest(staging);
    migrationsToApply(manifest.database); // refuses a later release's archive before anything is written
    progress.ok(`Archive of ${manifest.product.name} ${manifest.product.version}, made ${manifest.createdAt}: ${manifest.database.migrations.length} migrations applied`);
    const cluster = 'cluster' in manifest.temporal;
    if (cluster && !config.TEMPORAL_DATABASE_URL) {
      throw new InputError(
        "The archive holds a Temporal cluster's databases: set TEMPORAL_ADDRESS and TEMPORAL_DATABASE_URL (the new cluster's temporal database, absent or empty, as the server's role) to restore them. Nothing was changed.",
      );
    }
    // Built once from Go source (minutes) when this machine has no cached one: before anything is written.
    const toolchain = cluster ? await ensureTemporalServer(config.cacheDir) : undefined;
    if ('file' in manifest.temporal && config.TEMPORAL_ADDRESS) {
      progress.warn(
        `The archive holds the Temporal dev server's history, but TEMPORAL_ADDRESS is set: it is not restored into that cluster (restore the cluster from its own backups).`,
      );
    }

    fs.mkdirSync(config.DATA_DIR, { recursive: true });
    try {
      await restoreInto(config, staging, manifest, toolchain);
    } catch (err) {
      // Leave the folder as it was found: empty (or absent).
      if (createdFolder) fs.rmSync(config.DATA_DIR, { recursive: true, force: true });
      else for (const entry of fs.readdirSync(config.DATA_DIR)) fs.rmSync(path.join(config.DATA_DIR, entry), { recursive: true, force: true });
      throw err;
    }

    progress.ok(
      `Restored into ${config.DATA_DIR}${config.DATABASE_URL ? ' and DATABASE_URL' : ''}: the database, ${cluster ? 'the Temporal cluster’s databases, ' : 'file' in manifest.temporal && !config.TEMPORAL_ADDRESS ? 'the Temporal history, ' : ''}${manifest.files.length} key and agent files`,
    );
    if (!manifest.temporal.included) progress.warn(`The archive has no Temporal history: ${manifest.temporal.why}.`);
    for (const k of manifest.keysNotIncluded) {
      const todo = config[k.variable as keyof Config] ? 'it is set here; give `npm start` the same value' : 'set it before `npm start`';
      progress.warn(`${k.variable} is NOT in the archive (${k.why}): ${todo}.`);
    }
    progress.ok(`Start the product on it: DATA_DIR=${config.DATA_DIR} npm start`);
    return 0;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

runScriptMain(main, { badInput: [InputError, WrongPassphraseError, DamagedArchiveError], failed: 'The restore failed' });
