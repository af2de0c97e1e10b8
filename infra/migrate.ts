// Applies the database migrations (db/migrations) to DATABASE_URL and exits: the `migrate` service of
// docker-compose.yml runs it before the web console and the worker start. When ADMIN_EMAIL and
// ADMIN_PASSWORD are both set and nobody exists yet, it also creates the first MSP admin, so a Compose
// deployment can be signed in to (the password is never printed).
import { createDb } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { ConfigError, loadConfig } from './config.ts';
import { ensureFirstAdmin } from './first-admin.ts';
import { progress } from './progress.ts';
import { redactString } from './redact.ts';

// Drizzle wraps the driver's error; the innermost message is the one that says what went wrong.
function innermostMessage(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return redactString(cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!;
}

/** The first admin's credentials when both are set (empty counts as unset), validated like loadConfig. */
function firstAdminSettings(env: NodeJS.ProcessEnv): { email: string; password: string } | undefined {
  const email = env.ADMIN_EMAIL || undefined;
  const password = env.ADMIN_PASSWORD || undefined;
  if (!email || !password) return undefined;
  // Only these two are validated here: the other settings belong to the web console and the worker.
  const config = loadConfig({ HOME: env.HOME, ADMIN_EMAIL: email, ADMIN_PASSWORD: password });
  return { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD! };
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    progress.fail('DATABASE_URL is not set: set it to the PostgreSQL server the product should use, then run this again.');
    process.exit(1);
  }
  let admin: { email: string; password: string } | undefined;
  try {
    admin = firstAdminSettings(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    progress.fail(err.message);
    process.exit(1);
  }
  try {
    await migrateDatabase(url);
  } catch (err) {
    progress.fail(`Database migrations failed (${innermostMessage(err)}); check that PostgreSQL is reachable and DATABASE_URL is right.`);
    process.exit(1);
  }
  progress.ok('Database migrations applied');

  if (!admin) return;
  const db = createDb(url, { max: 1 });
  try {
    const created = await ensureFirstAdmin(db, admin.email, admin.password);
    if (created) progress.ok(`Created the first MSP admin ${created.email} (password from ADMIN_PASSWORD)`);
    else progress.ok('People already exist: ADMIN_EMAIL and ADMIN_PASSWORD were not needed');
  } catch (err) {
    progress.fail(`Creating the first MSP admin failed (${innermostMessage(err)}).`);
    process.exit(1);
  } finally {
    await db.$client.end({ timeout: 5 });
  }
}

await main();
