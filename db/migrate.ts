import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { syncBuiltInCatalogue } from '../api/capabilities/sync.ts';
import { createDb } from './client.ts';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Applies the migrations, then writes the release's built-in capability catalogue (its data migration). */
export async function migrateDatabase(url: string): Promise<void> {
  const db = createDb(url, { max: 1 });
  try {
    await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    await syncBuiltInCatalogue(db);
  } finally {
    await db.$client.end({ timeout: 5 });
  }
}
