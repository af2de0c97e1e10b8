import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, count, eq, sql } from 'drizzle-orm';
import { apiTokens, auditEvents, settings, users } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { REQUIRE_MFA_FOR_MSP_STAFF } from '../auth/two-factor-state.ts';
import { authorizeScope, endpointScope, type Actor, type ServiceContext } from '../authz.ts';
import { ENDPOINTS } from '../endpoints.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from '../errors.ts';
import { createOrganization } from '../organizations/service.ts';
import { actorFromApiToken, createToken, listOwnTokens, revokeToken, TOKEN_OWES_SECOND_FACTOR, TOKEN_PREFIX } from './service.ts';

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
afterAll(async () => {
  await t.close();
});

describe('personal API tokens', () => {
  it('shows a new token once; afterwards only its prefix is listed, and only its hash is stored anywhere', async () => {
    const { token, record } = await createToken(ctx(actors.acmeAdmin), { name: '  backup script  ' });
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(token.length).toBeGreaterThan(40);
    expect(record).toMatchObject({ name: 'backup script', prefix: token.slice(0, 12), lastUsedAt: null, revokedAt: null, scopes: ['read'], expired: false });
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
      kind: 'api_token',
      tokenId: record.id,
      userId: actors.acmeUser.userId,
      email: 'bob@acme.test',
      name: 'bob@acme.test',
      role: 'company_user',
      organizationId: actors.acmeUser.organizationId,
      scopes: ['read'],
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
    const dup = await createToken(ctx(actors.acmeAdmin), { name: 'backup script' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(dup).toBeInstanceOf(ConflictError);
    expect((dup as ConflictError).fieldErrors).toEqual({ name: 'You already have an active token named "backup script".' });
    const empty = await createToken(ctx(actors.acmeAdmin), { name: '   ' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((empty as InvalidInputError).fieldErrors).toEqual({ name: 'name is required' });
    const long = await createToken(ctx(actors.acmeAdmin), { name: 'x'.repeat(101) }).then(
      () => null,
      (e: unknown) => e,
    );
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
    const err = await createToken(ctx(viaToken), { name: 'minted by a token' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).message).toBe('API tokens can only be created from a signed-in console session.');
    expect(await tokenRows()).toBe(before);
    const [denied] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'api_token.create'), eq(auditEvents.outcome, 'denied'), eq(auditEvents.actorId, record.id)));
    expect(denied).toMatchObject({ actorType: 'api_token', actorLabel: 'bob@acme.test (API token)', organizationId: actors.acmeUser.organizationId });

    // Revoking only reduces access: a token may revoke (here: itself).
    expect((await revokeToken(ctx(viaToken), record.id)).revokedAt).not.toBeNull();
    expect(await actorFromApiToken(t.db, token)).toBeNull();
  });
});

const DAY_MS = 86_400_000;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  );
const lastEvent = async () =>
  (
    await t.db
      .select()
      .from(auditEvents)
      .orderBy(sql`${auditEvents.id} desc`)
      .limit(1)
  )[0]!;

describe('API token expiry', () => {
  it('expires after 90 days unless told otherwise, and after the chosen 1 to 365 days; the list and the audit trail say when', async () => {
    const before = Date.now();
    const { record } = await createToken(ctx(actors.acmeAdmin), { name: 'default expiry' });
    expect(Date.parse(record.expiresAt) - before).toBeGreaterThanOrEqual(90 * DAY_MS - 1000);
    expect(Date.parse(record.expiresAt) - before).toBeLessThan(90 * DAY_MS + 60_000);
    for (const days of [1, 365]) {
      const { record: chosen } = await createToken(ctx(actors.acmeAdmin), { name: `expires in ${days}`, expiresInDays: days });
      expect(Math.round((Date.parse(chosen.expiresAt) - Date.parse(chosen.createdAt)) / DAY_MS)).toBe(days);
      expect((await listOwnTokens(ctx(actors.acmeAdmin))).find((x) => x.id === chosen.id)).toMatchObject({ expiresAt: chosen.expiresAt, expired: false });
    }
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.targetId, record.id));
    expect(event!.details).toMatchObject({ scopes: ['read'], expiresAt: record.expiresAt });
  });

  it('refuses an expired token with 401 saying when it expired and where to make a new one, and marks it expired in the list', async () => {
    const { token, record } = await createToken(ctx(actors.acmeUser), { name: 'old script' });
    await t.db
      .update(apiTokens)
      .set({ expiresAt: new Date('2026-03-01T12:00:00Z') })
      .where(eq(apiTokens.id, record.id));
    const err = await failure(actorFromApiToken(t.db, token));
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as UnauthorizedError).status).toBe(401);
    expect((err as UnauthorizedError).message).toBe('This API token expired on 1 Mar 2026; create a new one under Account → API tokens.');
    const listed = (await listOwnTokens(ctx(actors.acmeUser))).find((x) => x.id === record.id)!;
    expect(listed).toMatchObject({ expired: true, lastUsedAt: null });
  });

  it('refuses an expiry outside 1 to 365 whole days, naming expiresInDays, writing nothing', async () => {
    const before = await tokenRows();
    for (const [expiresInDays, message] of [
      [0, 'expiresInDays must be at least 1'],
      [366, 'expiresInDays must be at most 365'],
      [1.5, 'expiresInDays must be a whole number of days'],
      ['30', 'expiresInDays must be a number of days'],
    ] as const) {
      const err = await failure(createToken(ctx(actors.acmeAdmin), { name: 'bad expiry', expiresInDays }));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).fieldErrors).toEqual({ expiresInDays: message });
    }
    expect(await tokenRows()).toBe(before);
  });
});

describe('API token scopes', () => {
  it('keeps the chosen scopes, each once and in one order, and the token acts with them', async () => {
    const { token, record } = await createToken(ctx(actors.admin), { name: 'approver', scopes: ['approve', 'read', 'approve'] });
    expect(record.scopes).toEqual(['read', 'approve']);
    expect((await actorFromApiToken(t.db, token))!.scopes).toEqual(['read', 'approve']);
  });

  it('refuses no scope or an unknown one, naming scopes, writing nothing', async () => {
    const before = await tokenRows();
    const none = await failure(createToken(ctx(actors.admin), { name: 'no scopes', scopes: [] }));
    expect((none as InvalidInputError).fieldErrors).toEqual({ scopes: 'scopes must name at least one of read, operate, approve' });
    const unknown = await failure(createToken(ctx(actors.admin), { name: 'admin scope', scopes: ['read', 'admin'] }));
    expect((unknown as InvalidInputError).fieldErrors).toEqual({ 'scopes.1': 'scopes may hold only read, operate, approve' });
    const notAList = await failure(createToken(ctx(actors.admin), { name: 'string scope', scopes: 'approve' }));
    expect(Object.keys((notAList as InvalidInputError).fieldErrors)).toEqual(['scopes']);
    expect(await tokenRows()).toBe(before);
  });

  it('lets a token through only with the scope a request needs, and audits the refusal naming the lacking scope', async () => {
    const { token, record } = await createToken(ctx(actors.admin), { name: 'operator script', scopes: ['read', 'operate'] });
    const viaToken = (await actorFromApiToken(t.db, token))!;
    await authorizeScope(ctx(viaToken), 'read', 'GET /jobs');
    await authorizeScope(ctx(viaToken), 'operate', 'POST /organizations');
    const err = await failure(authorizeScope(ctx(viaToken), 'approve', 'POST /jobs/:id/approve'));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).message).toBe('This API token lacks the approve scope.');
    expect(await lastEvent()).toMatchObject({
      action: 'api_token.use',
      outcome: 'denied',
      actorType: 'api_token',
      actorId: record.id,
      targetId: record.id,
      reason: 'the token lacks the approve scope',
      details: { endpoint: 'POST /jobs/:id/approve' },
    });
    const readOnly = (await actorFromApiToken(t.db, (await createToken(ctx(actors.admin), { name: 'reader' })).token))!;
    expect(((await failure(authorizeScope(ctx(readOnly), 'operate', 'POST /organizations'))) as Error).message).toBe('This API token lacks the operate scope.');
    // A console session is the person themself: scopes do not apply.
    await authorizeScope(ctx(actors.admin), 'approve', 'POST /jobs/:id/approve');
    // A token actor without scopes (not made by actorFromApiToken) may do nothing.
    await expect(authorizeScope(ctx({ ...viaToken, scopes: undefined }), 'read', 'GET /jobs')).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("derives each endpoint's scope from its method; only decisions on a job need approve", () => {
    expect(endpointScope('get')).toBe('read');
    for (const method of ['post', 'patch', 'delete']) expect(endpointScope(method)).toBe('operate');
    expect(endpointScope('post', 'approve')).toBe('approve');
    expect(() => endpointScope('get', 'approve')).toThrow('an endpoint that answers GET cannot need the approve scope');
    const byScope = (scope: string) => ENDPOINTS.filter((e) => e.auth === 'actor' && e.scope === scope).map((e) => `${e.method.toUpperCase()} ${e.path}`);
    expect(byScope('approve').sort()).toEqual(['POST /jobs/:id/approval-grant', 'POST /jobs/:id/approve', 'POST /jobs/:id/cancel', 'POST /jobs/:id/reject']);
    expect(byScope('read').every((e) => e.startsWith('GET '))).toBe(true);
    expect(byScope('operate').some((e) => e.startsWith('GET '))).toBe(false);
  });
});

describe('API tokens and a second factor owed', () => {
  it('refuses the token of MSP staff who must turn on two-factor sign-in and have not (403, audited), like their session', async () => {
    const operator = await person('msp_operator', actors.admin.organizationId, 'operator@msp.test');
    const { token, record } = await createToken(ctx(operator), { name: 'ops' });
    const { token: companyToken } = await createToken(ctx(actors.acmeAdmin), { name: 'company while required' });
    expect(await actorFromApiToken(t.db, token)).not.toBeNull();
    await t.db.insert(settings).values({ key: REQUIRE_MFA_FOR_MSP_STAFF, value: true });
    try {
      const err = await failure(actorFromApiToken(t.db, token));
      expect(err).toBeInstanceOf(ForbiddenError);
      expect((err as ForbiddenError).message).toBe(TOKEN_OWES_SECOND_FACTOR);
      expect(await lastEvent()).toMatchObject({
        action: 'api_token.use',
        outcome: 'denied',
        actorId: record.id,
        actorLabel: 'operator@msp.test (API token)',
        reason: 'the person must turn on two-factor sign-in first',
      });
      // The rule is for MSP staff only; once the person turns it on, the token works again.
      expect(await actorFromApiToken(t.db, companyToken)).not.toBeNull();
      await t.db.update(users).set({ totpEnabledAt: new Date() }).where(eq(users.id, operator.userId));
      expect((await actorFromApiToken(t.db, token))?.email).toBe('operator@msp.test');
    } finally {
      await t.db.delete(settings).where(eq(settings.key, REQUIRE_MFA_FOR_MSP_STAFF));
    }
  });
});
