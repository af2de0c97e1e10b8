// `npm run audit:verify`: walks the whole audit trail in order and checks each event's hash and its link
// to the event before it, so an event changed or removed behind the database trigger is named exactly.
// The database is found as `npm run admin:create` finds it (DATABASE_URL, or the embedded PostgreSQL).
import { eq } from 'drizzle-orm';
import { parseArgs } from 'node:util';
import { verifyAuditChain } from '../db/audit.ts';
import { createDb } from '../db/client.ts';
import { auditEvents } from '../db/schema.ts';
import { ConfigError, loadConfig } from './config.ts';
import { withDatabaseForScript } from './database-for-scripts.ts';
import { progress } from './progress.ts';
import { redactString } from './redact.ts';

const USAGE = `Usage: npm run audit:verify

Checks that the audit trail is intact: every event's content matches its hash, and every event links
to the one before it, so an event changed or removed in the database (behind the append-only trigger)
is detected and named.

The database is DATABASE_URL when set; otherwise the embedded PostgreSQL in the data folder (DATA_DIR),
used while \`npm start\` runs it, or started for the moment and stopped again. Nothing is written.
Exit codes: 0 intact, 1 broken (the first event that does not fit is named), 2 could not check.`;

/** The check could not be made (bad input, unreachable or unmigrated database): exit code 2. */
class CannotCheckError extends Error {}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function innermost(err: unknown): { message: string; code?: string } {
  let cause = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  const message = redactString(cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!;
  return { message, code: (cause as { code?: string } | undefined)?.code };
}

async function verify(url: string): Promise<number> {
  const db = createDb(url, { max: 1 });
  try {
    const verdict = await verifyAuditChain(db).catch((err: unknown) => {
      const { message, code } = innermost(err);
      if (code === '42P01') throw new CannotCheckError('This database has no audit trail yet: its migrations have not been applied (`npm start` applies them).');
      throw new CannotCheckError(`Could not read the audit trail (${message}); check that the database is reachable and DATABASE_URL is right.`);
    });
    if (verdict.ok) {
      console.log(`Audit chain intact: ${plural(verdict.checked, 'event', 'events')} checked.`);
      return 0;
    }
    const [event] = await db.select({ at: auditEvents.at, action: auditEvents.action }).from(auditEvents).where(eq(auditEvents.id, verdict.eventId));
    const where = event ? ` (${event.at.toISOString()}, ${event.action})` : '';
    const before = verdict.checked === 1 ? '1 event before it is intact' : `${verdict.checked} events before it are intact`;
    console.error(`Audit chain broken at event #${verdict.eventId}${where}: ${verdict.problem}. ${before}.`);
    return 1;
  } finally {
    await db.$client.end({ timeout: 5 });
  }
}

async function main(): Promise<number> {
  let help: boolean;
  try {
    help = parseArgs({ args: process.argv.slice(2), options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values.help ?? false;
  } catch (err) {
    throw new CannotCheckError(`${(err as Error).message.split('\n')[0]} (run with --help for the usage).`);
  }
  if (help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig(process.env);
  return withDatabaseForScript(config, verify);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CannotCheckError || err instanceof ConfigError) progress.fail(err.message);
    else progress.fail(`Verifying the audit trail failed: ${redactString((err as Error).stack ?? String(err))}`);
    process.exit(2);
  },
);
