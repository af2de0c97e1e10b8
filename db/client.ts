import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { loadConfig } from '../infra/config.ts';
import * as schema from './schema.ts';

export type Db = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };
/** A transaction handle, as passed to `db.transaction(async (tx) => …)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Either: for functions that only query, so callers may run them inside a transaction. */
export type Executor = Db | Tx;

export function createDb(url: string, opts: { max?: number } = {}): Db {
  const client = postgres(url, { max: opts.max ?? 10, onnotice: () => {} });
  return drizzle(client, { schema }) as Db;
}

// Kept on globalThis because the web process loads this module twice (web/server.ts directly, and the
// console's server bundle has its own copy); both must share one connection pool.
const holder = globalThis as { __anthropyDb?: Db };

/** The process-wide database handle, from DATABASE_URL. */
export function getDb(): Db {
  if (!holder.__anthropyDb) {
    const url = loadConfig().DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set');
    holder.__anthropyDb = createDb(url);
  }
  return holder.__anthropyDb;
}

export async function closeDb(): Promise<void> {
  const db = holder.__anthropyDb;
  holder.__anthropyDb = undefined;
  await db?.$client.end({ timeout: 5 });
}
