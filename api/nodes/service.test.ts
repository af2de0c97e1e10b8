import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, count, eq } from 'drizzle-orm';
import { auditEvents, nodes } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { archiveOrganization, createOrganization } from '../organizations/service.ts';
import { createNode, getNode, listNodes, updateNode } from './service.ts';

let t: TestDatabase;
let acme: { id: string };
let globex: { id: string };
let actors: Tenants['actors'];
let ctx: Tenants['ctx'];

const nodeCount = async () => (await t.db.select({ n: count() }).from(nodes))[0]!.n;

beforeAll(async () => {
  t = await freshDatabase();
  ({ acme, globex, actors, ctx } = await seedTenants(t.db));
});
afterAll(async () => {
  await t.close();
});

describe('nodes service', () => {
  it('lets MSP staff create a pending node record, trimmed, with its creator, audited', async () => {
    const node = await createNode(ctx(actors.operator), {
      organizationId: acme.id,
      name: '  edge-01.acme  ',
      labels: ['site=paris', 'role/gateway', 'site=paris'],
      notes: 'rack 4',
    });
    expect(node).toMatchObject({
      organizationId: acme.id,
      organizationName: 'Acme',
      name: 'edge-01.acme',
      labels: ['site=paris', 'role/gateway'],
      notes: 'rack 4',
      status: 'pending',
      createdBy: 'operator@msp.test',
    });
    expect(new Date(node.createdAt).toISOString()).toBe(node.createdAt);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, node.id), eq(auditEvents.action, 'node.create')));
    expect(event).toMatchObject({ outcome: 'success', organizationId: acme.id, actorLabel: 'operator@msp.test', targetType: 'node' });
    expect(await getNode(ctx(actors.admin), node.id)).toEqual(node);
  });

  it('names the field of every bad input and writes nothing', async () => {
    const before = await nodeCount();
    const attempt = async (input: Record<string, unknown>) => {
      const err = await failure(createNode(ctx(actors.admin), { organizationId: acme.id, name: 'ok-name', ...input }));
      expect(err).toBeInstanceOf(InvalidInputError);
      return (err as InvalidInputError).fieldErrors;
    };
    expect(await attempt({ name: '   ' })).toEqual({ name: 'name is required' });
    expect(await attempt({ name: 'x'.repeat(64) })).toEqual({ name: 'name must be at most 63 characters' });
    expect((await attempt({ name: 'has space' })).name).toMatch(/letters, digits, dots and hyphens/);
    expect((await attempt({ name: '-edge' })).name).toMatch(/start and end with a letter or digit/);
    expect((await attempt({ name: 'edge.' })).name).toMatch(/start and end with a letter or digit/);
    expect(Object.keys(await attempt({ name: undefined }))).toEqual(['name']);
    expect(await attempt({ organizationId: 'acme' })).toEqual({ organizationId: 'organizationId must be a UUID' });
    expect(Object.keys(await attempt({ organizationId: undefined }))).toEqual(['organizationId']);
    expect(await attempt({ labels: Array.from({ length: 21 }, (_, i) => `l${i}`) })).toEqual({ labels: 'at most 20 labels' });
    expect(await attempt({ labels: ['fine', 'not fine'] })).toEqual({ 'labels.1': 'label "not fine" may contain only letters, digits and . _ = : / -' });
    expect(Object.keys(await attempt({ labels: ['ok', '   '] }))).toEqual(['labels.1']);
    expect(Object.keys(await attempt({ labels: ['y'.repeat(64)] }))).toEqual(['labels.0']);
    expect(Object.keys(await attempt({ labels: 'a,b' }))).toEqual(['labels']);
    expect(await attempt({ notes: 'n'.repeat(2001) })).toEqual({ notes: 'notes must be at most 2000 characters' });
    // At the limits, it is accepted.
    const edge = await createNode(ctx(actors.admin), {
      organizationId: globex.id,
      name: 'a'.repeat(63),
      labels: Array.from({ length: 20 }, (_, i) => `k${i}=${'v'.repeat(50)}`),
      notes: 'n'.repeat(2000),
    });
    expect(edge.labels).toHaveLength(20);
    expect(await nodeCount()).toBe(before + 1);
  });

  it('refuses a duplicate name in the same organization, ignoring case, but allows it in another one', async () => {
    await createNode(ctx(actors.admin), { organizationId: acme.id, name: 'db-1' });
    const before = await nodeCount();
    const dup = await failure(createNode(ctx(actors.admin), { organizationId: acme.id, name: 'DB-1' }));
    expect(dup).toBeInstanceOf(ConflictError);
    expect((dup as ConflictError).fieldErrors.name).toMatch(/A node named "DB-1" already exists in Acme/);
    expect(await nodeCount()).toBe(before);
    const other = await createNode(ctx(actors.admin), { organizationId: globex.id, name: 'db-1' });
    expect(other.organizationName).toBe('Globex');
    expect(await nodeCount()).toBe(before + 1);
  });

  it('refuses a missing organization (not found) and an archived one (conflict on organizationId)', async () => {
    const before = await nodeCount();
    await expect(createNode(ctx(actors.admin), { organizationId: '00000000-0000-4000-8000-000000000000', name: 'ghost' })).rejects.toBeInstanceOf(NotFoundError);
    const initech = await createOrganization(ctx(actors.admin), { name: 'Initech' });
    await archiveOrganization(ctx(actors.admin), initech.id);
    const archived = await failure(createNode(ctx(actors.admin), { organizationId: initech.id, name: 'late' }));
    expect(archived).toBeInstanceOf(ConflictError);
    expect((archived as ConflictError).fieldErrors).toEqual({ organizationId: 'Initech is archived; nodes cannot be added to it.' });
    expect(await nodeCount()).toBe(before);
  });

  it('updates name, labels and notes partially, with the same validation, auditing what changed', async () => {
    const node = await createNode(ctx(actors.admin), { organizationId: acme.id, name: 'web-1', labels: ['tier=web'] });
    const renamed = await updateNode(ctx(actors.operator), node.id, { name: 'web-01' });
    expect(renamed).toMatchObject({ name: 'web-01', labels: ['tier=web'], notes: '' });
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(node.updatedAt));
    const relabelled = await updateNode(ctx(actors.admin), node.id, { labels: ['tier=web', 'env=prod'], notes: 'primary' });
    expect(relabelled).toMatchObject({ name: 'web-01', labels: ['tier=web', 'env=prod'], notes: 'primary' });
    const events = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, node.id), eq(auditEvents.action, 'node.update')))
      .orderBy(auditEvents.id);
    expect(events.map((e) => e.details.changed)).toEqual([['name'], ['labels', 'notes']]);
    expect(events[0]!.details.changes).toEqual({ name: { from: 'web-1', to: 'web-01' } });

    const bad = await failure(updateNode(ctx(actors.admin), node.id, { name: 'web 01' }));
    expect(Object.keys((bad as InvalidInputError).fieldErrors)).toEqual(['name']);
    const dup = await failure(updateNode(ctx(actors.admin), node.id, { name: 'DB-1' }));
    expect(dup).toBeInstanceOf(ConflictError);
    expect((await getNode(ctx(actors.admin), node.id)).name).toBe('web-01');
    await expect(updateNode(ctx(actors.admin), '00000000-0000-4000-8000-000000000000', { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('shows a company admin their own organization’s nodes only; another organization’s node does not exist for them', async () => {
    const globexNode = (await listNodes(ctx(actors.admin), { organizationId: globex.id })).items[0]!;
    const own = await listNodes(ctx(actors.acmeAdmin), {});
    expect(own.items.length).toBeGreaterThan(0);
    expect(new Set(own.items.map((n) => n.organizationName))).toEqual(new Set(['Acme']));
    expect((await listNodes(ctx(actors.acmeAdmin), { organizationId: acme.id })).items).toEqual(own.items);
    await expect(listNodes(ctx(actors.acmeAdmin), { organizationId: globex.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(getNode(ctx(actors.acmeAdmin), globexNode.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await getNode(ctx(actors.acmeAdmin), own.items[0]!.id)).organizationId).toBe(acme.id);
    // MSP staff see every organization's nodes.
    const all = await listNodes(ctx(actors.operator), { limit: 200 });
    expect(new Set(all.items.map((n) => n.organizationName))).toEqual(new Set(['Acme', 'Globex']));
    expect((await listNodes(ctx(actors.admin), { status: 'online' })).items).toEqual([]);
    expect((await listNodes(ctx(actors.admin), { status: 'pending', limit: 200 })).items).toHaveLength(all.items.length);
  });

  it('refuses company people every change, and company users even reading, recording each refusal and writing nothing', async () => {
    const [acmeNode] = (await listNodes(ctx(actors.admin), { organizationId: acme.id })).items;
    const [globexNode] = (await listNodes(ctx(actors.admin), { organizationId: globex.id })).items;
    const nodesBefore = await nodeCount();
    const deniedBefore = (await t.db.select({ n: count() }).from(auditEvents).where(eq(auditEvents.outcome, 'denied')))[0]!.n;

    await expect(createNode(ctx(actors.acmeAdmin), { organizationId: acme.id, name: 'mine' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateNode(ctx(actors.acmeAdmin), acmeNode!.id, { name: 'renamed' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateNode(ctx(actors.acmeAdmin), globexNode!.id, { name: 'renamed' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listNodes(ctx(actors.acmeUser), {})).rejects.toBeInstanceOf(ForbiddenError);
    await expect(getNode(ctx(actors.acmeUser), acmeNode!.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(getNode(ctx(actors.acmeUser), globexNode!.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(listNodes(ctx(actors.acmeUser), { organizationId: globex.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(createNode(ctx(actors.acmeUser), { organizationId: acme.id, name: 'mine' })).rejects.toBeInstanceOf(ForbiddenError);

    expect(await nodeCount()).toBe(nodesBefore);
    expect((await getNode(ctx(actors.admin), acmeNode!.id)).name).toBe(acmeNode!.name);
    const deniedAfter = (await t.db.select({ n: count() }).from(auditEvents).where(eq(auditEvents.outcome, 'denied')))[0]!.n;
    expect(deniedAfter).toBe(deniedBefore + 8);
  });

  it('pages through nodes with a cursor, each exactly once, and refuses a bad cursor on the cursor field', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listNodes(ctx(actors.admin), { limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((n) => n.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = await t.db.select({ id: nodes.id }).from(nodes);
    expect(seen.sort()).toEqual(all.map((n) => n.id).sort());
    await expect(listNodes(ctx(actors.admin), { cursor: 'garbage' })).rejects.toMatchObject({ status: 400, fieldErrors: { cursor: expect.any(String) } });
    await expect(getNode(ctx(actors.admin), 'not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
  });
});
