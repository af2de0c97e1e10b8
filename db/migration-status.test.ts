// Whether the database has this release's migrations: the journal against what Drizzle recorded (real PostgreSQL).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { freshDatabase, type TestDatabase } from '../tests/jest/db.ts';
import { journal, pendingMigrations } from './migration-status.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t?.close();
});

describe('pending migrations', () => {
  it('are none on a migrated database, and the newer ones when the database is behind the journal', async () => {
    const entries = journal();
    expect(entries.length).toBeGreaterThan(20);
    expect(await pendingMigrations(t.db)).toEqual([]);
    const later = [...entries, { tag: '9999_next_release', when: entries.at(-1)!.when + 1 }];
    expect(await pendingMigrations(t.db, later)).toEqual(['9999_next_release']);
    // A database a newer release migrated is current for this one (expand, then contract).
    expect(await pendingMigrations(t.db, entries.slice(0, -1))).toEqual([]);
  });

  it('are all of them on an empty database', async () => {
    await t.db.execute(sql`alter schema drizzle rename to drizzle_moved`);
    try {
      expect(await pendingMigrations(t.db)).toEqual(journal().map((e) => e.tag));
    } finally {
      await t.db.execute(sql`alter schema drizzle_moved rename to drizzle`);
    }
  });
});
