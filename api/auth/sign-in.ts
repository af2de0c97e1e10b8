// Email + password sign-in: throttled, audited, and with one generic message for wrong credentials so
// the form does not reveal which accounts exist.
import { recordAudit } from '../../db/audit.ts';
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
  const blocked = await signInBlocked(db, email, ip);
  if (blocked) {
    await recordAudit(db, {
      actorType: 'person', actorLabel: email, action: 'auth.sign_in', outcome: 'denied',
      reason: `rate limited per ${blocked}`, details: { ip },
    });
    return { ok: false, message: TOO_MANY_ATTEMPTS };
  }
  const user = await findUserByEmail(db, email);
  const passwordOk = await verifyPassword(user?.passwordHash ?? await getDummyHash(), password);
  const ok = Boolean(user && user.active && passwordOk);
  await recordSignInAttempt(db, email, ip, ok);
  if (!ok || !user) {
    await recordAudit(db, {
      actorType: 'person', actorId: user?.id, actorLabel: email, organizationId: user?.organizationId,
      action: 'auth.sign_in', outcome: 'failure',
      reason: !user ? 'unknown account' : !user.active ? 'account deactivated' : 'wrong password', details: { ip },
    });
    return { ok: false, message: WRONG_CREDENTIALS };
  }
  const { token, sessionId } = await createSession(user.id);
  await recordAudit(db, {
    actorType: 'person', actorId: user.id, actorLabel: user.email, organizationId: user.organizationId,
    action: 'auth.sign_in', targetType: 'session', targetId: sessionId, outcome: 'success', details: { ip },
  });
  return { ok: true, token };
}
