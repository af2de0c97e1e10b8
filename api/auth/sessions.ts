// Sessions as the Lucia project now recommends (without the deprecated `lucia` package): the cookie
// holds `<id>.<secret>`, the database keeps only SHA-256(secret), and a session ends after a period of
// inactivity. See docs/decisions/0002-sessions-without-lucia.md.
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { eq } from 'drizzle-orm';
import { getDb } from '../../db/client.ts';
import { sessions, users } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import { hashToken } from './token-hash.ts';

export const SESSION_COOKIE = 'aw_session';
const inactivityTimeoutMs = () => loadConfig().SESSION_INACTIVITY_DAYS * 24 * 60 * 60 * 1000;
const ACTIVITY_CHECK_INTERVAL_MS = 60 * 60 * 1000; // refresh last_verified_at at most hourly

export type SessionUser = { id: string; email: string; name: string; role: typeof users.$inferSelect.role; organizationId: string };
export type Session = {
  id: string;
  user: SessionUser;
  /** Whether this session passed the second factor (only meaningful when the user has TOTP on). */
  twoFactorVerified: boolean;
  totpEnabled: boolean;
};

function randomString(): string {
  const bytes = new Uint8Array(24); // 120 bits of entropy once encoded, as the guide suggests
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

// The column is bytea (compared in constant time), so the hex hash is stored as its bytes.
const hashSecret = (secret: string) => Buffer.from(hashToken(secret), 'hex');

export async function createSession(userId: string): Promise<{ token: string; sessionId: string }> {
  const id = randomString();
  const secret = randomString();
  await getDb()
    .insert(sessions)
    .values({ id, userId, secretHash: hashSecret(secret) });
  return { token: `${id}.${secret}`, sessionId: id };
}

export async function validateSessionToken(token: string): Promise<Session | null> {
  const [id, secret, extra] = token.split('.');
  if (!id || !secret || extra !== undefined) return null;
  const db = getDb();
  const [row] = await db.select({ session: sessions, user: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.id, id)).limit(1);
  if (!row) return null;
  if (!constantTimeEqual(hashSecret(secret), row.session.secretHash)) return null;
  const now = Date.now();
  if (!row.user.active || now - row.session.lastVerifiedAt.getTime() >= inactivityTimeoutMs()) {
    await db.delete(sessions).where(eq(sessions.id, id));
    return null;
  }
  if (now - row.session.lastVerifiedAt.getTime() >= ACTIVITY_CHECK_INTERVAL_MS) {
    await db
      .update(sessions)
      .set({ lastVerifiedAt: new Date(now) })
      .where(eq(sessions.id, id));
  }
  const { id: userId, email, name, role, organizationId } = row.user;
  return {
    id,
    user: { id: userId, email, name, role, organizationId },
    twoFactorVerified: row.session.twoFactorVerified,
    totpEnabled: row.user.totpEnabledAt !== null,
  };
}

export async function markSessionTwoFactorVerified(sessionId: string): Promise<void> {
  await getDb().update(sessions).set({ twoFactorVerified: true }).where(eq(sessions.id, sessionId));
}

export async function invalidateSession(sessionId: string): Promise<void> {
  await getDb().delete(sessions).where(eq(sessions.id, sessionId));
}

export const readSessionToken = (request: Request): string | null => sessionTokenFromCookieHeader(request.headers.get('cookie'));

// What createSession hands out: two base32 (lower case, no padding) strings joined by a dot.
const SESSION_TOKEN_SHAPE = /^[a-z2-7]{1,64}\.[a-z2-7]{1,64}$/;

/**
 * The session token in a Cookie header, or null. A cookie that does not decode, or is not shaped like a
 * token we issue, is no session at all: the request goes on as signed out (or with its bearer token),
 * never as an error, and nothing odd reaches the database.
 */
export function sessionTokenFromCookieHeader(header: string | null | undefined): string | null {
  for (const part of (header ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== SESSION_COOKIE) continue;
    let value: string;
    try {
      value = decodeURIComponent(rest.join('='));
    } catch {
      return null;
    }
    return SESSION_TOKEN_SHAPE.test(value) ? value : null;
  }
  return null;
}

export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=${Math.floor(inactivityTimeoutMs() / 1000)}`;
}

export const clearedSessionCookie = () => `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0`;
