import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, count, eq, sql } from 'drizzle-orm';
import { apiTokens, auditEvents, users } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import type { Actor, ServiceContext } from '../authz.ts';
import { ConflictError, ForbiddenError, NotFoundError, type InvalidInputError } from '../errors.ts';
import { createOrganization } from '../organizations/service.ts';
import { actorFromApiToken, createToken, listOwnTokens, revokeToken, TOKEN_PREFIX } from './service.ts';

let t: TestDatabase;
const actors = {} as Record<'admin' | 'acmeAdmin' | 'acmeUser', Actor>;
const ctx = (a: Actor): ServiceContext => ({ db: t.db, actor: a });

async function person(role: Actor['role'], organizationId: string, email: string): Promise<Actor> {
  const u = await createUser(t.db, { email, name: email, password: 'password-for-tests', role, organizationId });
  return { kind: 'person', userId: u.id, email, name: email, role, organizationId };
}

const tokenRows = async () => (await t.db.select({ n: count() }).from(apiTokens))[0]!.n;

/** Every row of every table of the database, as text. */
async function wholeDatabaseText(): Promise<string> {
  const tables = await t.db.execute<{ table_name: string }>(sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await t.db.execute<{ row: string }>(sql`select t::text as row from ${sql.identifier(table_name)} t`);
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

beforeAll(async () => {
  t = await freshDatabase();
  const msp = await ensureMspOrganization(t.db);
  actors.admin = await person('msp_admin', msp.id, 'admin@msp.test');
  const acme = await createOrganization(ctx(actors.admin), { name: 'Acme' });
  actors.acmeAdmin = await person('company_admin', acme.id, 'alice@acme.test');
  actors.acmeUser = await person('company_user', acme.id, 'bob@acme.test');
});
afterAll(async () => { await t.close(); });

describe('personal API tokens', () => {
  it('shows a new token once; afterwards only its prefix is listed, and only its hash is stored anywhere', async () => {
    const { token, record } = await createToken(ctx(actors.acmeAdmin), { name: '  backup script  ' });
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(token.length).toBeGreaterThan(40);
    expect(record).toMatchObject({ name: 'backup script', prefix: token.slice(0, 12), lastUsedAt: null, revokedAt: null });
    expect(JSON.stringify(record)).not.toContain(token);

    const listed = await listOwnTokens(ctx(actors.acmeAdmin));
    expect(listed).toEqual([record]);
    expect(JSON.stringify(listed)).not.toContain(token.slice(12));

    const everything = await wholeDatabaseText();
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.slice(12));
    const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, record.id));
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(everything).toContain(row!.tokenHash); // the scan did read the tokens table
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.targetId, record.id));
    expect(event).toMatchObject({ action: 'api_token.create', outcome: 'success', actorLabel: 'alice@acme.test' });
  });

  it('acts as its creator (same role and organization) and records when it was last used', async () => {
    const { token, record } = await createToken(ctx(actors.acmeUser), { name: 'cli' });
    expect((await listOwnTokens(ctx(actors.acmeUser)))[0]!.lastUsedAt).toBeNull();
    const before = Date.now();
    const actor = await actorFromApiToken(t.db, token);
    expect(actor).toEqual({
      kind: 'api_token', tokenId: record.id, userId: actors.acmeUser.userId, email: 'bob@acme.test', name: 'bob@acme.test',
      role: 'company_user', organizationId: actors.acmeUser.organizationId,
    });
    const [used] = await listOwnTokens(ctx(actors.acmeUser));
    expect(used!.lastUsedAt).not.toBeNull();
    expect(Date.parse(used!.lastUsedAt!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('does not accept unknown or malformed tokens', async () => {
    expect(await actorFromApiToken(t.db, `${TOKEN_PREFIX}${'a'.repeat(52)}`)).toBeNull();
    expect(await actorFromApiToken(t.db, 'not-a-token')).toBeNull();
    expect(await actorFromApiToken(t.db, '')).toBeNull();
  });

  it('stops working once revoked, and the revocation is recorded', async () => {
    const { token, record } = await createToken(ctx(actors.admin), { name: 'short-lived' });
    expect(await actorFromApiToken(t.db, token)).not.toBeNull();
    const revoked = await revokeToken(ctx(actors.admin), record.id);
    expect(revoked.revokedAt).not.toBeNull();
    expect(await actorFromApiToken(t.db, token)).toBeNull();
    await expect(revokeToken(ctx(actors.admin), record.id)).rejects.toBeInstanceOf(NotFoundError);
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.targetId, record.id));
    expect(events.map((e) => e.action)).toEqual(['api_token.create', 'api_token.revoke']);
  });

  it('stops working when its person is deactivated', async () => {
    const carol = await person('company_user', actors.acmeUser.organizationId, 'carol@acme.test');
    const { token } = await createToken(ctx(carol), { name: 'laptop' });
    expect((await actorFromApiToken(t.db, token))?.email).toBe('carol@acme.test');
    await t.db.update(users).set({ active: false, deactivatedAt: new Date() }).where(eq(users.id, carol.userId));
    expect(await actorFromApiToken(t.db, token)).toBeNull();
  });

  it('does not let anyone revoke or list someone else’s token, not even an MSP admin', async () => {
    const { token, record } = await createToken(ctx(actors.acmeAdmin), { name: 'integration' });
    await expect(revokeToken(ctx(actors.acmeUser), record.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeToken(ctx(actors.admin), record.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeToken(ctx(actors.admin), '00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    expect(await actorFromApiToken(t.db, token)).not.toBeNull();
    expect((await listOwnTokens(ctx(actors.acmeUser))).map((x) => x.id)).not.toContain(record.id);
    expect((await listOwnTokens(ctx(actors.admin))).map((x) => x.id)).not.toContain(record.id);
  });

  it('refuses a duplicate active name and a bad name, writing nothing; a revoked name can be reused', async () => {
    const before = await tokenRows();
    const dup = await createToken(ctx(actors.acmeAdmin), { name: 'backup script' }).then(() => null, (e: unknown) => e);
    expect(dup).toBeInstanceOf(ConflictError);
    expect((dup as ConflictError).fieldErrors).toEqual({ name: 'You already have an active token named "backup script".' });
    const empty = await createToken(ctx(actors.acmeAdmin), { name: '   ' }).then(() => null, (e: unknown) => e);
    expect((empty as InvalidInputError).fieldErrors).toEqual({ name: 'name is required' });
    const long = await createToken(ctx(actors.acmeAdmin), { name: 'x'.repeat(101) }).then(() => null, (e: unknown) => e);
    expect(Object.keys((long as InvalidInputError).fieldErrors)).toEqual(['name']);
    expect(await tokenRows()).toBe(before);
    // Someone else may use the same name.
    await createToken(ctx(actors.acmeUser), { name: 'backup script' });
    // After revoking, the name is free again.
    const [old] = (await listOwnTokens(ctx(actors.acmeAdmin))).filter((x) => x.name === 'backup script');
    await revokeToken(ctx(actors.acmeAdmin), old!.id);
    const again = await createToken(ctx(actors.acmeAdmin), { name: 'backup script' });
    expect(again.record.id).not.toBe(old!.id);
    expect(await tokenRows()).toBe(before + 2);
  });

  it('refuses to create a token when called with a token (audited as denied); revoking with a token still works', async () => {
    const { token, record } = await createToken(ctx(actors.acmeUser), { name: 'leaky' });
    const viaToken = (await actorFromApiToken(t.db, token))!;
    expect(viaToken.kind).toBe('api_token');
    const before = await tokenRows();
    const err = await createToken(ctx(viaToken), { name: 'minted by a token' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).message).toBe('API tokens can only be created from a signed-in console session.');
    expect(await tokenRows()).toBe(before);
    const [denied] = await t.db.select().from(auditEvents)
      .where(and(eq(auditEvents.action, 'api_token.create'), eq(auditEvents.outcome, 'denied'), eq(auditEvents.actorId, record.id)));
    expect(denied).toMatchObject({ actorType: 'api_token', actorLabel: 'bob@acme.test (API token)', organizationId: actors.acmeUser.organizationId });

    // Revoking only reduces access: a token may revoke (here: itself).
    expect((await revokeToken(ctx(viaToken), record.id)).revokedAt).not.toBeNull();
    expect(await actorFromApiToken(t.db, token)).toBeNull();
  });
});
