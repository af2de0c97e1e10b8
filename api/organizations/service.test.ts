import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { count, eq } from 'drizzle-orm';
import { auditEvents, nodes, organizations } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { archiveOrganization, createOrganization, getOrganization, listOrganizations, renameOrganization } from './service.ts';

let t: TestDatabase;
let msp: { id: string };
let acme: { id: string };
let globex: { id: string };
let actors: Tenants['actors'];
let ctx: Tenants['ctx'];


const rows = async () => ({
  orgs: (await t.db.select({ n: count() }).from(organizations))[0]!.n,
  audit: (await t.db.select({ n: count() }).from(auditEvents))[0]!.n,
});

beforeAll(async () => {
  t = await freshDatabase();
  ({ msp, acme, globex, actors, ctx } = await seedTenants(t.db));
});
afterAll(async () => { await t.close(); });

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
});
