// Applies the database migrations (db/migrations) to DATABASE_URL and exits: the `migrate` service of
// docker-compose.yml runs it before the web console and the worker start.
import { migrateDatabase } from '../db/migrate.ts';
import { progress } from './progress.ts';
import { redactString } from './redact.ts';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    progress.fail('DATABASE_URL is not set: set it to the PostgreSQL server the product should use, then run this again.');
    process.exit(1);
  }
  try {
    await migrateDatabase(url);
  } catch (err) {
    // Drizzle wraps the driver's error; the innermost message is the one that says what went wrong.
    let cause: unknown = err;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    const detail = redactString(cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
    progress.fail(`Database migrations failed (${detail}); check that PostgreSQL is reachable and DATABASE_URL is right.`);
    process.exit(1);
  }
  progress.ok('Database migrations applied');
}

await main();
