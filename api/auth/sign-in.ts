// Email + password sign-in: throttled, audited, and with one generic message for wrong credentials so
// the form does not reveal which accounts exist.
import { recordAudit } from '../../db/audit.ts';
import { withLocks } from '../../db/advisory-lock.ts';
import { getDb } from '../../db/client.ts';
import { findUserByEmail, hashPassword, normalizeEmail, verifyPassword } from '../../db/users.ts';
import { recordSignInAttempt, signInBlocked } from './rate-limit.ts';
import { createSession } from './sessions.ts';

export const WRONG_CREDENTIALS = 'Email or password is incorrect.';
export const TOO_MANY_ATTEMPTS = 'Too many failed sign-in attempts. Wait 15 minutes and try again.';

// Verifying against a real hash when the account does not exist keeps the response time the same.
let dummyHash: Promise<string> | undefined;
const getDummyHash = () => (dummyHash ??= hashPassword(crypto.randomUUID()));

export type SignInResult = { ok: true; token: string } | { ok: false; message: string };

export async function signIn(emailInput: string, password: string, ip: string): Promise<SignInResult> {
  const db = getDb();
  const email = normalizeEmail(emailInput);
  // Count, check and record under a lock on the account and on the address: concurrent guesses would
  // otherwise all read the same failure count and slip past the limit together.
  const user = await withLocks(db, [`signin:account:${email}`, `signin:address:${ip}`], async (tx) => {
    const blocked = await signInBlocked(tx, email, ip);
    if (blocked) {
      await recordAudit(tx, {
        actorType: 'person',
        actorLabel: email,
        action: 'auth.sign_in',
        outcome: 'denied',
        reason: `rate limited per ${blocked}`,
        details: { ip },
      });
      return { refused: TOO_MANY_ATTEMPTS };
    }
    const found = await findUserByEmail(tx, email);
    const passwordOk = await verifyPassword(found?.passwordHash ?? (await getDummyHash()), password);
    const ok = Boolean(found && found.active && passwordOk);
    await recordSignInAttempt(tx, email, ip, ok);
    if (!ok || !found) {
      await recordAudit(tx, {
        actorType: 'person',
        actorId: found?.id,
        actorLabel: email,
        organizationId: found?.organizationId,
        action: 'auth.sign_in',
        outcome: 'failure',
        reason: !found ? 'unknown account' : !found.active ? 'account deactivated' : 'wrong password',
        details: { ip },
      });
      return { refused: WRONG_CREDENTIALS };
    }
    return found;
  });
  if ('refused' in user) return { ok: false, message: user.refused };
  const { token, sessionId } = await createSession(user.id);
  await recordAudit(db, {
    actorType: 'person',
    actorId: user.id,
    actorLabel: user.email,
    organizationId: user.organizationId,
    action: 'auth.sign_in',
    targetType: 'session',
    targetId: sessionId,
    outcome: 'success',
    details: { ip },
  });
  return { ok: true, token };
}
