// Shared helper for integration tests: each test file gets its own freshly migrated database on the
// run's PostgreSQL server, so files running in parallel never see each other's rows.
import crypto from 'node:crypto';
import postgres from 'postgres';
import { closeDb, createDb, type Db } from '../../db/client.ts';
import { migrateDatabase } from '../../db/migrate.ts';

export interface TestDatabase {
  url: string;
  db: Db;
  close(): Promise<void>;
}

/** A new, empty database on the run's PostgreSQL server (`serverUrl`: its DATABASE_URL); its URL. */
export async function emptyDatabase(serverUrl = process.env.DATABASE_URL): Promise<URL> {
  if (!serverUrl) throw new Error('DATABASE_URL is not set: run integration tests through Jest (tests/jest/global-setup.ts)');
  const name = `test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url;
}

export async function freshDatabase(): Promise<TestDatabase> {
  const url = await emptyDatabase();
  await migrateDatabase(url.toString());
  const db = createDb(url.toString(), { max: 4 });
  return {
    url: url.toString(),
    db,
    // Services the file called (sessions, sign-in) may have opened the process-wide pool on DATABASE_URL:
    // its open sockets would keep the Jest worker from exiting.
    close: async () => {
      await db.$client.end({ timeout: 5 });
      await closeDb();
    },
  };
}
