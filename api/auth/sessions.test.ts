import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { closeDb } from '../../db/client.ts';
import { sessions } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { createSession, invalidateSession, readSessionToken, sessionCookie, validateSessionToken } from './sessions.ts';

let t: TestDatabase;
let userId: string;
beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  const org = await ensureMspOrganization(t.db);
  ({ id: userId } = await createUser(t.db, { email: 'Admin@Example.com', name: 'A', password: 'correct horse battery', role: 'msp_admin', organizationId: org.id }));
});
afterAll(async () => {
  await closeDb();
  await t.close();
});

describe('sessions (Lucia guidance, real PostgreSQL)', () => {
  it('issues an <id>.<secret> token and stores only a hash of the secret', async () => {
    const { token, sessionId } = await createSession(userId);
    const [id, secret] = token.split('.');
    expect(id).toBe(sessionId);
    expect(secret).toMatch(/^[a-z2-7]{39}$/);
    const [row] = await t.db.select().from(sessions).where(eq(sessions.id, sessionId));
    expect(Buffer.from(row!.secretHash).toString('hex')).not.toContain(Buffer.from(secret!).toString('hex'));
    expect(row!.secretHash).toHaveLength(32);
    const session = await validateSessionToken(token);
    expect(session?.user).toMatchObject({ id: userId, email: 'admin@example.com', role: 'msp_admin' });
  });

  it('rejects a wrong secret, a malformed token and an unknown id', async () => {
    const { token } = await createSession(userId);
    const [id] = token.split('.');
    expect(await validateSessionToken(`${id}.${'a'.repeat(39)}`)).toBeNull();
    expect(await validateSessionToken(token.replace('.', ''))).toBeNull();
    expect(await validateSessionToken(`${token}.extra`)).toBeNull();
    expect(await validateSessionToken(`nosuchid.${token.split('.')[1]}`)).toBeNull();
  });

  it('ends a session after the inactivity timeout, and on sign-out', async () => {
    const idle = await createSession(userId);
    await t.db
      .update(sessions)
      .set({ lastVerifiedAt: new Date(Date.now() - 8 * 24 * 3600 * 1000) })
      .where(eq(sessions.id, idle.sessionId));
    expect(await validateSessionToken(idle.token)).toBeNull();
    expect(await t.db.select().from(sessions).where(eq(sessions.id, idle.sessionId))).toHaveLength(0);

    const active = await createSession(userId);
    await invalidateSession(active.sessionId);
    expect(await validateSessionToken(active.token)).toBeNull();
  });

  it('sets the cookie HttpOnly, SameSite=Lax and Secure, and reads it back', () => {
    const cookie = sessionCookie('abc.def');
    expect(cookie).toMatch(/^aw_session=abc\.def;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Secure');
    expect(readSessionToken(new Request('http://localhost/', { headers: { cookie: 'x=1; aw_session=abc.def; y=2' } }))).toBe('abc.def');
  });

  it('takes a cookie that does not decode, or is not shaped like a token, for no session (never an error)', async () => {
    const read = (cookie: string) => readSessionToken(new Request('http://localhost/', { headers: { cookie } }));
    expect(read('aw_session=%E0%A4%A')).toBeNull();
    expect(read('aw_session=%00.abc')).toBeNull();
    expect(read('aw_session=abc.def.ghi')).toBeNull();
    expect(read('aw_session=ABC.DEF')).toBeNull();
    expect(read('other=%E0%A4%A; aw_session=abc.def')).toBe('abc.def');
    const { token } = await createSession(userId);
    expect(read(`aw_session=${encodeURIComponent(token)}`)).toBe(token);
  });
});
