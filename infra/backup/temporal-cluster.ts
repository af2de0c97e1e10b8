// A Temporal cluster's persistence on PostgreSQL in a backup (TEMPORAL_DATABASE_URL): its two databases,
// dumped as the product's database is (./database.ts: every table COPYed out of one REPEATABLE READ READ
// ONLY snapshot per database, and the sequences' positions), with the schema version temporal-sql-tool
// recorded in each. The history database is the source of truth; the visibility database (the lists)
// is dumped after it. A restore sets up the schema with the runbook's own command
// (infra/temporal-cluster/setup-schema.sh: empty databases at this server release's schema), checks that
// the schema version is the archive's, and COPYs the rows back in one transaction per database (the one
// row the schema itself inserts gives way to the archive's). A database in which any other table than the
// schema tool's holds a row is refused, naming it: a server has run on it, and its shards, namespaces and
// histories would collide with the archive's.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';
import { UserFacingError } from '../progress.ts';
import type { TemporalServerToolchain } from '../toolchain/temporal-server.ts';
import { connect, copyTablesIn, qualified, copyTablesOut, sequencesOf, tableDifferences, tablesOf, type DumpedSequence, type DumpedTable } from './database.ts';

/** The cluster's databases, as infra/temporal-cluster/config/production.yaml and setup-schema.sh name them. */
export const TEMPORAL_DATABASES = ['temporal', 'temporal_visibility'] as const;
const SCHEMAS = ['public'];
/** temporal-sql-tool's own record of the schema: written by setup-schema.sh, never copied back. */
const SCHEMA_TOOL_TABLES = new Set(['schema_version', 'schema_update_history']);
/**
 * Tables the schema itself puts a row in (temporal/versioned/v1.0/schema.sql: namespace_metadata's
 * partition 54321, version 1): such a row is no sign that a server ran, and the archive's replaces it.
 */
const SCHEMA_SEEDED_TABLES = new Set(['namespace_metadata']);

export interface TemporalDatabaseDump {
  name: string;
  serverVersion: string;
  /** schema_version.curr_version, as temporal-sql-tool left it. */
  schemaVersion: string;
  /** Files relative to the archive's temporal-cluster/<name>/ folder. */
  tables: DumpedTable[];
  sequences: DumpedSequence[];
}

/** TEMPORAL_DATABASE_URL with its database set to `name`. */
function urlOf(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

const dataTables = <T extends { name: string }>(tables: T[]) => tables.filter((t) => !SCHEMA_TOOL_TABLES.has(t.name));

async function schemaVersionOf(sql: Parameters<typeof tablesOf>[0], name: string): Promise<string | undefined> {
  const tables = await tablesOf(sql, SCHEMAS);
  if (!tables.some((t) => t.name === 'schema_version')) return undefined;
  const [row] = await sql<{ curr_version: string }[]>`select curr_version from schema_version where db_name = ${name}`;
  return row?.curr_version;
}

/** Dumps both databases into `dir`/<name>/. */
export async function dumpTemporalCluster(url: string, dir: string): Promise<TemporalDatabaseDump[]> {
  const dumps: TemporalDatabaseDump[] = [];
  for (const name of TEMPORAL_DATABASES) {
    const into = path.join(dir, name);
    fs.mkdirSync(into, { recursive: true, mode: 0o700 });
    const sql = connect(urlOf(url, name));
    try {
      dumps.push(
        await sql.begin('isolation level repeatable read read only', async (tx) => {
          const [{ server_version: serverVersion }] = (await tx`show server_version`) as unknown as [{ server_version: string }];
          const schemaVersion = await schemaVersionOf(tx, name);
          if (!schemaVersion) throw new UserFacingError(`The database ${name} of TEMPORAL_DATABASE_URL has no Temporal schema (no schema_version): is it the cluster's?`);
          const tables = await copyTablesOut(tx, into, dataTables(await tablesOf(tx, SCHEMAS)));
          return { name, serverVersion, schemaVersion, tables, sequences: await sequencesOf(tx, SCHEMAS) };
        }),
      );
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
  return dumps;
}

/** Which of the cluster's databases exist, asked of the server's `postgres` database: a connection to a missing one is never opened. */
async function existingDatabases(url: string): Promise<Set<string>> {
  const sql = connect(urlOf(url, 'postgres'));
  try {
    const rows = await sql<{ datname: string }[]>`select datname from pg_database where datname in ${sql([...TEMPORAL_DATABASES])}`;
    return new Set(rows.map((r) => r.datname));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The data tables that hold a row, other than the ones the schema seeds: a server has run on the database. */
async function filledTables(sql: Parameters<typeof tablesOf>[0]): Promise<string[]> {
  const filled: string[] = [];
  for (const t of dataTables(await tablesOf(sql, SCHEMAS))) {
    if (SCHEMA_SEEDED_TABLES.has(t.name)) continue;
    const [{ any }] = await sql.unsafe<[{ any: boolean }]>(`select exists (select 1 from ${qualified(t)}) as any`);
    if (any) filled.push(t.name);
  }
  return filled;
}

/** The databases (of the two) that exist and in which a server has run (a table holds rows), with those tables. */
export async function temporalDatabasesInUse(url: string): Promise<{ name: string; tables: string[] }[]> {
  const inUse: { name: string; tables: string[] }[] = [];
  const existing = await existingDatabases(url);
  for (const name of TEMPORAL_DATABASES) {
    // Not there yet: empty by definition (setup-schema.sh creates it).
    if (!existing.has(name)) continue;
    const sql = connect(urlOf(url, name));
    try {
      const filled = await filledTables(sql);
      if (filled.length > 0) inUse.push({ name, tables: filled });
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
  return inUse;
}

/** Runs infra/temporal-cluster/setup-schema.sh against TEMPORAL_DATABASE_URL's server and role; its output on failure. */
function setupSchema(url: string, toolchain: TemporalServerToolchain): Promise<void> {
  const u = new URL(url);
  const env = {
    PATH: process.env.PATH,
    TEMPORAL_SQL_TOOL: toolchain.sqlTool,
    TEMPORAL_SCHEMA_DIR: toolchain.schemaDir,
    TEMPORAL_DB_HOST: u.hostname.replace(/^\[|\]$/g, ''),
    TEMPORAL_DB_PORT: u.port || '5432',
    TEMPORAL_DB_USER: decodeURIComponent(u.username) || 'temporal',
    TEMPORAL_DB_PASSWORD: decodeURIComponent(u.password),
  };
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [path.join(REPO_ROOT, 'infra/temporal-cluster/setup-schema.sh')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new UserFacingError(`setup-schema.sh failed (exit ${code}):\n${output.slice(-2000)}`))));
  });
}

/**
 * Sets up the (empty) databases with setup-schema.sh and loads the archive's rows from `dir`/<name>/,
 * each database in one transaction, after checking its schema version is the archive's. When the second
 * fails, the first is emptied again: the restore can be run again on both.
 */
export async function loadTemporalCluster(url: string, dir: string, dumps: TemporalDatabaseDump[], toolchain: TemporalServerToolchain): Promise<void> {
  await setupSchema(url, toolchain);
  const loaded: string[] = [];
  try {
    for (const dump of dumps) {
      await loadDatabase(url, dir, dump);
      loaded.push(dump.name);
    }
  } catch (err) {
    await clearTemporalCluster(url, loaded).catch(() => {});
    throw err;
  }
}

async function loadDatabase(url: string, dir: string, dump: TemporalDatabaseDump): Promise<void> {
  const sql = connect(urlOf(url, dump.name));
  try {
    await sql.begin(async (tx) => {
      const version = await schemaVersionOf(tx, dump.name);
      if (version !== dump.schemaVersion) {
        throw new UserFacingError(
          `The archive's Temporal database ${dump.name} has schema version ${dump.schemaVersion}; this release's Temporal server sets up ${version ?? 'none'}: ` +
            'restore it with the release that made it (its manifest names the version), then upgrade.',
        );
      }
      const tables = dataTables(await tablesOf(tx, SCHEMAS));
      const differences = tableDifferences(tables, dump.tables);
      if (differences.length > 0) throw new UserFacingError(`The archive's Temporal database ${dump.name} does not match its schema version (${differences.join(', ')}).`);
      // Checked before, and again in this transaction: a Temporal server started meanwhile is not overwritten.
      const filled = await filledTables(tx);
      if (filled.length > 0)
        throw new UserFacingError(`The Temporal database ${dump.name} is not empty (it has rows in ${filled.join(', ')}): is a Temporal server running on it?`);
      // The schema's own row goes; the archive's takes its place.
      const seeded = tables.filter((t) => SCHEMA_SEEDED_TABLES.has(t.name));
      if (seeded.length > 0) await tx.unsafe(`truncate ${seeded.map(qualified).join(', ')}`);
      await copyTablesIn(tx, path.join(dir, dump.name), dump.tables, dump.sequences);
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Empties the data tables of the named databases again, keeping the schema and putting back its own row
 * (a restore that failed after loading them): as setup-schema.sh left them, so a restore accepts them.
 */
export async function clearTemporalCluster(url: string, names: readonly string[] = TEMPORAL_DATABASES): Promise<void> {
  for (const name of names) {
    const sql = connect(urlOf(url, name));
    try {
      await sql.begin(async (tx) => {
        const tables = dataTables(await tablesOf(tx, SCHEMAS));
        if (tables.length > 0) await tx.unsafe(`truncate ${tables.map(qualified).join(', ')}`);
        // temporal/versioned/v1.0/schema.sql's row.
        if (tables.some((t) => t.name === 'namespace_metadata')) await tx.unsafe('insert into namespace_metadata (partition_id, notification_version) values (54321, 1)');
      });
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
}
