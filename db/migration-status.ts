// Whether the database has every migration this release ships: the migrations Drizzle recorded as applied
// (drizzle.__drizzle_migrations, one row per migration with the journal's `when` as created_at) against the
// journal in db/migrations/meta/_journal.json. Drizzle's migrator applies the journal's entries newer than
// the newest applied one, so the same comparison says what `npm run migrate` would still apply.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { MIGRATIONS_DIR } from './migrate.ts';

interface JournalEntry {
  tag: string;
  when: number;
}

export function journal(dir = MIGRATIONS_DIR): JournalEntry[] {
  const parsed = JSON.parse(fs.readFileSync(path.join(dir, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] };
  return parsed.entries.map(({ tag, when }) => ({ tag, when }));
}

/**
 * The journal's migrations the database lacks, oldest first (empty: current). A database ahead of the
 * journal (a newer release migrated it) is current for this release: migrations only expand until a
 * release that no longer needs the old shape contracts them.
 */
export async function pendingMigrations(db: Db, entries = journal()): Promise<string[]> {
  let newest: number | undefined;
  try {
    const rows = await db.execute<{ newest: string | null }>(sql`select max(created_at)::text as newest from drizzle.__drizzle_migrations`);
    newest = rows[0]?.newest == null ? undefined : Number(rows[0].newest);
  } catch (err) {
    // 42P01 / 3F000: no migrations table or schema yet, so nothing was applied (Drizzle wraps the driver's error).
    const e = err as { code?: string; cause?: { code?: string } };
    if (!['42P01', '3F000'].includes(e.code ?? e.cause?.code ?? '')) throw err;
  }
  return entries.filter((e) => newest === undefined || e.when > newest).map((e) => e.tag);
}
