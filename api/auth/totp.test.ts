import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { generateHOTP } from '@oslojs/otp';
import { eq, inArray } from 'drizzle-orm';
import { closeDb } from '../../db/client.ts';
import { auditEvents, recoveryCodes, sessions, settings, users } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';
import { open } from '../../infra/secret-box.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import type { Actor } from '../authz.ts';
import { ConflictError, ForbiddenError, InvalidInputError } from '../errors.ts';
import { authenticate } from './authenticate.ts';
import { createSession, validateSessionToken, type Session } from './sessions.ts';
import {
  beginEnrolment,
  confirmEnrolment,
  disableTwoFactor,
  getTwoFactorStatus,
  MAX_CODE_FAILURES,
  RECOVERY_CODE_COUNT,
  regenerateRecoveryCodes,
  TooManyCodeAttemptsError,
  verifySecondFactor,
  type TwoFactorContext,
} from './totp.ts';
import { REQUIRE_MFA_FOR_MSP_STAFF, twoFactorState } from './two-factor-state.ts';

let t: TestDatabase;
let mspOrgId: string;

// Times in the middle of a 30-second step, so a step cannot roll over during a test. Enrolment is
// confirmed at T0; signing in happens at T1, five steps later.
const STEP_MS = 30_000;
const T0 = Math.floor(Date.now() / STEP_MS) * STEP_MS + STEP_MS / 2;
const T1 = T0 + 5 * STEP_MS;
const stepOf = (ms: number) => Math.floor(ms / STEP_MS);
const codeAt = (key: Uint8Array, step: number) => generateHOTP(key, BigInt(step), 6);

// Every secret the tests see, to check that none reached the audit trail.
const secretsSeen = new Set<string>();
const remember = (...values: string[]) => {
  for (const v of values) secretsSeen.add(v);
};

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  ({ id: mspOrgId } = await ensureMspOrganization(t.db));
});
afterAll(async () => {
  await closeDb();
  await t.close();
});

let n = 0;
async function person(role: Actor['role'] = 'msp_operator') {
  const email = `person${++n}@example.com`;
  const { id } = await createUser(t.db, { email, name: `Person ${n}`, password: 'correct horse battery staple', role, organizationId: mspOrgId });
  const actor: Actor = { kind: 'person', userId: id, email, name: `Person ${n}`, role, organizationId: mspOrgId };
  const ctx = (now = T0): TwoFactorContext => ({ db: t.db, actor, now, ip: '127.0.0.1' });
  return { id, email, actor, ctx };
}

/** A person with two-factor on (confirmed at T0), their key and recovery codes. */
async function enrolled(role: Actor['role'] = 'msp_operator') {
  const p = await person(role);
  const { secretBase32 } = await beginEnrolment(p.ctx());
  const key = decodeBase32IgnorePadding(secretBase32);
  const code = codeAt(key, stepOf(T0));
  const { recoveryCodes: codes } = await confirmEnrolment(p.ctx(), code);
  remember(secretBase32, code, ...codes, ...codes.map((c) => c.replace('-', '')));
  return { ...p, key, codes, secretBase32 };
}

async function signedIn(userId: string): Promise<{ token: string; session: Session }> {
  const { token } = await createSession(userId);
  const session = await validateSessionToken(token);
  return { token, session: session! };
}

const userRow = async (id: string) => (await t.db.select().from(users).where(eq(users.id, id)))[0]!;
const sessionVerified = async (id: string) => (await t.db.select().from(sessions).where(eq(sessions.id, id)))[0]!.twoFactorVerified;
const auditOf = (userId: string, action: string) =>
  t.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.actorId, userId))
    .then((rows) => rows.filter((r) => r.action === action));

describe('turning two-factor sign-in on', () => {
  it('stores the new key sealed and pending, and gives the secret and an otpauth URI', async () => {
    const p = await person();
    const { secretBase32, uri } = await beginEnrolment(p.ctx());
    remember(secretBase32);
    expect(secretBase32).toMatch(/^[A-Z2-7]{32}$/); // 20 bytes
    expect(uri).toMatch(/^otpauth:\/\/totp\/Anthropy%20Works:person\d+%40example\.com\?/);
    expect(new URL(uri).searchParams.get('issuer')).toBe('Anthropy Works');
    expect(new URL(uri).searchParams.get('secret')).toBe(secretBase32);
    const row = await userRow(p.id);
    expect(row.totpEnabledAt).toBeNull();
    expect(row.totpKeyEncrypted).toMatch(/^v1\./);
    expect(row.totpKeyEncrypted!.toUpperCase()).not.toContain(secretBase32);
    const key = open(row.totpKeyEncrypted!, `totp:${p.id}`);
    expect(Buffer.from(key).equals(Buffer.from(decodeBase32IgnorePadding(secretBase32)))).toBe(true);
    // Sealed for this person only: another record's context cannot open it.
    expect(() => open(row.totpKeyEncrypted!, `totp:${crypto.randomUUID()}`)).toThrow();
    expect((await getTwoFactorStatus(p.ctx())).pending?.secretBase32).toBe(secretBase32);
  });

  it('refuses a malformed or wrong code and leaves two-factor off', async () => {
    const p = await person();
    const { secretBase32 } = await beginEnrolment(p.ctx());
    const key = decodeBase32IgnorePadding(secretBase32);
    for (const bad of ['12345', '1234567', 'abcdef', '']) {
      await expect(confirmEnrolment(p.ctx(), bad)).rejects.toMatchObject({ fieldErrors: { code: expect.stringContaining('6-digit') } });
    }
    const wrong = codeAt(key, stepOf(T0) + 3); // a real code, but of another time
    remember(wrong);
    const err = await confirmEnrolment(p.ctx(), wrong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).fieldErrors.code).toBeTruthy();
    const row = await userRow(p.id);
    expect(row.totpEnabledAt).toBeNull();
    expect(await t.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, p.id))).toHaveLength(0);
    expect((await auditOf(p.id, 'account.two_factor.enable')).map((e) => [e.outcome, e.reason])).toEqual([['failure', 'wrong code']]);
  });

  it('turns on with the right code and returns 10 recovery codes, of which only hashes are stored', async () => {
    const p = await enrolled();
    expect(p.codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(p.codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const c of p.codes) expect(c).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    const row = await userRow(p.id);
    expect(row.totpEnabledAt).not.toBeNull();
    expect(row.totpLastStep).toBe(stepOf(T0));
    const stored = await t.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, p.id));
    expect(stored).toHaveLength(RECOVERY_CODE_COUNT);
    const storedText = JSON.stringify(stored);
    for (const c of p.codes) {
      expect(storedText).not.toContain(c);
      expect(storedText).not.toContain(c.replace('-', ''));
    }
    for (const s of stored) expect(s.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await auditOf(p.id, 'account.two_factor.enable')).map((e) => e.outcome)).toEqual(['success']);
    await expect(beginEnrolment(p.ctx())).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('signing in with the second factor', () => {
  it('a session of a person with two-factor on is not complete until a current code is given', async () => {
    const p = await enrolled();
    const { token, session } = await signedIn(p.id);
    expect(await twoFactorState(t.db, session)).toBe('code_needed');
    expect(await authenticate(t.db, { sessionToken: token })).toBeNull();

    const code = codeAt(p.key, stepOf(T1));
    remember(code);
    await expect(verifySecondFactor(t.db, session, { code }, '127.0.0.1', T1)).resolves.toEqual({ method: 'totp' });
    expect(await sessionVerified(session.id)).toBe(true);
    const again = (await validateSessionToken(token))!;
    expect(await twoFactorState(t.db, again)).toBe('complete');
    expect(await authenticate(t.db, { sessionToken: token })).toMatchObject({ userId: p.id });
    expect((await userRow(p.id)).totpLastStep).toBe(stepOf(T1));
  });

  it('accepts a code of the previous step once, refuses it when reused, and still takes the current code', async () => {
    const p = await enrolled();
    const { session } = await signedIn(p.id);
    const previous = codeAt(p.key, stepOf(T1) - 1);
    remember(previous);
    await verifySecondFactor(t.db, session, { code: previous }, '127.0.0.1', T1);
    expect(await sessionVerified(session.id)).toBe(true);

    const other = (await signedIn(p.id)).session;
    await expect(verifySecondFactor(t.db, other, { code: previous }, '127.0.0.1', T1)).rejects.toMatchObject({ fieldErrors: { code: expect.any(String) } });
    expect(await sessionVerified(other.id)).toBe(false);
    expect((await auditOf(p.id, 'auth.two_factor')).map((e) => [e.outcome, e.reason])).toEqual([
      ['success', null],
      ['failure', 'code already used'],
    ]);

    const current = codeAt(p.key, stepOf(T1));
    remember(current);
    await verifySecondFactor(t.db, other, { code: current }, '127.0.0.1', T1);
    expect(await sessionVerified(other.id)).toBe(true);
    // And the current code, used once, is not accepted again either.
    const third = (await signedIn(p.id)).session;
    await expect(verifySecondFactor(t.db, third, { code: current }, '127.0.0.1', T1)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('refuses the code used to turn two-factor on', async () => {
    const p = await enrolled();
    const { session } = await signedIn(p.id);
    await expect(verifySecondFactor(t.db, session, { code: codeAt(p.key, stepOf(T0)) }, '127.0.0.1', T0 + 10_000)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('refuses codes two steps away, before or after', async () => {
    const p = await enrolled();
    const { session } = await signedIn(p.id);
    for (const step of [stepOf(T1) - 2, stepOf(T1) + 2]) {
      const code = codeAt(p.key, step);
      remember(code);
      await expect(verifySecondFactor(t.db, session, { code }, '127.0.0.1', T1)).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(await sessionVerified(session.id)).toBe(false);
    expect((await auditOf(p.id, 'auth.two_factor')).map((e) => [e.outcome, e.reason])).toEqual([
      ['failure', 'wrong code'],
      ['failure', 'wrong code'],
    ]);
    // The next step's code is inside the window (clock drift).
    const next = codeAt(p.key, stepOf(T1) + 1);
    remember(next);
    await verifySecondFactor(t.db, session, { code: next }, '127.0.0.1', T1);
    expect(await sessionVerified(session.id)).toBe(true);
  });

  it('insists on exactly 6 digits', async () => {
    const p = await enrolled();
    const { session } = await signedIn(p.id);
    for (const code of ['12345', '1234567', '12a456', '', undefined]) {
      await expect(verifySecondFactor(t.db, session, { code }, '127.0.0.1', T1)).rejects.toMatchObject({ fieldErrors: { code: expect.stringContaining('6-digit') } });
    }
    await expect(verifySecondFactor(t.db, session, { recoveryCode: 'not-a-code!' }, '127.0.0.1', T1)).rejects.toMatchObject({ fieldErrors: { recoveryCode: expect.any(String) } });
  });

  it('accepts a recovery code once, and not twice', async () => {
    const p = await enrolled();
    const first = (await signedIn(p.id)).session;
    // Case and the dash do not matter when it is typed.
    await expect(verifySecondFactor(t.db, first, { recoveryCode: ` ${p.codes[0]!.toUpperCase().replace('-', '')} ` }, '127.0.0.1', T1)).resolves.toEqual({
      method: 'recovery_code',
    });
    expect(await sessionVerified(first.id)).toBe(true);
    const used = await t.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, p.id));
    expect(used.filter((r) => r.usedAt)).toHaveLength(1);

    const second = (await signedIn(p.id)).session;
    await expect(verifySecondFactor(t.db, second, { recoveryCode: p.codes[0]! }, '127.0.0.1', T1)).rejects.toMatchObject({ fieldErrors: { recoveryCode: expect.any(String) } });
    expect(await sessionVerified(second.id)).toBe(false);
    expect((await getTwoFactorStatus(p.ctx(T1))).recoveryCodesLeft).toBe(RECOVERY_CODE_COUNT - 1);
  });

  it(`locks further attempts after ${MAX_CODE_FAILURES} wrong codes, even the right one`, async () => {
    const p = await enrolled();
    const { session } = await signedIn(p.id);
    const right = codeAt(p.key, stepOf(T1));
    const wrong = right === '000000' ? '000001' : '000000';
    remember(right, wrong);
    for (let i = 0; i < MAX_CODE_FAILURES; i++) {
      await expect(verifySecondFactor(t.db, session, { code: wrong }, '127.0.0.1', T1)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(verifySecondFactor(t.db, session, { code: right }, '127.0.0.1', T1)).rejects.toBeInstanceOf(TooManyCodeAttemptsError);
    await expect(verifySecondFactor(t.db, session, { recoveryCode: p.codes[1]! }, '127.0.0.1', T1)).rejects.toBeInstanceOf(TooManyCodeAttemptsError);
    expect(await sessionVerified(session.id)).toBe(false);
    expect((await userRow(p.id)).totpLastStep).toBe(stepOf(T0)); // the right code was not even checked
    const outcomes = (await auditOf(p.id, 'auth.two_factor')).map((e) => e.outcome);
    expect(outcomes).toEqual([...Array<string>(MAX_CODE_FAILURES).fill('failure'), 'denied', 'denied']);
    // Another person is not affected.
    const q = await enrolled();
    const other = (await signedIn(q.id)).session;
    const qCode = codeAt(q.key, stepOf(T1));
    remember(qCode);
    await verifySecondFactor(t.db, other, { code: qCode }, '127.0.0.1', T1);
    expect(await sessionVerified(other.id)).toBe(true);
  });
});

describe('managing two-factor sign-in', () => {
  it('new recovery codes replace the old ones (with a current code)', async () => {
    const p = await enrolled('company_user');
    const code = codeAt(p.key, stepOf(T1));
    remember(code);
    await expect(regenerateRecoveryCodes(p.ctx(T1), '000')).rejects.toBeInstanceOf(InvalidInputError);
    const { recoveryCodes: fresh } = await regenerateRecoveryCodes(p.ctx(T1), code);
    remember(...fresh);
    expect(fresh).toHaveLength(RECOVERY_CODE_COUNT);
    expect(fresh.some((c) => p.codes.includes(c))).toBe(false);
    const { session } = await signedIn(p.id);
    await expect(verifySecondFactor(t.db, session, { recoveryCode: p.codes[0]! }, '127.0.0.1', T1)).rejects.toBeInstanceOf(InvalidInputError);
    await verifySecondFactor(t.db, session, { recoveryCode: fresh[0]! }, '127.0.0.1', T1);
    expect(await sessionVerified(session.id)).toBe(true);
  });

  it('turns off with a recovery code, not with a wrong code', async () => {
    const p = await enrolled('company_admin');
    await expect(disableTwoFactor(p.ctx(T1), '123')).rejects.toBeInstanceOf(InvalidInputError);
    const wrong = codeAt(p.key, stepOf(T1) + 4);
    remember(wrong);
    await expect(disableTwoFactor(p.ctx(T1), wrong)).rejects.toBeInstanceOf(InvalidInputError);
    expect((await userRow(p.id)).totpEnabledAt).not.toBeNull();
    await disableTwoFactor(p.ctx(T1), p.codes[2]!);
    const row = await userRow(p.id);
    expect([row.totpEnabledAt, row.totpKeyEncrypted, row.totpLastStep]).toEqual([null, null, null]);
    expect(await t.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, p.id))).toHaveLength(0);
    const { session } = await signedIn(p.id);
    expect(await twoFactorState(t.db, session)).toBe('complete');
    expect((await auditOf(p.id, 'account.two_factor.disable')).map((e) => e.outcome)).toEqual(['failure', 'success']);
  });

  it('refuses to turn off for MSP staff while the MSP requires it, and an API token cannot manage it', async () => {
    const p = await enrolled('msp_admin');
    await t.db.insert(settings).values({ key: REQUIRE_MFA_FOR_MSP_STAFF, value: true });
    try {
      const code = codeAt(p.key, stepOf(T1));
      remember(code);
      await expect(disableTwoFactor(p.ctx(T1), code)).rejects.toBeInstanceOf(ForbiddenError);
      expect((await userRow(p.id)).totpEnabledAt).not.toBeNull();
      expect((await auditOf(p.id, 'account.two_factor.disable')).map((e) => e.outcome)).toEqual(['denied']);
      expect((await getTwoFactorStatus(p.ctx(T1))).requiredForMe).toBe(true);
    } finally {
      await t.db.delete(settings).where(eq(settings.key, REQUIRE_MFA_FOR_MSP_STAFF));
    }
    const tokenCtx: TwoFactorContext = { db: t.db, actor: { ...p.actor, kind: 'api_token', tokenId: crypto.randomUUID() }, now: T1 };
    await expect(disableTwoFactor(tokenCtx, p.codes[0]!)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(beginEnrolment(tokenCtx)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('turning on marks only the confirming session as verified; the person’s other sessions must give a code', async () => {
    const p = await person('company_user');
    const mine = await signedIn(p.id);
    const elsewhere = await signedIn(p.id);
    const { secretBase32 } = await beginEnrolment(p.ctx());
    const key = decodeBase32IgnorePadding(secretBase32);
    const code = codeAt(key, stepOf(T0));
    const { recoveryCodes: codes } = await confirmEnrolment({ ...p.ctx(), session: { id: mine.session.id } }, code);
    remember(secretBase32, code, ...codes);
    expect(await twoFactorState(t.db, (await validateSessionToken(mine.token))!)).toBe('complete');
    expect(await twoFactorState(t.db, (await validateSessionToken(elsewhere.token))!)).toBe('code_needed');
  });
});

describe('the audit trail', () => {
  it('records every two-factor event and never a key or a code', async () => {
    const rows = await t.db
      .select()
      .from(auditEvents)
      .where(
        inArray(auditEvents.action, [
          'auth.two_factor',
          'account.two_factor.enable',
          'account.two_factor.enrolment_start',
          'account.two_factor.disable',
          'account.two_factor.recovery_codes_regenerate',
        ]),
      );
    expect(rows.length).toBeGreaterThan(20);
    // Hashes are left out: a 6-digit run may occur in hex by chance.
    const text = JSON.stringify(rows.map(({ actorLabel, reason, details, targetId, targetType, action }) => ({ actorLabel, reason, details, targetId, targetType, action })));
    expect(secretsSeen.size).toBeGreaterThan(30);
    for (const secret of secretsSeen) expect(text).not.toContain(secret);
    const sealed = (await t.db.select({ k: users.totpKeyEncrypted }).from(users)).flatMap((r) => (r.k ? [r.k] : []));
    for (const s of sealed) expect(text).not.toContain(s);
  });
});
