import { describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import { and, count, desc, eq } from 'drizzle-orm';
import { apiTokens, auditEvents, invitations, sessions, users } from '../../db/schema.ts';
import { verifyPassword } from '../../db/users.ts';
import type { TestDatabase } from '../../tests/jest/db.ts';
import { tenantsForFile } from '../../tests/jest/tenants-for-file.ts';
import { failure, type Tenants } from '../../tests/jest/tenants.ts';
import { createSession, validateSessionToken } from '../auth/sessions.ts';
import type { Actor } from '../authz.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { createOrganization, archiveOrganization } from '../organizations/service.ts';
import { actorFromApiToken, createToken } from '../tokens/service.ts';
import {
  acceptInvitation,
  deactivatePerson,
  describeInvitation,
  getPerson,
  INVITATION_PROBLEMS,
  InvitationTokenError,
  invitePerson,
  listInvitations,
  listPeople,
  revokeInvitation,
} from './service.ts';

let t: TestDatabase;
let msp: Tenants['msp'], acme: Tenants['acme'], globex: Tenants['globex'];
let actors: Tenants['actors'], ctx: Tenants['ctx'], person: Tenants['person'];
const BASE = 'https://ops.example.com';
const PASSWORD = 'a long enough password';

const counts = async () => ({
  users: (await t.db.select({ n: count() }).from(users))[0]!.n,
  invitations: (await t.db.select({ n: count() }).from(invitations))[0]!.n,
  audit: (await t.db.select({ n: count() }).from(auditEvents))[0]!.n,
});

/** Everything about the database a refused call must not change (beyond a "denied" audit event). */
const snapshot = async () => ({
  ...(await counts()),
  invitationRows: await t.db.select().from(invitations).orderBy(invitations.id),
  userRows: await t.db.select({ id: users.id, active: users.active }).from(users).orderBy(users.id),
});

const tokenOf = (link: string) => link.split('/invite/')[1]!;
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

let emailSeq = 0;
const freshEmail = (prefix = 'new') => `${prefix}${++emailSeq}@invitee.test`;

tenantsForFile((db, tenants) => {
  t = db;
  ({ msp, acme, globex, actors, ctx, person } = tenants);
});

describe('inviting: bad input names its field and writes nothing', () => {
  const cases: [string, () => Record<string, unknown>, 'invalid' | 'conflict', string][] = [
    ['malformed email', () => ({ organizationId: acme.id, email: 'not-an-email', role: 'company_user' }), 'invalid', 'email'],
    ['empty email', () => ({ organizationId: acme.id, email: '   ', role: 'company_user' }), 'invalid', 'email'],
    ['unknown role', () => ({ organizationId: acme.id, email: freshEmail(), role: 'superuser' }), 'invalid', 'role'],
    ['MSP role into a customer organization', () => ({ organizationId: acme.id, email: freshEmail(), role: 'msp_operator' }), 'invalid', 'role'],
    ['company role into the MSP organization', () => ({ organizationId: msp.id, email: freshEmail(), role: 'company_admin' }), 'invalid', 'role'],
    ['organization that is not a UUID', () => ({ organizationId: 'acme', email: freshEmail(), role: 'company_user' }), 'invalid', 'organizationId'],
    ['organization that does not exist', () => ({ organizationId: crypto.randomUUID(), email: freshEmail(), role: 'company_user' }), 'invalid', 'organizationId'],
    ['expiry of 0 hours', () => ({ organizationId: acme.id, email: freshEmail(), role: 'company_user', expiresInHours: 0 }), 'invalid', 'expiresInHours'],
    ['expiry over 720 hours', () => ({ organizationId: acme.id, email: freshEmail(), role: 'company_user', expiresInHours: 721 }), 'invalid', 'expiresInHours'],
    ['email of an existing person', () => ({ organizationId: acme.id, email: 'USER@acme.test', role: 'company_user' }), 'conflict', 'email'],
    ['email of someone in another organization', () => ({ organizationId: acme.id, email: 'admin@globex.test', role: 'company_user' }), 'conflict', 'email'],
  ];
  for (const [what, input, kind, field] of cases) {
    it(`${what} → ${field}`, async () => {
      const before = await snapshot();
      const err = await failure(invitePerson(ctx(actors.admin), input(), { baseUrl: BASE }));
      expect(err).toBeInstanceOf(kind === 'invalid' ? InvalidInputError : ConflictError);
      expect(Object.keys((err as InvalidInputError).fieldErrors)).toEqual([field]);
      expect(await snapshot()).toEqual(before);
    });
  }

  it('a pending invitation for the same email → email (in any letter case), and nothing is written', async () => {
    const email = freshEmail('pending');
    await invitePerson(ctx(actors.admin), { organizationId: acme.id, email, role: 'company_user' }, { baseUrl: BASE });
    const before = await snapshot();
    const err = await failure(invitePerson(ctx(actors.admin), { organizationId: globex.id, email: email.toUpperCase(), role: 'company_user' }, { baseUrl: BASE }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).fieldErrors).toEqual({ email: expect.stringContaining('already pending') });
    expect(await snapshot()).toEqual(before);
  });

  it('an expired or revoked invitation does not block a new one', async () => {
    const email = freshEmail('again');
    const first = await invitePerson(ctx(actors.admin), { organizationId: acme.id, email, role: 'company_user', expiresInHours: 1 }, { baseUrl: BASE });
    await t.db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(invitations.id, first.invitation.id));
    const second = await invitePerson(ctx(actors.admin), { organizationId: acme.id, email, role: 'company_user' }, { baseUrl: BASE });
    await revokeInvitation(ctx(actors.admin), second.invitation.id);
    const third = await invitePerson(ctx(actors.admin), { organizationId: acme.id, email, role: 'company_admin' }, { baseUrl: BASE });
    expect(third.invitation.status).toBe('pending');
  });

  it('an archived organization → organizationId, nothing written', async () => {
    const old = await createOrganization(ctx(actors.admin), { name: 'Old Co' });
    await archiveOrganization(ctx(actors.admin), old.id);
    const before = await snapshot();
    const err = await failure(invitePerson(ctx(actors.admin), { organizationId: old.id, email: freshEmail(), role: 'company_user' }, { baseUrl: BASE }));
    expect(err).toBeInstanceOf(ConflictError);
    expect(Object.keys((err as ConflictError).fieldErrors)).toEqual(['organizationId']);
    expect(await snapshot()).toEqual(before);
  });
});

describe('inviting: who may invite whom', () => {
  const invite = (a: Actor, organizationId: string, role: string) => invitePerson(ctx(a), { organizationId, email: freshEmail(role), role }, { baseUrl: BASE });

  it('an MSP admin invites anyone, with a link whose token is stored only as a hash, audited without the token', async () => {
    for (const [org, role] of [
      [msp.id, 'msp_admin'],
      [msp.id, 'msp_operator'],
      [acme.id, 'company_admin'],
      [globex.id, 'company_user'],
    ] as const) {
      const { invitation, link } = await invite(actors.admin, org, role);
      expect(invitation).toMatchObject({ organizationId: org, role, status: 'pending', invitedBy: actors.admin.userId });
      expect(link).toMatch(new RegExp(`^${BASE}/invite/[A-Za-z0-9_-]{43}$`));
      const token = tokenOf(link);
      const [row] = await t.db.select().from(invitations).where(eq(invitations.id, invitation.id));
      expect(row!.tokenHash).toBe(sha256(token));
      expect(JSON.stringify(row)).not.toContain(token);
      const [event] = await t.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.targetId, invitation.id), eq(auditEvents.action, 'person.invite')));
      expect(event).toMatchObject({ outcome: 'success', actorId: actors.admin.userId, organizationId: org });
      expect(JSON.stringify(event)).not.toContain(token);
    }
  });

  it('expires after 168 hours by default, or as asked', async () => {
    const def = await invite(actors.admin, acme.id, 'company_user');
    const hours = (Date.parse(def.invitation.expiresAt) - Date.parse(def.invitation.createdAt)) / 3600_000;
    expect(hours).toBeCloseTo(168, 1);
    const short = await invitePerson(ctx(actors.admin), { organizationId: acme.id, email: freshEmail(), role: 'company_user', expiresInHours: 2 }, { baseUrl: BASE });
    expect((Date.parse(short.invitation.expiresAt) - Date.parse(short.invitation.createdAt)) / 3600_000).toBeCloseTo(2, 1);
  });

  it('an MSP operator invites company roles, but not MSP roles (Forbidden, one denied event, nothing else)', async () => {
    await expect(invite(actors.operator, globex.id, 'company_admin')).resolves.toMatchObject({ invitation: { role: 'company_admin' } });
    for (const role of ['msp_admin', 'msp_operator']) {
      const before = await snapshot();
      await expect(invite(actors.operator, msp.id, role)).rejects.toBeInstanceOf(ForbiddenError);
      expect(await snapshot()).toMatchObject({ ...before, audit: before.audit + 1, invitationRows: before.invitationRows });
    }
  });

  it('a company admin invites company roles into their own organization only', async () => {
    await expect(invite(actors.acmeAdmin, acme.id, 'company_user')).resolves.toMatchObject({ invitation: { organizationId: acme.id } });
    await expect(invite(actors.acmeAdmin, acme.id, 'company_admin')).resolves.toMatchObject({ invitation: { role: 'company_admin' } });

    let before = await snapshot();
    await expect(invite(actors.acmeAdmin, globex.id, 'company_user')).rejects.toBeInstanceOf(NotFoundError);
    expect(await snapshot()).toEqual({ ...before, audit: before.audit + 1 });
    // Another organization is "not found" before anything about it is looked at, even a bad email.
    before = await snapshot();
    await expect(invitePerson(ctx(actors.acmeAdmin), { organizationId: globex.id, email: 'admin@globex.test', role: 'company_user' }, { baseUrl: BASE })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(await snapshot()).toEqual({ ...before, audit: before.audit + 1 });

    for (const [org, role] of [
      [acme.id, 'msp_operator'],
      [msp.id, 'msp_admin'],
    ] as const) {
      before = await snapshot();
      await expect(invite(actors.acmeAdmin, org, role)).rejects.toBeInstanceOf(org === acme.id ? ForbiddenError : NotFoundError);
      expect(await snapshot()).toEqual({ ...before, audit: before.audit + 1 });
    }
  });

  it('a company user cannot invite', async () => {
    const before = await snapshot();
    await expect(invite(actors.acmeUser, acme.id, 'company_user')).rejects.toBeInstanceOf(ForbiddenError);
    expect(await snapshot()).toEqual({ ...before, audit: before.audit + 1 });
    const [denied] = await t.db.select().from(auditEvents).where(eq(auditEvents.actorId, actors.acmeUser.userId));
    expect(denied).toMatchObject({ action: 'person.invite', outcome: 'denied', reason: 'role company_user may not person.invite' });
  });
});

describe('accepting an invitation', () => {
  it('describes a valid link, then creates the person with the invited role and organization; the password works', async () => {
    const { invitation, link } = await invitePerson(ctx(actors.acmeAdmin), { organizationId: acme.id, email: 'Carol@Example.com', role: 'company_admin' }, { baseUrl: BASE });
    const token = tokenOf(link);
    expect(await describeInvitation(t.db, token)).toMatchObject({ organizationName: 'Acme', email: 'carol@example.com', role: 'company_admin', roleLabel: 'Company admin' });

    const userId = await acceptInvitation(t.db, token, { name: '  Carol  ', password: PASSWORD, passwordConfirm: PASSWORD });
    const [user] = await t.db.select().from(users).where(eq(users.id, userId));
    expect(user).toMatchObject({ email: 'carol@example.com', name: 'Carol', role: 'company_admin', organizationId: acme.id, active: true });
    expect(await verifyPassword(user!.passwordHash, PASSWORD)).toBe(true);
    expect(await verifyPassword(user!.passwordHash, 'a wrong password!!')).toBe(false);

    const [row] = await t.db.select().from(invitations).where(eq(invitations.id, invitation.id));
    expect(row).toMatchObject({ acceptedUserId: userId, tokenHash: sha256(token) });
    expect(row!.acceptedAt).not.toBeNull();
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.action, 'person.accept_invitation'));
    expect(event).toMatchObject({ actorType: 'person', actorId: userId, actorLabel: 'carol@example.com', organizationId: acme.id, targetId: invitation.id, outcome: 'success' });
    expect(JSON.stringify(event)).not.toContain(token);
    expect(JSON.stringify(event)).not.toContain(PASSWORD);

    expect((await listInvitations(ctx(actors.acmeAdmin), {})).items.find((i) => i.id === invitation.id)?.status).toBe('accepted');
    expect((await getPerson(ctx(actors.acmeAdmin), userId)).role).toBe('company_admin');
  });

  it('names the field of a bad name or password, and writes nothing', async () => {
    const { link } = await invitePerson(ctx(actors.admin), { organizationId: globex.id, email: freshEmail(), role: 'company_user' }, { baseUrl: BASE });
    const token = tokenOf(link);
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '   ', password: PASSWORD, passwordConfirm: PASSWORD }, 'name'],
      [{ name: 'x'.repeat(101), password: PASSWORD, passwordConfirm: PASSWORD }, 'name'],
      [{ name: 'Dan', password: 'short', passwordConfirm: 'short' }, 'password'],
      [{ name: 'Dan', password: 'x'.repeat(257), passwordConfirm: 'x'.repeat(257) }, 'password'],
      [{ name: 'Dan', password: PASSWORD, passwordConfirm: `${PASSWORD}!` }, 'passwordConfirm'],
    ];
    for (const [input, field] of cases) {
      const before = await snapshot();
      const err = await failure(acceptInvitation(t.db, token, input));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(Object.keys((err as InvalidInputError).fieldErrors)).toEqual([field]);
      expect(await snapshot()).toEqual(before);
    }
    await expect(acceptInvitation(t.db, token, { name: 'Dan', password: PASSWORD, passwordConfirm: PASSWORD })).resolves.toEqual(expect.any(String));
  });

  it('refuses unknown, expired, used and withdrawn links with their own message, changing nothing but a denied event', async () => {
    const make = async () => invitePerson(ctx(actors.admin), { organizationId: acme.id, email: freshEmail('refused'), role: 'company_user' }, { baseUrl: BASE });
    const expired = await make();
    await t.db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(invitations.id, expired.invitation.id));
    const used = await make();
    await acceptInvitation(t.db, tokenOf(used.link), { name: 'Used', password: PASSWORD, passwordConfirm: PASSWORD });
    const revoked = await make();
    await revokeInvitation(ctx(actors.admin), revoked.invitation.id);

    const cases: [string, InvitationTokenError['problem']][] = [
      [crypto.randomBytes(32).toString('base64url'), 'unknown'],
      ['', 'unknown'],
      [tokenOf(expired.link), 'expired'],
      [tokenOf(used.link), 'used'],
      [tokenOf(revoked.link), 'revoked'],
    ];
    expect(INVITATION_PROBLEMS).toEqual({
      unknown: 'This invitation link is not valid.',
      expired: 'This invitation has expired; ask for a new one.',
      used: 'This invitation has already been used.',
      revoked: 'This invitation was withdrawn.',
    });
    for (const [token, problem] of cases) {
      const before = await snapshot();
      const described = await failure(describeInvitation(t.db, token));
      expect(described).toBeInstanceOf(InvalidInputError);
      expect((described as InvalidInputError).fieldErrors).toEqual({ token: INVITATION_PROBLEMS[problem] });
      const accepted = await failure(acceptInvitation(t.db, token, { name: 'Mallory', password: PASSWORD, passwordConfirm: PASSWORD }));
      expect(accepted).toBeInstanceOf(InvitationTokenError);
      expect((accepted as InvitationTokenError).problem).toBe(problem);
      expect((accepted as InvalidInputError).fieldErrors).toEqual({ token: INVITATION_PROBLEMS[problem] });
      // Viewing the page is not audited; a refused acceptance is, with a prefix of the token's hash only.
      expect(await snapshot()).toEqual({ ...before, audit: before.audit + 1 });
      const [event] = await t.db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
      expect(event).toMatchObject({
        actorType: 'system',
        actorId: null,
        actorLabel: 'anonymous',
        action: 'person.accept_invitation',
        outcome: 'denied',
        reason: problem,
        details: { linkHashPrefix: sha256(token).slice(0, 12) },
      });
      if (token) expect(JSON.stringify(event)).not.toContain(token);
      expect(JSON.stringify(event)).not.toContain(sha256(token));
    }
  });

  it('lets exactly one of two concurrent acceptances win', async () => {
    const { invitation, link } = await invitePerson(ctx(actors.admin), { organizationId: globex.id, email: freshEmail('race'), role: 'company_user' }, { baseUrl: BASE });
    const token = tokenOf(link);
    const before = await counts();
    const results = await Promise.allSettled([1, 2, 3].map((n) => acceptInvitation(t.db, token, { name: `Racer ${n}`, password: PASSWORD, passwordConfirm: PASSWORD })));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(2);
    for (const l of lost) expect((l.reason as InvitationTokenError).fieldErrors).toEqual({ token: INVITATION_PROBLEMS.used });
    // One success, and each loser's refusal recorded.
    expect(await counts()).toEqual({ ...before, users: before.users + 1, audit: before.audit + 3 });
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.targetId, invitation.id));
    expect(events.map((e) => `${e.action}:${e.outcome}`).sort()).toEqual([
      'person.accept_invitation:denied',
      'person.accept_invitation:denied',
      'person.accept_invitation:success',
      'person.invite:success',
    ]);
    expect(await t.db.select().from(users).where(eq(users.email, invitation.email))).toHaveLength(1);
  });

  it('revoking: refused for another organization, an accepted invitation, or twice', async () => {
    const { invitation } = await invitePerson(ctx(actors.admin), { organizationId: acme.id, email: freshEmail(), role: 'company_user' }, { baseUrl: BASE });
    await expect(revokeInvitation(ctx(actors.globexAdmin), invitation.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeInvitation(ctx(actors.acmeUser), invitation.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(revokeInvitation(ctx(actors.acmeAdmin), 'nope')).rejects.toBeInstanceOf(NotFoundError);
    expect((await revokeInvitation(ctx(actors.acmeAdmin), invitation.id)).status).toBe('revoked');
    await expect(revokeInvitation(ctx(actors.acmeAdmin), invitation.id)).rejects.toMatchObject({ fieldErrors: { id: 'This invitation was already withdrawn.' } });
    const accepted = await invitePerson(ctx(actors.admin), { organizationId: acme.id, email: freshEmail(), role: 'company_user' }, { baseUrl: BASE });
    await acceptInvitation(t.db, tokenOf(accepted.link), { name: 'Erin', password: PASSWORD, passwordConfirm: PASSWORD });
    await expect(revokeInvitation(ctx(actors.admin), accepted.invitation.id)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('listing people and invitations is scoped', () => {
  it('MSP staff see everyone, or one organization', async () => {
    const all = await listPeople(ctx(actors.operator), { limit: 200 });
    const orgs = new Set(all.items.map((p) => p.organizationId));
    expect(orgs).toEqual(new Set([msp.id, acme.id, globex.id]));
    const onlyAcme = await listPeople(ctx(actors.admin), { organizationId: acme.id, limit: 200 });
    expect(onlyAcme.items.length).toBeGreaterThan(0);
    expect(onlyAcme.items.every((p) => p.organizationId === acme.id && p.organizationName === 'Acme')).toBe(true);
  });

  it('never outputs password hashes or two-factor keys', async () => {
    const page = await listPeople(ctx(actors.admin), { limit: 200 });
    expect(Object.keys(page.items[0]!).sort()).toEqual([
      'active',
      'createdAt',
      'deactivatedAt',
      'email',
      'id',
      'name',
      'organizationId',
      'organizationName',
      'role',
      'twoFactorEnabled',
    ]);
    expect(JSON.stringify(page)).not.toMatch(/argon2|passwordHash|totp/i);
  });

  it('a company admin sees only their own organization; another one is not found', async () => {
    const own = await listPeople(ctx(actors.acmeAdmin), { limit: 200 });
    expect(own.items.length).toBeGreaterThan(1);
    expect(own.items.every((p) => p.organizationId === acme.id)).toBe(true);
    await expect(listPeople(ctx(actors.acmeAdmin), { organizationId: globex.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(getPerson(ctx(actors.acmeAdmin), actors.globexAdmin.userId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getPerson(ctx(actors.acmeAdmin), 'not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
    const inv = await listInvitations(ctx(actors.acmeAdmin), {});
    expect(inv.items.length).toBeGreaterThan(0);
    expect(inv.items.every((i) => i.organizationId === acme.id)).toBe(true);
    await expect(listInvitations(ctx(actors.acmeAdmin), { organizationId: globex.id })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a company user sees only themselves', async () => {
    const self = await listPeople(ctx(actors.acmeUser), { limit: 200 });
    expect(self.items.map((p) => p.id)).toEqual([actors.acmeUser.userId]);
    expect((await getPerson(ctx(actors.acmeUser), actors.acmeUser.userId)).email).toBe('user@acme.test');
    await expect(getPerson(ctx(actors.acmeUser), actors.acmeAdmin.userId)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listPeople(ctx(actors.acmeUser), { organizationId: globex.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listInvitations(ctx(actors.acmeUser), {})).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('pages with a cursor, each person once; deactivated people only when asked', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listPeople(ctx(actors.admin), { limit: 2, cursor, includeDeactivated: 'true' });
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = await t.db.select({ id: users.id }).from(users);
    expect(seen.sort()).toEqual(all.map((u) => u.id).sort());
    await expect(listPeople(ctx(actors.admin), { includeDeactivated: 'maybe' })).rejects.toMatchObject({ fieldErrors: { includeDeactivated: expect.any(String) } });
  });
});

describe('deactivating a person', () => {
  it('ends their sessions, revokes their API tokens, and is audited', async () => {
    const victim = await person('company_user', acme.id, 'leaver@acme.test');
    const session = await createSession(victim.userId);
    const { token } = await createToken(ctx(victim), { name: 'laptop' });
    expect(await actorFromApiToken(t.db, token)).not.toBeNull();

    const out = await deactivatePerson(ctx(actors.acmeAdmin), victim.userId);
    expect(out).toMatchObject({ id: victim.userId, active: false, deactivatedAt: expect.any(String) });
    expect(await validateSessionToken(session.token)).toBeNull();
    expect(await t.db.select().from(sessions).where(eq(sessions.userId, victim.userId))).toHaveLength(0);
    expect(await actorFromApiToken(t.db, token)).toBeNull();
    const [tokenRow] = await t.db.select().from(apiTokens).where(eq(apiTokens.userId, victim.userId));
    expect(tokenRow!.revokedAt).not.toBeNull();
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'person.deactivate'), eq(auditEvents.targetId, victim.userId)));
    expect(event).toMatchObject({ outcome: 'success', actorId: actors.acmeAdmin.userId, organizationId: acme.id });
    expect(event!.details).toMatchObject({ signInsEnded: 1, apiAccessRevoked: 1, invitationsRevoked: 0 });

    expect((await listPeople(ctx(actors.acmeAdmin), { limit: 200 })).items.map((p) => p.id)).not.toContain(victim.userId);
    expect((await listPeople(ctx(actors.acmeAdmin), { limit: 200, includeDeactivated: true })).items.map((p) => p.id)).toContain(victim.userId);
    await expect(deactivatePerson(ctx(actors.acmeAdmin), victim.userId)).rejects.toMatchObject({ fieldErrors: { id: 'This person is already deactivated.' } });
  });

  it('withdraws the invitations they sent and nobody has used yet: those links no longer work', async () => {
    const inviter = await person('company_admin', acme.id, 'inviting-leaver@acme.test');
    const pendingOne = await invitePerson(ctx(inviter), { organizationId: acme.id, email: freshEmail('left-behind'), role: 'company_user' }, { baseUrl: BASE });
    const acceptedOne = await invitePerson(ctx(inviter), { organizationId: acme.id, email: freshEmail('joined'), role: 'company_user' }, { baseUrl: BASE });
    await acceptInvitation(t.db, tokenOf(acceptedOne.link), { name: 'Joined', password: PASSWORD, passwordConfirm: PASSWORD });
    const someoneElses = await invitePerson(ctx(actors.acmeAdmin), { organizationId: acme.id, email: freshEmail('other'), role: 'company_user' }, { baseUrl: BASE });

    await deactivatePerson(ctx(actors.acmeAdmin), inviter.userId);

    const err = await failure(acceptInvitation(t.db, tokenOf(pendingOne.link), { name: 'Late', password: PASSWORD, passwordConfirm: PASSWORD }));
    expect(err).toBeInstanceOf(InvitationTokenError);
    expect((err as InvitationTokenError).problem).toBe('revoked');
    const statuses = (await listInvitations(ctx(actors.acmeAdmin), {})).items;
    expect(statuses.find((i) => i.id === pendingOne.invitation.id)?.status).toBe('revoked');
    expect(statuses.find((i) => i.id === acceptedOne.invitation.id)?.status).toBe('accepted');
    expect(statuses.find((i) => i.id === someoneElses.invitation.id)?.status).toBe('pending');
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'person.deactivate'), eq(auditEvents.targetId, inviter.userId)));
    expect(event!.details).toMatchObject({ invitationsRevoked: 1, apiAccessRevoked: 0, signInsEnded: 0 });
  });

  it('refuses deactivating yourself, with a clear message, changing nothing but the denied event', async () => {
    const before = await snapshot();
    const err = await failure(deactivatePerson(ctx(actors.acmeAdmin), actors.acmeAdmin.userId));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect((err as ForbiddenError).message).toMatch(/cannot deactivate yourself/);
    expect(await snapshot()).toEqual({ ...before, audit: before.audit + 1 });
  });

  it('follows the role rules: another organization is not found, MSP staff only by an MSP admin', async () => {
    const before = await snapshot();
    await expect(deactivatePerson(ctx(actors.acmeAdmin), actors.globexAdmin.userId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(deactivatePerson(ctx(actors.acmeAdmin), actors.operator.userId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(deactivatePerson(ctx(actors.operator), actors.admin.userId)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deactivatePerson(ctx(actors.acmeUser), actors.acmeAdmin.userId)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(deactivatePerson(ctx(actors.admin), crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
    expect(await snapshot()).toEqual({ ...before, audit: before.audit + 4 });
  });

  it('keeps the last active MSP admin', async () => {
    const second = await person('msp_admin', msp.id, 'second-admin@msp.test');
    await deactivatePerson(ctx(actors.admin), second.userId);
    // An actor object that is still an MSP admin (e.g. a request in flight) cannot remove the last one.
    const stale: Actor = { ...second };
    const before = await snapshot();
    const err = await failure(deactivatePerson(ctx(stale), actors.admin.userId));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).fieldErrors).toEqual({ id: expect.stringContaining('last active MSP admin') });
    expect(await snapshot()).toEqual(before);
    expect((await getPerson(ctx(actors.admin), actors.admin.userId)).active).toBe(true);
  });
});
