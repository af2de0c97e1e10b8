import { describe, expect, it } from '@jest/globals';
import { and, count, eq, sql } from 'drizzle-orm';
import { apiTokens, auditEvents, invitations, nodes, organizations, sessions, users } from '../../db/schema.ts';
import type { TestDatabase } from '../../tests/jest/db.ts';
import { tenantsForFile } from '../../tests/jest/tenants-for-file.ts';
import { failure, type Tenants } from '../../tests/jest/tenants.ts';
import { createSession, validateSessionToken } from '../auth/sessions.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { acceptInvitation, InvitationTokenError, invitePerson } from '../people/service.ts';
import { actorFromApiToken, createToken } from '../tokens/service.ts';
import { archiveOrganization, createOrganization, getOrganization, listOrganizations, renameOrganization } from './service.ts';

let t: TestDatabase;
let msp: Tenants['msp'], acme: Tenants['acme'], globex: Tenants['globex'];
let actors: Tenants['actors'], ctx: Tenants['ctx'], person: Tenants['person'];

const rows = async () => ({
  orgs: (await t.db.select({ n: count() }).from(organizations))[0]!.n,
  audit: (await t.db.select({ n: count() }).from(auditEvents))[0]!.n,
});

/** Makes the audit store refuse events of one action (as a failing disk or a broken trigger would). */
async function failAuditOf(action: string): Promise<() => Promise<void>> {
  await t.db.execute(
    sql.raw(`create function test_fail_audit() returns trigger language plpgsql as $$
    begin
      if new.action = '${action}' then raise exception 'audit store unavailable'; end if;
      return new;
    end $$`),
  );
  await t.db.execute(sql`create trigger test_fail_audit before insert on audit_events for each row execute function test_fail_audit()`);
  return async () => {
    await t.db.execute(sql`drop trigger test_fail_audit on audit_events`);
    await t.db.execute(sql`drop function test_fail_audit()`);
  };
}

tenantsForFile((db, tenants) => {
  t = db;
  ({ msp, acme, globex, actors, ctx, person } = tenants);
});

describe('organizations service', () => {
  it('lets MSP staff create customer organizations, audited', async () => {
    const org = await createOrganization(ctx(actors.operator), { name: '  Initech  ' });
    expect(org).toMatchObject({ name: 'Initech', kind: 'customer', archivedAt: null });
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.targetId, org.id));
    expect(event).toMatchObject({ action: 'organization.create', outcome: 'success', actorLabel: 'operator@msp.test' });
  });

  it('names the field of bad input and writes nothing', async () => {
    const before = await rows();
    const empty = await createOrganization(ctx(actors.admin), { name: '   ' }).catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(InvalidInputError);
    expect((empty as InvalidInputError).fieldErrors).toEqual({ name: 'name is required' });
    const long = await createOrganization(ctx(actors.admin), { name: 'x'.repeat(101) }).catch((e: unknown) => e);
    expect((long as InvalidInputError).fieldErrors).toEqual({ name: 'name must be at most 100 characters' });
    const missing = await createOrganization(ctx(actors.admin), {}).catch((e: unknown) => e);
    expect(Object.keys((missing as InvalidInputError).fieldErrors)).toEqual(['name']);
    const duplicate = await createOrganization(ctx(actors.admin), { name: 'acme' }).catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(ConflictError);
    expect((duplicate as ConflictError).fieldErrors).toEqual({ name: 'An organization named "acme" already exists.' });
    expect(await rows()).toEqual(before);
  });

  it('refuses company people, recording the refusal and changing nothing else', async () => {
    const before = await rows();
    await expect(createOrganization(ctx(actors.acmeAdmin), { name: 'Sneaky' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(renameOrganization(ctx(actors.acmeAdmin), acme.id, { name: 'Acme 2' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(renameOrganization(ctx(actors.acmeAdmin), globex.id, { name: 'Mine now' })).rejects.toBeInstanceOf(NotFoundError);
    const after = await rows();
    expect(after).toEqual({ orgs: before.orgs, audit: before.audit + 3 });
    const denied = await t.db.select().from(auditEvents).where(eq(auditEvents.outcome, 'denied'));
    expect(denied.map((e) => e.reason)).toEqual(expect.arrayContaining(['role company_admin may not organization.create', 'record of another organization']));
    expect((await getOrganization(ctx(actors.admin), acme.id)).name).toBe('Acme');
  });

  it('shows company people only their own organization; another one does not exist for them', async () => {
    expect((await listOrganizations(ctx(actors.acmeUser), {})).items.map((o) => o.name)).toEqual(['Acme']);
    expect((await getOrganization(ctx(actors.acmeUser), acme.id)).name).toBe('Acme');
    await expect(getOrganization(ctx(actors.acmeUser), globex.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getOrganization(ctx(actors.acmeUser), '00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    await expect(getOrganization(ctx(actors.admin), 'not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('pages through organizations with a cursor, each exactly once', async () => {
    for (let i = 0; i < 7; i++) await createOrganization(ctx(actors.admin), { name: `Paged ${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listOrganizations(ctx(actors.admin), { limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = await t.db.select({ id: organizations.id }).from(organizations);
    expect(seen.sort()).toEqual(all.map((o) => o.id).sort());
    await expect(listOrganizations(ctx(actors.admin), { cursor: 'garbage' })).rejects.toMatchObject({ fieldErrors: { cursor: expect.any(String) } });
  });

  it('renames, and refuses to archive the MSP organization or one that owns nodes', async () => {
    expect((await renameOrganization(ctx(actors.admin), globex.id, { name: 'Globex Corp' })).name).toBe('Globex Corp');
    await expect(archiveOrganization(ctx(actors.admin), msp.id)).rejects.toThrow('The shared infrastructure organization cannot be archived.');
    await t.db.insert(nodes).values({ organizationId: globex.id, name: 'edge-1' });
    await expect(archiveOrganization(ctx(actors.admin), globex.id)).rejects.toThrow('This organization still owns 1 node: move or remove it before archiving.');
    expect((await getOrganization(ctx(actors.admin), globex.id)).archivedAt).toBeNull();
    const archived = await archiveOrganization(ctx(actors.operator), acme.id);
    expect(archived.archivedAt).not.toBeNull();
    expect((await listOrganizations(ctx(actors.admin), { limit: 200 })).items.map((o) => o.name)).not.toContain('Acme');
    expect((await listOrganizations(ctx(actors.admin), { archived: 'only' })).items.map((o) => o.name)).toEqual(['Acme']);
    await expect(renameOrganization(ctx(actors.admin), acme.id, { name: 'Acme again' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('archiving ends the access of its people: sessions, API tokens and pending invitations, in one audited step', async () => {
    const hooli = await createOrganization(ctx(actors.admin), { name: 'Hooli' });
    const hooliAdmin = await person('company_admin', hooli.id, 'admin@hooli.test');
    await person('company_user', hooli.id, 'user@hooli.test');
    const session = await createSession(hooliAdmin.userId);
    expect(await validateSessionToken(session.token)).not.toBeNull();
    const { token } = await createToken(ctx(hooliAdmin), { name: 'script' });
    expect(await actorFromApiToken(t.db, token)).not.toBeNull();
    const { link } = await invitePerson(ctx(hooliAdmin), { organizationId: hooli.id, email: 'new@hooli.test', role: 'company_user' }, { baseUrl: 'https://ops.example.com' });
    const other = await createSession(actors.globexAdmin.userId); // someone elsewhere keeps theirs

    await archiveOrganization(ctx(actors.admin), hooli.id);

    expect(await validateSessionToken(session.token)).toBeNull();
    expect(await t.db.select().from(sessions).where(eq(sessions.userId, hooliAdmin.userId))).toHaveLength(0);
    expect(await actorFromApiToken(t.db, token)).toBeNull();
    expect((await t.db.select().from(apiTokens).where(eq(apiTokens.userId, hooliAdmin.userId)))[0]!.revokedAt).not.toBeNull();
    const err = await failure(acceptInvitation(t.db, link.split('/invite/')[1]!, { name: 'New', password: 'a long enough password', passwordConfirm: 'a long enough password' }));
    expect(err).toBeInstanceOf(InvitationTokenError);
    expect((err as InvitationTokenError).problem).toBe('revoked');
    expect((await t.db.select().from(invitations).where(eq(invitations.organizationId, hooli.id)))[0]!.revokedAt).not.toBeNull();
    const people = await t.db.select({ active: users.active, deactivatedAt: users.deactivatedAt }).from(users).where(eq(users.organizationId, hooli.id));
    expect(people).toHaveLength(2);
    expect(people.every((p) => !p.active && p.deactivatedAt !== null)).toBe(true);
    expect(await validateSessionToken(other.token)).not.toBeNull();

    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'organization.archive'), eq(auditEvents.targetId, hooli.id)));
    expect(event).toMatchObject({ outcome: 'success', actorId: actors.admin.userId, organizationId: hooli.id });
    expect(event!.details).toMatchObject({ peopleDeactivated: 2, signInsEnded: 1, apiAccessRevoked: 1, invitationsRevoked: 1 });
  });

  it('keeps a change and its audit event together: when the event cannot be written, nothing changes', async () => {
    let restore = await failAuditOf('organization.create');
    try {
      const before = await rows();
      const err = await failure(createOrganization(ctx(actors.admin), { name: 'Doomed' }));
      expect(String((err as Error).cause)).toMatch(/audit store unavailable/);
      expect(await t.db.select().from(organizations).where(eq(organizations.name, 'Doomed'))).toHaveLength(0);
      expect(await rows()).toEqual(before);
    } finally {
      await restore();
    }

    // The same for archiving: the organization stays, and so do its people's access and invitations.
    const survivor = await createOrganization(ctx(actors.admin), { name: 'Survivor' });
    const staff = await person('company_admin', survivor.id, 'admin@survivor.test');
    const session = await createSession(staff.userId);
    const { token } = await createToken(ctx(staff), { name: 'kept' });
    restore = await failAuditOf('organization.archive');
    try {
      const err = await failure(archiveOrganization(ctx(actors.admin), survivor.id));
      expect(String((err as Error).cause)).toMatch(/audit store unavailable/);
    } finally {
      await restore();
    }
    expect((await getOrganization(ctx(actors.admin), survivor.id)).archivedAt).toBeNull();
    expect(await validateSessionToken(session.token)).not.toBeNull();
    expect(await actorFromApiToken(t.db, token)).not.toBeNull();
    // With the audit store back, the same calls succeed.
    expect((await createOrganization(ctx(actors.admin), { name: 'Doomed' })).name).toBe('Doomed');
    expect((await archiveOrganization(ctx(actors.admin), survivor.id)).archivedAt).not.toBeNull();
  });
});
