// Serializes work on one key across every process: a transaction-scoped PostgreSQL advisory lock.
// The work runs on the lock's own connection (the `tx` it is given), so waiting requests cannot exhaust
// the connection pool while the holder needs a connection.
import { sql } from 'drizzle-orm';
import type { Db, Tx } from './client.ts';

export async function withLocks<T>(db: Db, keys: string[], work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // Always in the same order, so two requests taking two locks cannot deadlock.
    for (const key of [...new Set(keys)].sort()) await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
    return work(tx);
  });
}
