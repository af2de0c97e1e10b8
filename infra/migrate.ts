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

/**
 * DATABASE_URL, and the first admin's credentials when both are set (empty counts as unset), validated
 * by loadConfig. Only these are read here: the other settings belong to the web console and the worker.
 */
function migrationSettings(env: NodeJS.ProcessEnv): { url?: string; admin?: { email: string; password: string } } {
  const bothAdminSettings = Boolean(env.ADMIN_EMAIL && env.ADMIN_PASSWORD);
  const config = loadConfig({
    HOME: env.HOME,
    DATABASE_URL: env.DATABASE_URL,
    ...(bothAdminSettings ? { ADMIN_EMAIL: env.ADMIN_EMAIL, ADMIN_PASSWORD: env.ADMIN_PASSWORD } : {}),
  });
  return { url: config.DATABASE_URL, admin: bothAdminSettings ? { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD! } : undefined };
}

async function main(): Promise<void> {
  let settings: ReturnType<typeof migrationSettings>;
  try {
    settings = migrationSettings(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    progress.fail(err.message);
    process.exit(1);
  }
  const { url, admin } = settings;
  if (!url) {
    progress.fail('DATABASE_URL is not set: set it to the PostgreSQL server the product should use, then run this again.');
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
