// `npm run admin:create -- --email <address>`: adds another MSP admin. The password comes from
// ADMIN_PASSWORD, or is generated and printed once. The database is DATABASE_URL when set; otherwise the
// embedded PostgreSQL of the data folder: the one `npm start` is running, or started just for this.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createDb } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { findUserByEmail, normalizeEmail } from '../db/users.ts';
import { loadConfig, type Config } from './config.ts';
import { withDatabaseForScript } from './database-for-scripts.ts';
import { createMspAdmin, printGeneratedPassword } from './first-admin.ts';
import { progress, timed, UserFacingError } from './progress.ts';
import { runScriptMain } from './script-exit.ts';
import { redactString } from './redact.ts';

const USAGE = `Usage: npm run admin:create -- [--email <address>]

Creates an additional MSP admin (full access to every organization).

  --email <address>  the new admin's email (default: ADMIN_EMAIL, else admin@example.com)
  --help             show this text

The password is ADMIN_PASSWORD when set (at least 12 characters); otherwise one is generated and
printed once. The database is DATABASE_URL when set; otherwise the embedded PostgreSQL in the data
folder (DATA_DIR), used while \`npm start\` runs it, or started for the moment and stopped again.
Exit codes: 0 created, 2 bad input (nothing written), 1 any other failure.`;

/** Bad input from the person running the command: one sentence, exit code 2, nothing written. */
class InputError extends Error {}

const MIN_PASSWORD = 12;

function parseCommandLine(argv: string[]): { email?: string; help: boolean } {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return { email: values.email, help: values.help ?? false };
  } catch (err) {
    throw new InputError(`${(err as Error).message.split('\n')[0]} (run with --help for the usage).`);
  }
}

function validateInput(args: { email?: string }, env: NodeJS.ProcessEnv): { email: string; emailField: string; password?: string; config: Config } {
  const password = env.ADMIN_PASSWORD;
  // Checked before loadConfig, so the message names the field plainly.
  if (password !== undefined && password.length < MIN_PASSWORD) {
    throw new InputError(`ADMIN_PASSWORD must have at least ${MIN_PASSWORD} characters; set a longer one, or unset it to get a generated password.`);
  }
  // ADMIN_EMAIL only matters when --email is missing: a malformed one must not block an explicit --email.
  // A bad setting throws ConfigError, whose message names the variable.
  const config = loadConfig(args.email !== undefined ? { ...env, ADMIN_EMAIL: undefined } : env);
  if (args.email === undefined) return { email: normalizeEmail(config.ADMIN_EMAIL), emailField: 'ADMIN_EMAIL', password, config };
  const email = normalizeEmail(args.email);
  if (!z.email().safeParse(email).success) {
    throw new InputError(`--email "${args.email}" is not a valid email address.`);
  }
  return { email, emailField: '--email', password, config };
}

const innermostMessage = (err: unknown): string => {
  let cause = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return redactString(cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!;
};

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const { email, emailField, password, config } = validateInput(args, process.env);

  // An embedded PostgreSQL started for this command is stopped again, also on Ctrl-C.
  await withDatabaseForScript(config, async (url) => {
    await timed('Applying database migrations', () => migrateDatabase(url)).catch((err: unknown) => {
      throw new UserFacingError(`Database migrations failed (${innermostMessage(err)}); check that the database is reachable and DATABASE_URL is right.`);
    });
    const db = createDb(url, { max: 1 });
    try {
      if (await findUserByEmail(db, email)) {
        throw new InputError(`${emailField}: a person with the email ${email} already exists; choose another email.`);
      }
      const admin = await createMspAdmin(db, email, password);
      progress.ok(`Created the MSP admin ${admin.email}${password ? ' with the password from ADMIN_PASSWORD' : ''}`);
      printGeneratedPassword(admin, 'New MSP admin');
    } finally {
      await db.$client.end({ timeout: 5 });
    }
  });
  return 0;
}

runScriptMain(main, { badInput: [InputError], failed: 'Creating the MSP admin failed' });
