// Two-factor sign-in with TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps) and one-time recovery
// codes. The key is sealed at rest (infra/secret-box.ts, context `totp:<userId>`); a recovery code is kept
// only as its SHA-256. A code is accepted in the current step or one step either side, and never twice:
// the last accepted step is stored, and a code of that step or an earlier one is refused. Every check is
// audited (never with the key or a code) and wrong codes are throttled per person, counted in
// sign_in_attempts under `2fa:<userId>` so the limit holds across restarts and web processes.
import crypto from 'node:crypto';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase32LowerCaseNoPadding, encodeBase32UpperCaseNoPadding } from '@oslojs/encoding';
import { createTOTPKeyURI, generateHOTP } from '@oslojs/otp';
import { and, count, eq, gt, isNotNull, isNull, lt, max, or } from 'drizzle-orm';
import { recordAudit } from '../../db/audit.ts';
import { withLocks } from '../../db/advisory-lock.ts';
import type { Db, Executor } from '../../db/client.ts';
import { recoveryCodes, sessions, signInAttempts, users } from '../../db/schema.ts';
import { open, seal } from '../../infra/secret-box.ts';
import { configuredKek } from '../../infra/secrets/kek.ts';
import { isDataKeySealed, openSecret } from '../../infra/secrets/sealed.ts';
import { filedUnderActor, recordActorEvent, recordDenied } from '../audit/record.ts';
import { authorize, isMspStaff, type ServiceContext } from '../authz.ts';
import { AppError, ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { markSessionTwoFactorVerified, type Session } from './sessions.ts';
import { hashToken } from './token-hash.ts';
import { mfaRequiredForMspStaff } from './two-factor-state.ts';

export const TOTP_ISSUER = 'Anthropy Works';
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one (clock drift, a code typed as it changes). */
export const TOTP_WINDOW_STEPS = 1;
const KEY_BYTES = 20;
export const RECOVERY_CODE_COUNT = 10;
export const MAX_CODE_FAILURES = 5;
export const CODE_FAILURE_WINDOW_MS = 15 * 60 * 1000;

export const TOO_MANY_CODE_ATTEMPTS = 'Too many wrong codes. Wait 15 minutes and try again.';
export const WRONG_CODE = 'That code is not valid or was already used. Wait for the next code from your app and try again.';
export const WRONG_RECOVERY_CODE = 'That recovery code is not valid or was already used.';
export const CODE_FORMAT = 'Enter the 6-digit code from your authenticator app.';
export const RECOVERY_CODE_FORMAT = 'Enter a recovery code: 10 letters and digits, like abcde-23456.';
const CODE_OR_RECOVERY_FORMAT = 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.';

/** Refused because of too many wrong codes; nothing was checked. */
export class TooManyCodeAttemptsError extends AppError {
  constructor() {
    super(429, 'Too Many Requests', TOO_MANY_CODE_ATTEMPTS);
  }
}

/**
 * The service context, plus what the console knows about the request: the session (so the session that
 * just proved a code counts as verified), the client address (for the audit and throttle rows) and,
 * for tests, the clock.
 */
export interface TwoFactorContext extends ServiceContext {
  session?: { id: string };
  ip?: string;
  now?: number;
}

type UserRow = typeof users.$inferSelect;
type Factor = { kind: 'totp'; code: string } | { kind: 'recovery_code'; code: string };

/** What a TOTP key is bound to (associated data), whichever way it is sealed. */
export const keyContext = (userId: string) => `totp:${userId}`;
const stepAt = (now: number) => Math.floor(now / 1000 / TOTP_PERIOD_SECONDS);
const utf8 = (value: string) => new TextEncoder().encode(value);

// ── input ───────────────────────────────────────────────────────────────────────────────────────────

function parseTotpCode(input: unknown, field = 'code'): string {
  const code = typeof input === 'string' ? input.replace(/\s+/g, '') : '';
  if (!/^\d{6}$/.test(code)) throw new InvalidInputError({ [field]: CODE_FORMAT });
  return code;
}

/** Recovery codes are shown as `xxxxx-xxxxx`; case, spaces and dashes do not matter when typed. */
function normalizeRecoveryCode(input: string): string | null {
  const code = input.toLowerCase().replace(/[\s-]+/g, '');
  return /^[a-z2-7]{10}$/.test(code) ? code : null;
}

/** One field that takes either a current code or a recovery code (turning off, new recovery codes). */
function parseCodeOrRecoveryCode(input: unknown): Factor {
  const raw = typeof input === 'string' ? input.trim() : '';
  const compact = raw.replace(/\s+/g, '');
  if (/^\d{6}$/.test(compact)) return { kind: 'totp', code: compact };
  const recovery = normalizeRecoveryCode(raw);
  if (recovery) return { kind: 'recovery_code', code: recovery };
  throw new InvalidInputError({ code: CODE_OR_RECOVERY_FORMAT });
}

// ── throttle ────────────────────────────────────────────────────────────────────────────────────────

const throttleKey = (userId: string) => `2fa:${userId}`;

/** Wrong codes since the last right one, within the window; at MAX_CODE_FAILURES further tries are refused. */
export async function codeAttemptsBlocked(db: Executor, userId: string, now = Date.now()): Promise<boolean> {
  const key = throttleKey(userId);
  const since = new Date(now - CODE_FAILURE_WINDOW_MS);
  const [lastSuccess] = await db
    .select({ at: max(signInAttempts.at) })
    .from(signInAttempts)
    .where(and(eq(signInAttempts.email, key), eq(signInAttempts.succeeded, true), gt(signInAttempts.at, since)));
  const from = lastSuccess?.at && lastSuccess.at > since ? lastSuccess.at : since;
  const [failures] = await db
    .select({ n: count() })
    .from(signInAttempts)
    .where(and(eq(signInAttempts.email, key), eq(signInAttempts.succeeded, false), gt(signInAttempts.at, from)));
  return failures!.n >= MAX_CODE_FAILURES;
}

async function recordCodeAttempt(db: Executor, userId: string, ip: string, succeeded: boolean): Promise<void> {
  await db.insert(signInAttempts).values({ email: throttleKey(userId), ip, succeeded });
}

// ── checking codes ──────────────────────────────────────────────────────────────────────────────────

/**
 * Which step in the window a code belongs to. All candidate steps are compared (in constant time), and
 * the newest matching step after `lastStep` wins; a code that only matches used steps is a reuse.
 */
function matchTotpStep(key: Uint8Array, code: string, now: number, lastStep: number | null): { step: number } | { reason: string } {
  const current = stepAt(now);
  const matched: number[] = [];
  for (let step = current - TOTP_WINDOW_STEPS; step <= current + TOTP_WINDOW_STEPS; step++) {
    if (constantTimeEqual(utf8(generateHOTP(key, BigInt(step), TOTP_DIGITS)), utf8(code))) matched.push(step);
  }
  const fresh = matched.filter((s) => lastStep === null || s > lastStep);
  if (fresh.length) return { step: Math.max(...fresh) };
  return { reason: matched.length ? 'code already used' : 'wrong code' };
}

/**
 * The person's TOTP key: sealed with SECRETS_KEY when they turned two-factor on (`v1.`), or, once
 * `npm run secrets:rotate` moved it, under their organization's data key (`aw1.`), which survives a new KEK.
 */
async function openKey(db: Executor, user: UserRow): Promise<Uint8Array> {
  if (!user.totpKeyEncrypted) throw new Error('no TOTP key stored for this person');
  if (!isDataKeySealed(user.totpKeyEncrypted)) return open(user.totpKeyEncrypted, keyContext(user.id));
  const base64 = await openSecret(db, configuredKek(), { organizationId: user.organizationId, record: keyContext(user.id) }, user.totpKeyEncrypted);
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/** Checks a code of a person who has two-factor on, and consumes it (its step, or the recovery code). */
async function checkFactor(db: Executor, user: UserRow, factor: Factor, now: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (factor.kind === 'recovery_code') {
    const [used] = await db
      .update(recoveryCodes)
      .set({ usedAt: new Date(now) })
      .where(and(eq(recoveryCodes.userId, user.id), eq(recoveryCodes.codeHash, hashToken(factor.code)), isNull(recoveryCodes.usedAt)))
      .returning({ id: recoveryCodes.id });
    return used ? { ok: true } : { ok: false, reason: 'recovery code not valid or already used' };
  }
  const match = matchTotpStep(await openKey(db, user), factor.code, now, user.totpLastStep);
  if ('reason' in match) return { ok: false, reason: match.reason };
  // Conditional, so two requests racing with the same code cannot both pass.
  const [updated] = await db
    .update(users)
    .set({ totpLastStep: match.step })
    .where(and(eq(users.id, user.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, match.step))))
    .returning({ id: users.id });
  return updated ? { ok: true } : { ok: false, reason: 'code already used' };
}

const wrongCodeError = (factor: Factor, field?: string) =>
  new InvalidInputError({ [field ?? (factor.kind === 'totp' ? 'code' : 'recoveryCode')]: factor.kind === 'totp' ? WRONG_CODE : WRONG_RECOVERY_CODE });

// ── recovery codes ──────────────────────────────────────────────────────────────────────────────────

function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const code = encodeBase32LowerCaseNoPadding(crypto.randomBytes(10)).slice(0, 10); // 50 bits each
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
}

/** Replaces all of a person's recovery codes; the codes themselves are returned once and never stored. */
async function replaceRecoveryCodes(db: Pick<Db, 'insert' | 'delete'>, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await db.insert(recoveryCodes).values(codes.map((c) => ({ userId, codeHash: hashToken(normalizeRecoveryCode(c)!) })));
  return codes;
}

// ── the person's own two-factor settings ────────────────────────────────────────────────────────────

async function ownUser(ctx: TwoFactorContext, action: string): Promise<UserRow> {
  await authorize(ctx, 'account.manage_own');
  if (ctx.actor.kind !== 'person') {
    // An API token must not be able to change how its owner signs in.
    await recordDenied(ctx.db, ctx.actor, action, filedUnderActor(ctx.actor, 'user', ctx.actor.userId), 'two-factor sign-in is managed from the console, not with an API token');
    throw new ForbiddenError('Two-factor sign-in is managed from the console, not with an API token.');
  }
  const [user] = await ctx.db.select().from(users).where(eq(users.id, ctx.actor.userId)).limit(1);
  if (!user || !user.active) throw new NotFoundError('person');
  return user;
}

const audit = (
  ctx: TwoFactorContext,
  action: string,
  outcome: 'success' | 'failure' | 'denied',
  extra: { reason?: string; details?: Record<string, unknown> } = {},
  on: Executor = ctx.db,
) =>
  recordActorEvent(on, ctx.actor, action, filedUnderActor(ctx.actor, 'user', ctx.actor.userId), {
    outcome,
    reason: extra.reason ?? null,
    details: { ...(ctx.ip ? { ip: ctx.ip } : {}), ...extra.details },
  });

/** Throttle, check and record one code for a ctx-based operation; throws on a wrong code. */
async function requireFactor(ctx: TwoFactorContext, user: UserRow, action: string, factor: Factor, now: number): Promise<void> {
  // Under a lock on the person: concurrent guesses must not all read the same failure count.
  const refusal = await withLocks(ctx.db, [`2fa:${user.id}`], async (tx) => {
    if (await codeAttemptsBlocked(tx, user.id, now)) {
      await audit(ctx, action, 'denied', { reason: 'rate limited: too many wrong codes', details: { method: factor.kind } }, tx);
      return new TooManyCodeAttemptsError();
    }
    const result = await checkFactor(tx, user, factor, now);
    await recordCodeAttempt(tx, user.id, ctx.ip ?? 'unknown', result.ok);
    if (result.ok) return null;
    await audit(ctx, action, 'failure', { reason: result.reason, details: { method: factor.kind } }, tx);
    return wrongCodeError(factor, 'code');
  });
  if (refusal) throw refusal;
}

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: string | null;
  /** An enrolment started and not yet confirmed: the person's own new key, to add to their app. */
  pending: { secretBase32: string; uri: string } | null;
  recoveryCodesLeft: number;
  /** The MSP requires two-factor sign-in of MSP staff, and this person is MSP staff. */
  requiredForMe: boolean;
}

export async function getTwoFactorStatus(ctx: TwoFactorContext): Promise<TwoFactorStatus> {
  await authorize(ctx, 'account.manage_own');
  const [user] = await ctx.db.select().from(users).where(eq(users.id, ctx.actor.userId)).limit(1);
  if (!user) throw new NotFoundError('person');
  const enabled = user.totpEnabledAt !== null;
  let pending: TwoFactorStatus['pending'] = null;
  if (!enabled && user.totpKeyEncrypted && ctx.actor.kind === 'person') {
    // A key sealed under an earlier SECRETS_KEY cannot be opened: the person simply starts again.
    const key = await openKey(ctx.db, user).catch(() => null);
    if (key) pending = { secretBase32: encodeBase32UpperCaseNoPadding(key), uri: createTOTPKeyURI(TOTP_ISSUER, user.email, key, TOTP_PERIOD_SECONDS, TOTP_DIGITS) };
  }
  const [left] = await ctx.db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, user.id), isNull(recoveryCodes.usedAt)));
  return {
    enabled,
    enabledAt: user.totpEnabledAt?.toISOString() ?? null,
    pending,
    recoveryCodesLeft: enabled ? left!.n : 0,
    requiredForMe: isMspStaff(ctx.actor) && (await mfaRequiredForMspStaff(ctx.db)),
  };
}

/** Starts turning two-factor on: a new key, stored sealed and still pending until a code confirms it. */
export async function beginEnrolment(ctx: TwoFactorContext): Promise<{ secretBase32: string; uri: string }> {
  const user = await ownUser(ctx, 'account.two_factor.enrolment_start');
  if (user.totpEnabledAt) throw new ConflictError('code', 'Two-factor sign-in is already on.');
  const key = new Uint8Array(crypto.randomBytes(KEY_BYTES));
  await ctx.db
    .update(users)
    .set({ totpKeyEncrypted: seal(key, keyContext(user.id)), totpEnabledAt: null, totpLastStep: null })
    .where(eq(users.id, user.id));
  await audit(ctx, 'account.two_factor.enrolment_start', 'success');
  return { secretBase32: encodeBase32UpperCaseNoPadding(key), uri: createTOTPKeyURI(TOTP_ISSUER, user.email, key, TOTP_PERIOD_SECONDS, TOTP_DIGITS) };
}

/** Drops a pending (unconfirmed) key. */
export async function cancelEnrolment(ctx: TwoFactorContext): Promise<void> {
  const user = await ownUser(ctx, 'account.two_factor.enrolment_cancel');
  if (user.totpEnabledAt || !user.totpKeyEncrypted) return;
  await ctx.db
    .update(users)
    .set({ totpKeyEncrypted: null, totpLastStep: null })
    .where(and(eq(users.id, user.id), isNull(users.totpEnabledAt)));
  await audit(ctx, 'account.two_factor.enrolment_cancel', 'success');
}

/**
 * Confirms the pending key with a code from the app: two-factor is on from now, and the 10 recovery
 * codes are returned (this once only). The session that confirmed counts as verified; the person's other
 * sessions must give a code.
 */
export async function confirmEnrolment(ctx: TwoFactorContext, codeInput: unknown): Promise<{ recoveryCodes: string[] }> {
  const action = 'account.two_factor.enable';
  const now = ctx.now ?? Date.now();
  const user = await ownUser(ctx, action);
  if (user.totpEnabledAt) throw new ConflictError('code', 'Two-factor sign-in is already on.');
  if (!user.totpKeyEncrypted) throw new ConflictError('code', 'Start by choosing "Turn on two-factor sign-in" to get a new key.');
  const code = parseTotpCode(codeInput);
  if (await codeAttemptsBlocked(ctx.db, user.id, now)) {
    await audit(ctx, action, 'denied', { reason: 'rate limited: too many wrong codes' });
    throw new TooManyCodeAttemptsError();
  }
  const match = matchTotpStep(await openKey(ctx.db, user), code, now, null);
  await recordCodeAttempt(ctx.db, user.id, ctx.ip ?? 'unknown', 'step' in match);
  if ('reason' in match) {
    await audit(ctx, action, 'failure', { reason: match.reason });
    throw new InvalidInputError({ code: 'That code does not match the new key. Check the time on your device and try the next code.' });
  }
  const codes = await ctx.db.transaction(async (tx) => {
    const [enabled] = await tx
      .update(users)
      .set({ totpEnabledAt: new Date(now), totpLastStep: match.step })
      .where(and(eq(users.id, user.id), isNull(users.totpEnabledAt), isNotNull(users.totpKeyEncrypted)))
      .returning({ id: users.id });
    if (!enabled) throw new ConflictError('code', 'Two-factor sign-in is already on.');
    const fresh = await replaceRecoveryCodes(tx, user.id);
    await tx.update(sessions).set({ twoFactorVerified: false }).where(eq(sessions.userId, user.id));
    if (ctx.session)
      await tx
        .update(sessions)
        .set({ twoFactorVerified: true })
        .where(and(eq(sessions.id, ctx.session.id), eq(sessions.userId, user.id)));
    return fresh;
  });
  await audit(ctx, action, 'success', { details: { recoveryCodes: RECOVERY_CODE_COUNT } });
  return { recoveryCodes: codes };
}

/**
 * Turns two-factor off, with a current code or a recovery code. Refused for MSP staff while the MSP
 * requires two-factor sign-in of its staff.
 */
export async function disableTwoFactor(ctx: TwoFactorContext, codeInput: unknown): Promise<void> {
  const action = 'account.two_factor.disable';
  const now = ctx.now ?? Date.now();
  const user = await ownUser(ctx, action);
  if (!user.totpEnabledAt) throw new ConflictError('code', 'Two-factor sign-in is not on.');
  if (isMspStaff(ctx.actor) && (await mfaRequiredForMspStaff(ctx.db))) {
    await audit(ctx, action, 'denied', { reason: 'the MSP requires two-factor sign-in for MSP staff' });
    throw new ForbiddenError('Your MSP requires two-factor sign-in for all MSP staff, so it cannot be turned off.');
  }
  const factor = parseCodeOrRecoveryCode(codeInput);
  await requireFactor(ctx, user, action, factor, now);
  await ctx.db.transaction(async (tx) => {
    await tx.update(users).set({ totpKeyEncrypted: null, totpEnabledAt: null, totpLastStep: null }).where(eq(users.id, user.id));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
    await tx.update(sessions).set({ twoFactorVerified: false }).where(eq(sessions.userId, user.id));
  });
  await audit(ctx, action, 'success', { details: { method: factor.kind } });
}

/** Replaces the recovery codes (the old ones stop working), with a current code or a recovery code. */
export async function regenerateRecoveryCodes(ctx: TwoFactorContext, codeInput: unknown): Promise<{ recoveryCodes: string[] }> {
  const action = 'account.two_factor.recovery_codes_regenerate';
  const now = ctx.now ?? Date.now();
  const user = await ownUser(ctx, action);
  if (!user.totpEnabledAt) throw new ConflictError('code', 'Two-factor sign-in is not on.');
  const factor = parseCodeOrRecoveryCode(codeInput);
  await requireFactor(ctx, user, action, factor, now);
  const codes = await ctx.db.transaction((tx) => replaceRecoveryCodes(tx, user.id));
  await audit(ctx, action, 'success', { details: { method: factor.kind, recoveryCodes: RECOVERY_CODE_COUNT } });
  return { recoveryCodes: codes };
}

// ── the second step of sign-in ──────────────────────────────────────────────────────────────────────

/**
 * The second step of signing in: a 6-digit code from the app, or an unused recovery code. On success the
 * session is complete. Throws InvalidInputError naming the field for a malformed or wrong code, and
 * TooManyCodeAttemptsError after MAX_CODE_FAILURES wrong codes within the window.
 */
export async function verifySecondFactor(
  db: Db,
  session: Session,
  input: { code?: string | null; recoveryCode?: string | null },
  ip: string,
  now = Date.now(),
): Promise<{ method: Factor['kind'] }> {
  const recoveryInput = input.recoveryCode?.trim() ?? '';
  let factor: Factor;
  if (recoveryInput) {
    const code = normalizeRecoveryCode(recoveryInput);
    if (!code) throw new InvalidInputError({ recoveryCode: RECOVERY_CODE_FORMAT });
    factor = { kind: 'recovery_code', code };
  } else {
    factor = { kind: 'totp', code: parseTotpCode(input.code) };
  }
  const [user] = await db.select().from(users).where(eq(users.id, session.user.id)).limit(1);
  if (!user || !user.active) throw new NotFoundError('person');
  if (!user.totpEnabledAt) throw new ConflictError('code', 'Two-factor sign-in is not on for this account.');
  const auditFields = {
    actorType: 'person' as const,
    actorId: user.id,
    actorLabel: user.email,
    organizationId: user.organizationId,
    action: 'auth.two_factor',
    targetType: 'session',
    targetId: session.id,
  };
  const refusal = await withLocks(db, [`2fa:${user.id}`], async (tx) => {
    if (await codeAttemptsBlocked(tx, user.id, now)) {
      await recordAudit(tx, { ...auditFields, outcome: 'denied', reason: 'rate limited: too many wrong codes', details: { ip, method: factor.kind } });
      return new TooManyCodeAttemptsError();
    }
    const result = await checkFactor(tx, user, factor, now);
    await recordCodeAttempt(tx, user.id, ip, result.ok);
    if (result.ok) return null;
    await recordAudit(tx, { ...auditFields, outcome: 'failure', reason: result.reason, details: { ip, method: factor.kind } });
    return wrongCodeError(factor);
  });
  if (refusal) throw refusal;
  await markSessionTwoFactorVerified(session.id);
  await recordAudit(db, { ...auditFields, outcome: 'success', details: { ip, method: factor.kind } });
  return { method: factor.kind };
}
