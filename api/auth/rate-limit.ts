// Sign-in throttling, per account and per address, counted in PostgreSQL so it holds across restarts and
// across several web processes.
import { and, count, eq, gt } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { signInAttempts } from '../../db/schema.ts';

export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

export async function signInBlocked(db: Executor, email: string, ip: string): Promise<'account' | 'address' | null> {
  const since = new Date(Date.now() - SIGN_IN_WINDOW_MS);
  const failures = (column: typeof signInAttempts.email | typeof signInAttempts.ip, value: string) =>
    db
      .select({ n: count() })
      .from(signInAttempts)
      .where(and(eq(column, value), eq(signInAttempts.succeeded, false), gt(signInAttempts.at, since)));
  const [[byAccount], [byAddress]] = await Promise.all([failures(signInAttempts.email, email), failures(signInAttempts.ip, ip)]);
  if (byAccount!.n >= MAX_FAILURES_PER_ACCOUNT) return 'account';
  if (byAddress!.n >= MAX_FAILURES_PER_ADDRESS) return 'address';
  return null;
}

export async function recordSignInAttempt(db: Executor, email: string, ip: string, succeeded: boolean): Promise<void> {
  await db.insert(signInAttempts).values({ email, ip, succeeded });
}
