// The product's database in a backup, at the product's level rather than pg_dump's (whose version must
// match the server's: docs/decisions/0024-backup-archive.md). A dump is every table of the product's
// schema and drizzle's migrations table, COPYed out in one REPEATABLE READ READ ONLY transaction (one
// snapshot), and the sequences' positions. A restore applies the same migrations to an empty database,
// COPYs the rows back with the foreign keys set aside, adds them back (checking every row) and sets the
// sequences, all in one transaction: it lands whole or not at all. Rows go back as they were (ids, hashes, timestamps), so the
// audit chain verifies; its append-only trigger refuses UPDATE/DELETE only, and the live-change NOTIFYs
// of the inserts reach no one, as nothing listens yet.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import postgres from 'postgres';
import { MIGRATIONS_DIR } from '../../db/migrate.ts';
import { UserFacingError } from '../progress.ts';

/** Where the product's tables are: its own schema, and drizzle's record of the applied migrations. */
const SCHEMAS = ['public', 'drizzle'];
const MIGRATIONS_TABLE = { schema: 'drizzle', name: '__drizzle_migrations' };

export interface DumpedTable {
  schema: string;
  name: string;
  columns: string[];
  /** The COPY text file, relative to the dump folder. */
  file: string;
  rows: number;
}
export interface DumpedSequence {
  schema: string;
  name: string;
  lastValue: string;
  isCalled: boolean;
}
export interface AppliedMigration {
  hash: string;
  createdAt: number;
  /** The migration's name in db/migrations (its journal tag), when this release knows it. */
  tag?: string;
}
export interface DatabaseDump {
  serverVersion: string;
  tables: DumpedTable[];
  sequences: DumpedSequence[];
  migrations: AppliedMigration[];
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
export const qualified = (t: { schema: string; name: string }) => `${ident(t.schema)}.${ident(t.name)}`;
const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

export const connect = (url: string) => postgres(url, { max: 1, onnotice: () => {} });

/** This release's migrations in order, with their journal tags. */
function releaseMigrations(): AppliedMigration[] {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number; tag: string }[] };
  const tags = new Map(journal.entries.map((e) => [e.when, e.tag]));
  return readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR }).map((m) => ({ hash: m.hash, createdAt: m.folderMillis, tag: tags.get(m.folderMillis) }));
}

/** The tables (not partitions' children) of `schemas`, with their stored columns (not generated ones). */
export async function tablesOf(sql: postgres.Sql | postgres.TransactionSql, schemas: string[] = SCHEMAS) {
  return sql<{ schema: string; name: string; columns: string[] }[]>`
    select n.nspname as schema, c.relname as name,
      array(select a.attname::text from pg_attribute a
            where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
            order by a.attnum) as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname in ${sql(schemas)}
    order by 1, 2`;
}

/** COPYs each table into its own file in `dir` (`<schema>.<table>.copy`), inside the caller's snapshot. */
export async function copyTablesOut(tx: postgres.TransactionSql, dir: string, tables: { schema: string; name: string; columns: string[] }[]): Promise<DumpedTable[]> {
  const dumped: DumpedTable[] = [];
  for (const t of tables) {
    const file = `${t.schema}.${t.name}.copy`;
    const columns = t.columns.map(ident).join(', ');
    const copy = await tx.unsafe(`copy ${qualified(t)} (${columns}) to stdout`).readable();
    let rows = 0;
    copy.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) rows++;
    });
    await pipeline(copy, fs.createWriteStream(path.join(dir, file), { mode: 0o600 }));
    dumped.push({ ...t, file, rows });
  }
  return dumped;
}

/** The positions of the sequences of `schemas`, inside the caller's snapshot. */
export async function sequencesOf(tx: postgres.TransactionSql, schemas: string[] = SCHEMAS): Promise<DumpedSequence[]> {
  const sequences: DumpedSequence[] = [];
  const names = await tx<{ schema: string; name: string }[]>`
    select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'S' and n.nspname in ${tx(schemas)} order by 1, 2`;
  for (const s of names) {
    const [position] = await tx.unsafe<{ last_value: string; is_called: boolean }[]>(`select last_value::text, is_called from ${qualified(s)}`);
    sequences.push({ ...s, lastValue: position!.last_value, isCalled: position!.is_called });
  }
  return sequences;
}

/**
 * COPYs `file` into `table` and settles either way. postgres.js (3.4.9) never settles a COPY FROM STDIN's
 * writable when the server refuses the rows after the last one was sent (a duplicate key, a bad value):
 * the server's error goes to the query's reject, which is spent (the query resolved with the stream), and
 * the writable's end waits for a CommandComplete that never comes (porsager/postgres#1173). Awaiting the
 * pipeline alone then hangs with the connection idle in an aborted transaction; so the query's reject is
 * watched as well, and its error ends the copy (and the caller's transaction rolls back).
 */
async function copyFileIn(tx: postgres.TransactionSql, table: DumpedTable, file: string): Promise<void> {
  const query = tx.unsafe(`copy ${qualified(table)} (${table.columns.map(ident).join(', ')}) from stdin`) as postgres.PendingQuery<postgres.Row[]> & { reject(err: unknown): void };
  const refused = new Promise<never>((_, reject) => {
    const spent = query.reject;
    query.reject = (err: unknown) => {
      reject(err instanceof Error ? err : new Error(String(err)));
      spent(err);
    };
  });
  const from = fs.createReadStream(file);
  try {
    await Promise.race([query.writable().then((into) => pipeline(from, into)), refused]);
  } finally {
    from.destroy();
  }
}

/** COPYs the dumped tables' files from `dir` back into their tables, and sets the sequences, inside the caller's transaction. */
export async function copyTablesIn(tx: postgres.TransactionSql, dir: string, tables: DumpedTable[], sequences: DumpedSequence[]): Promise<void> {
  for (const table of tables) await copyFileIn(tx, table, path.join(dir, table.file));
  for (const s of sequences) await tx.unsafe(`select setval($1::regclass, $2::bigint, $3)`, [qualified(s), s.lastValue, s.isCalled]);
}

/** The archived tables the database lacks and the database's tables the archive lacks, as one sentence's parts (none: they match). */
export function tableDifferences(present: { schema: string; name: string }[], archived: { schema: string; name: string }[]): string[] {
  const here = new Set(present.map(key));
  const there = new Set(archived.map(key));
  return [...[...there].filter((t) => !here.has(t)).map((t) => `${t} missing here`), ...[...here].filter((t) => !there.has(t)).map((t) => `${t} not in the archive`)];
}

/** Writes one COPY file per table into `dir`, from one snapshot. */
export async function dumpDatabase(url: string, dir: string): Promise<DatabaseDump> {
  const sql = connect(url);
  try {
    const known = new Map(releaseMigrations().map((m) => [m.hash, m.tag]));
    return await sql.begin('isolation level repeatable read read only', async (tx) => {
      const [{ server_version: serverVersion }] = (await tx`show server_version`) as unknown as [{ server_version: string }];
      const tables = await copyTablesOut(tx, dir, await tablesOf(tx));
      const sequences = await sequencesOf(tx);
      const applied = tables.some((t) => key(t) === key(MIGRATIONS_TABLE))
        ? await tx.unsafe<{ hash: string; created_at: string }[]>(`select hash, created_at::text from ${qualified(MIGRATIONS_TABLE)} order by created_at`)
        : [];
      const migrations = applied.map((m) => ({ hash: m.hash, createdAt: Number(m.created_at), tag: known.get(m.hash) }));
      return { serverVersion, tables, sequences, migrations };
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The database holds none of the product's tables (an existing product database is never overwritten). */
export async function databaseIsEmpty(url: string): Promise<{ empty: true } | { empty: false; tables: string[] }> {
  const sql = connect(url);
  try {
    const tables = (await tablesOf(sql)).map(key);
    return tables.length === 0 ? { empty: true } : { empty: false, tables };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * The migrations to apply before loading: the archive's, which must be the first ones of this release
 * in its order (a later release's archive is refused). The rest are applied by the next `npm start`.
 */
export function migrationsToApply(dump: DatabaseDump) {
  const release = readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR });
  const archived = dump.migrations;
  for (const [i, m] of archived.entries()) {
    if (release[i]?.hash !== m.hash) {
      throw new UserFacingError(
        `This archive's database has migration ${m.tag ?? `created at ${m.createdAt}`} (number ${i + 1}), which this release does not have at that place: ` +
          'restore it with the release that made it (its manifest names the version), then upgrade.',
      );
    }
  }
  return release.slice(0, archived.length);
}

/**
 * The foreign keys of the product's tables, as their definitions. A restore drops them, loads every
 * table, and adds them back, as pg_restore does: no load order to find (workflow definitions and their
 * versions reference each other), and adding them back checks every row as the constraint would have.
 */
async function foreignKeys(tx: postgres.TransactionSql) {
  return tx<{ table: string; name: string; definition: string }[]>`
    select k.conrelid::regclass::text as table, k.conname as name, pg_get_constraintdef(k.oid) as definition
    from pg_constraint k join pg_namespace n on n.oid = k.connamespace
    where k.contype = 'f' and n.nspname in ${tx(SCHEMAS)}
    order by 1, 2`;
}

/** Applies the archive's migrations to the empty database at `url` and loads the dump in `dir`, in one transaction. */
export async function loadDatabase(url: string, dir: string, dump: DatabaseDump): Promise<void> {
  const migrations = migrationsToApply(dump);
  const sql = connect(url);
  try {
    await sql.begin(async (tx) => {
      // As drizzle's migrator makes it; its rows come from the archive below.
      await tx.unsafe(`create schema if not exists ${ident(MIGRATIONS_TABLE.schema)}`);
      await tx.unsafe(`create table if not exists ${qualified(MIGRATIONS_TABLE)} (id serial primary key, hash text not null, created_at bigint)`);
      for (const migration of migrations) for (const statement of migration.sql) await tx.unsafe(statement);

      const differences = tableDifferences(await tablesOf(tx), dump.tables);
      if (differences.length > 0) {
        throw new UserFacingError(`The archive's tables do not match its migrations (${differences.join(', ')}); the archive is not one this release can load.`);
      }
      const keys = await foreignKeys(tx);
      for (const k of keys) await tx.unsafe(`alter table ${k.table} drop constraint ${ident(k.name)}`);
      await copyTablesIn(tx, dir, dump.tables, dump.sequences);
      for (const k of keys) await tx.unsafe(`alter table ${k.table} add constraint ${ident(k.name)} ${k.definition}`);
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
