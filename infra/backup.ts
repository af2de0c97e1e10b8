// `npm run backup`: one encrypted archive of what the product needs to come back (ADR 0024): a consistent
// dump of its database, Temporal's persistence (the dev server's history through SQLite's online backup,
// or a cluster's two PostgreSQL databases given by TEMPORAL_DATABASE_URL; either may keep running), the keys in the data folder that open the secrets, and the local agent's identity. A key
// configured by environment is not in the data folder and not in the archive: the manifest and the
// screen say so, as it must come from the operator's secret store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeArchive } from './backup/archive.ts';
import { dumpDatabase } from './backup/database.ts';
import { WrongPassphraseError } from './backup/encryption.ts';
import { KEY_VARIABLES, MANIFEST_FORMAT, MANIFEST_VERSION, productVersion, type Manifest } from './backup/manifest.ts';
import { backupPassphrase } from './backup/passphrase.ts';
import { dumpTemporalCluster } from './backup/temporal-cluster.ts';
import { copyTemporalDatabase } from './backup/temporal-sqlite.ts';
import { loadConfig } from './config.ts';
import { withDatabaseForScript } from './database-for-scripts.ts';
import { progress, timed } from './progress.ts';
import { runScriptMain } from './script-exit.ts';

const USAGE = `Usage: npm run backup [-- --out FILE]

Writes one encrypted archive (default: anthropy-works-backup-<time>.awbackup in the current folder):
the product's database (one consistent snapshot), Temporal's history (the dev server's, or with
TEMPORAL_ADDRESS the cluster's databases temporal and temporal_visibility at TEMPORAL_DATABASE_URL), the keys in the
data folder (DATA_DIR/secrets) and the local agent's identity (DATA_DIR/agent). The product may keep
running. The passphrase is BACKUP_PASSPHRASE, or typed twice on the terminal (at least 12 characters);
keep it in your secret store: without it the archive cannot be opened.
Keys configured by environment (SECRETS_KEY, CONTROL_PLANE_SIGNING_KEY, APPROVAL_GRANT_KEY) are not in
the archive; the restored product needs them from your secret store.`;

class InputError extends Error {}

/** Copies the files of DATA_DIR/<folder> into the staging folder, except `skip`; returns their paths. */
function copyFolder(dataDir: string, folder: string, staging: string, skip: Set<string> = new Set()): string[] {
  const from = path.join(dataDir, folder);
  if (!fs.existsSync(from)) return [];
  const copied: string[] = [];
  for (const name of fs.readdirSync(from, { recursive: true }) as string[]) {
    const file = path.join(from, name);
    if (skip.has(name) || !fs.statSync(file).isFile()) continue;
    const to = path.join(staging, folder, name);
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    fs.copyFileSync(file, to);
    copied.push(`${folder}/${name.split(path.sep).join('/')}`);
  }
  return copied;
}

async function main(): Promise<number> {
  let values: { out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    throw new InputError(`${(err as Error).message.split('\n')[0]} (run with --help for the usage).`);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig(process.env);
  const createdAt = new Date();
  // npm runs scripts in the clone; a relative --out is meant from where the operator typed it.
  const out = path.resolve(
    process.env.INIT_CWD ?? process.cwd(),
    values.out ??
      `anthropy-works-backup-${createdAt
        .toISOString()
        .replaceAll(':', '')
        .replace(/\.\d+Z$/, 'Z')}.awbackup`,
  );
  if (fs.existsSync(out)) throw new InputError(`${out} exists already: choose another --out (a backup never overwrites a file).`);
  if (!fs.existsSync(path.dirname(out))) throw new InputError(`The folder ${path.dirname(out)} does not exist: create it or choose another --out.`);
  // Production has no business with a backup that could not bring the waiting approvals back.
  if (config.APP_ENV === 'production' && config.TEMPORAL_ADDRESS && !config.TEMPORAL_DATABASE_URL) {
    throw new InputError(
      'APP_ENV=production: TEMPORAL_DATABASE_URL is not set, so the Temporal cluster (its histories: the waiting approvals) would not be in the backup. ' +
        "Set it to the cluster's temporal database as the server's role (postgres://temporal:…@host:5432/temporal).",
    );
  }
  const passphrase = await backupPassphrase({ confirm: true });

  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-backup-'));
  try {
    fs.mkdirSync(path.join(staging, 'database'), { mode: 0o700 });
    const dump = await withDatabaseForScript(config, (url) => timed('Dumping the database (one snapshot)', () => dumpDatabase(url, path.join(staging, 'database'))));
    const rows = dump.tables.reduce((sum, t) => sum + t.rows, 0);
    progress.ok(`Database: ${dump.tables.length} tables, ${rows} rows, ${dump.migrations.length} migrations applied (PostgreSQL ${dump.serverVersion})`);

    let temporal: Manifest['temporal'];
    const temporalFile = path.join(config.DATA_DIR, 'temporal', 'temporal.sqlite');
    if (config.TEMPORAL_DATABASE_URL) {
      const databases = await timed('Dumping the Temporal cluster’s databases (one snapshot each)', () =>
        dumpTemporalCluster(config.TEMPORAL_DATABASE_URL!, path.join(staging, 'temporal-cluster')),
      );
      temporal = { included: true, cluster: { databases }, namespace: config.TEMPORAL_NAMESPACE };
      for (const d of databases) {
        progress.ok(`Temporal database ${d.name}: ${d.tables.length} tables, ${d.tables.reduce((sum, t) => sum + t.rows, 0)} rows, schema version ${d.schemaVersion}`);
      }
    } else if (config.TEMPORAL_ADDRESS) {
      temporal = {
        included: false,
        why: `Temporal runs elsewhere (TEMPORAL_ADDRESS=${config.TEMPORAL_ADDRESS}) and TEMPORAL_DATABASE_URL is not set: set it to the cluster's temporal database to include it, or back the cluster up with its own database backups`,
      };
    } else if (!fs.existsSync(temporalFile)) {
      temporal = { included: false, why: `the dev server has no history yet (${temporalFile} does not exist)` };
    } else {
      fs.mkdirSync(path.join(staging, 'temporal'), { mode: 0o700 });
      await timed('Copying the Temporal dev server’s history (SQLite online backup)', () => copyTemporalDatabase(temporalFile, path.join(staging, 'temporal', 'temporal.sqlite')));
      temporal = { included: true, file: 'temporal/temporal.sqlite', namespace: config.TEMPORAL_NAMESPACE };
    }

    const fromEnvironment = KEY_VARIABLES.filter((k) => config[k.variable]);
    // A key file beside a configured key is not the one in use: leaving it out keeps a restore from reviving it.
    const files = [...copyFolder(config.DATA_DIR, 'secrets', staging, new Set(fromEnvironment.map((k) => k.file))), ...copyFolder(config.DATA_DIR, 'agent', staging)];
    const keysNotIncluded = fromEnvironment.map((k) => ({
      variable: k.variable,
      why: `configured by environment, not kept in the data folder: it must come from your secret store (it opens ${k.opens})`,
    }));

    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_VERSION,
      product: productVersion(),
      createdAt: createdAt.toISOString(),
      database: { source: config.DATABASE_URL ? 'DATABASE_URL' : 'embedded', ...dump },
      temporal,
      files,
      keysNotIncluded,
    };
    fs.writeFileSync(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await timed('Encrypting the archive (scrypt, AES-256-GCM)', () => writeArchive(staging, out, passphrase));

    progress.ok(`Backup written to ${out} (${(fs.statSync(out).size / 1e6).toFixed(1)} MB)`);
    progress.ok(
      `Included: the database, ${!temporal.included ? 'no Temporal history' : 'cluster' in temporal ? 'the Temporal cluster’s databases' : 'the Temporal history'}, ${files.length} key and agent files (${files.join(', ') || 'none'})`,
    );
    if (!temporal.included) progress.warn(`Temporal's history is NOT included: ${temporal.why}.`);
    for (const k of keysNotIncluded) progress.warn(`${k.variable} is NOT included: ${k.why}.`);
    return 0;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

runScriptMain(main, { badInput: [InputError, WrongPassphraseError], failed: 'The backup failed' });
