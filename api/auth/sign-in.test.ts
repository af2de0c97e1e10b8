import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq } from 'drizzle-orm';
import { closeDb } from '../../db/client.ts';
import { auditEvents, signInAttempts } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS } from './rate-limit.ts';
import { signIn, TOO_MANY_ATTEMPTS, WRONG_CREDENTIALS } from './sign-in.ts';

let t: TestDatabase;
const PASSWORD = 'correct horse battery staple';
beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  const org = await ensureMspOrganization(t.db);
  for (const email of ['ok@example.com', 'victim@example.com', 'other@example.com']) {
    await createUser(t.db, { email, name: 'P', password: PASSWORD, role: 'msp_operator', organizationId: org.id });
  }
});
afterAll(async () => {
  await closeDb();
  await t.close();
});

const auditFor = (email: string) =>
  t.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'auth.sign_in'), eq(auditEvents.actorLabel, email)));

describe('sign-in (real PostgreSQL, real Argon2id)', () => {
  it('signs in with the right password and audits it', async () => {
    const result = await signIn(' OK@example.com ', PASSWORD, '127.0.0.1');
    expect(result.ok).toBe(true);
    expect(await auditFor('ok@example.com')).toEqual([expect.objectContaining({ outcome: 'success', targetType: 'session' })]);
  });

  it('gives one generic message for a wrong password and for an unknown account, and audits both', async () => {
    expect(await signIn('ok@example.com', 'Tr0ub4dor&3-typo', '127.0.0.2')).toEqual({ ok: false, message: WRONG_CREDENTIALS });
    expect(await signIn('nobody@example.com', 'whatever', '127.0.0.2')).toEqual({ ok: false, message: WRONG_CREDENTIALS });
    expect((await auditFor('ok@example.com')).map((e) => [e.outcome, e.reason])).toContainEqual(['failure', 'wrong password']);
    expect((await auditFor('nobody@example.com')).map((e) => [e.outcome, e.reason])).toEqual([['failure', 'unknown account']]);
    // The password typed is never stored, not even a wrong one.
    expect(JSON.stringify(await auditFor('ok@example.com'))).not.toContain('Tr0ub4dor');
  });

  it('blocks an account after repeated failures, even with the right password', async () => {
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT; i++) await signIn('victim@example.com', `guess ${i}`, `10.0.0.${i}`);
    expect(await signIn('victim@example.com', PASSWORD, '127.0.0.9')).toEqual({ ok: false, message: TOO_MANY_ATTEMPTS });
    expect((await auditFor('victim@example.com')).at(-1)).toMatchObject({ outcome: 'denied', reason: 'rate limited per account' });
  });

  it('blocks an address that fails across many accounts', async () => {
    const ip = '192.0.2.77';
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) await signIn(`spray${i}@example.com`, 'x', ip);
    expect(await signIn('other@example.com', PASSWORD, ip)).toEqual({ ok: false, message: TOO_MANY_ATTEMPTS });
    expect((await signIn('other@example.com', PASSWORD, '127.0.0.10')).ok).toBe(true);
  });
});

describe('sign-in throttling under concurrency', () => {
  it('checks no more than the allowed number of wrong passwords when guesses arrive together', async () => {
    const email = 'burst@example.com';
    const org = await ensureMspOrganization(t.db);
    await createUser(t.db, { email, name: 'B', password: PASSWORD, role: 'msp_operator', organizationId: org.id });
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => signIn(email, `burst guess ${i}`, `198.51.100.${i}`)));
    const checked = await t.db.select().from(signInAttempts).where(eq(signInAttempts.email, email));
    expect(checked).toHaveLength(MAX_FAILURES_PER_ACCOUNT);
    expect(results.filter((r) => !r.ok && r.message === TOO_MANY_ATTEMPTS)).toHaveLength(25 - MAX_FAILURES_PER_ACCOUNT);
  });
});
