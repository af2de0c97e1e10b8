// The Instances list across nodes (written directly, as discovery and the jobs' activities would): filters,
// search, pages, and each organization's own, including a customer's instance on the MSP's shared node.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { capabilities, capabilityAttachments, instances, nodes } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { getInstance, listInstances } from './list.ts';

let t: TestDatabase;
let w: Tenants;
const id: Record<string, string> = {};
let acmeNode: string;

const healthy = { healthy: true, gateway: { state: 'running' }, cli: { state: 'running' } };
const unhealthy = { healthy: false, gateway: { state: 'exited' }, cli: { state: 'running' } };

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const node = async (organizationId: string, name: string) => (await t.db.insert(nodes).values({ organizationId, name, status: 'online' }).returning())[0]!.id;
  acmeNode = await node(w.acme.id, 'acme-edge');
  const globexNode = await node(w.globex.id, 'globex-edge');
  const shared = await node(w.msp.id, 'shared-1');
  const rows: (typeof instances.$inferInsert)[] = [
    { organizationId: w.acme.id, nodeId: acmeNode, name: 'alpha-claw', state: 'managed', bundleVersion: '2026.9.6', port: 18789, health: healthy },
    {
      organizationId: w.acme.id,
      nodeId: acmeNode,
      name: 'beta-claw',
      state: 'managed',
      bundleVersion: '2026.9.6',
      port: 18790,
      health: unhealthy,
      driftedSince: new Date(Date.UTC(2026, 10, 30, 13)),
    },
    { organizationId: w.acme.id, nodeId: acmeNode, name: 'gamma_x', state: 'discovered', reasons: ['image'] },
    { organizationId: w.globex.id, nodeId: globexNode, name: 'globex-claw', state: 'managed', health: healthy },
    // Acme's, hosted on the MSP's shared node, never checked.
    { organizationId: w.acme.id, nodeId: shared, name: 'hosted-claw', state: 'managed', port: 18789 },
  ];
  for (const [k, row] of rows.entries()) {
    const [r] = await t.db
      .insert(instances)
      .values({ ...row, createdAt: new Date(Date.UTC(2026, 10, 30, 12, k)) })
      .returning();
    id[row.name] = r!.id;
  }
});
afterAll(() => t.close());

const names = (page: { items: { name: string }[] }) => page.items.map((i) => i.name);

describe('listInstances', () => {
  it('lists every organization’s instances for MSP staff, in creation order, across pages', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listInstances(w.ctx(w.actors.operator), { limit: 2, cursor });
      seen.push(...names(page));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['alpha-claw', 'beta-claw', 'gamma_x', 'globex-claw', 'hosted-claw']);
  });

  it('filters by state, health, node and organization, and searches names literally', async () => {
    const admin = w.ctx(w.actors.admin);
    expect(names(await listInstances(admin, { state: 'discovered' }))).toEqual(['gamma_x']);
    expect(names(await listInstances(admin, { health: 'healthy' }))).toEqual(['alpha-claw', 'globex-claw']);
    expect(names(await listInstances(admin, { health: 'unhealthy' }))).toEqual(['beta-claw']);
    expect(names(await listInstances(admin, { health: 'unknown' }))).toEqual(['gamma_x', 'hosted-claw']);
    expect(names(await listInstances(admin, { nodeId: acmeNode, state: 'managed' }))).toEqual(['alpha-claw', 'beta-claw']);
    expect(names(await listInstances(admin, { organizationId: w.globex.id }))).toEqual(['globex-claw']);
    expect(names(await listInstances(admin, { q: 'CLAW', organizationId: w.acme.id }))).toEqual(['alpha-claw', 'beta-claw', 'hosted-claw']);
    // _ and % are the name's own characters, not wildcards.
    expect(names(await listInstances(admin, { q: 'a_x' }))).toEqual(['gamma_x']);
    expect(names(await listInstances(admin, { q: 'a%' }))).toEqual([]);
  });

  it('filters the instances whose gateway’s tools drifted, and says since when', async () => {
    const drifted = await listInstances(w.ctx(w.actors.admin), { drifted: 'yes' });
    expect(drifted.items.map((i) => [i.name, i.driftedSince])).toEqual([['beta-claw', '2026-11-30T13:00:00.000Z']]);
    expect((await listInstances(w.ctx(w.actors.admin), { drifted: 'no' })).items.map((i) => i.name)).not.toContain('beta-claw');
  });

  it('tells each instance’s node, health and verdict without a query per row', async () => {
    const [hosted] = (await listInstances(w.ctx(w.actors.admin), { q: 'hosted' })).items;
    expect(hosted).toMatchObject({ organizationName: 'Acme', nodeName: 'shared-1', nodeOrganizationId: w.msp.id, nodeStatus: 'online', health: null, healthStatus: 'unknown' });
    const [beta] = (await listInstances(w.ctx(w.actors.admin), { q: 'beta' })).items;
    expect(beta).toMatchObject({ bundleVersion: '2026.9.6', healthStatus: 'unhealthy', health: { healthy: false, gateway: 'exited', cli: 'running' } });
  });

  it('lists the capabilities attached to each instance, by key, on every page of the list and on the instance', async () => {
    const entry = async (key: string, name: string, kind: 'tool' | 'pack') =>
      (await t.db.insert(capabilities).values({ key, kind, name, description: name, version: '1' }).returning())[0]!;
    const drive = await entry('test_drive', 'Test Drive', 'tool');
    const office = await entry('test_office', 'Test office pack', 'pack');
    await t.db.insert(capabilityAttachments).values([
      { instanceId: id['beta-claw']!, capabilityId: office.id },
      { instanceId: id['beta-claw']!, capabilityId: drive.id },
      { instanceId: id['hosted-claw']!, capabilityId: drive.id },
    ]);
    const attached = async (limit: number) => {
      const out: Record<string, string[]> = {};
      let cursor: string | undefined;
      do {
        const page = await listInstances(w.ctx(w.actors.acmeAdmin), { limit, cursor });
        for (const i of page.items) out[i.name] = i.capabilities.map((c) => c.key);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return out;
    };
    const expected = { 'alpha-claw': [], 'beta-claw': ['test_drive', 'test_office'], gamma_x: [], 'hosted-claw': ['test_drive'] };
    expect(await attached(100)).toEqual(expected);
    expect(await attached(1)).toEqual(expected); // each page reads its own rows' attachments
    expect((await getInstance(w.ctx(w.actors.admin), id['beta-claw']!)).capabilities).toEqual([
      { id: drive.id, key: 'test_drive', name: 'Test Drive', kind: 'tool' },
      { id: office.id, key: 'test_office', name: 'Test office pack', kind: 'pack' },
    ]);
  });

  it('shows a company admin their organization’s instances, also on the MSP’s shared node; others are not found', async () => {
    const own = await listInstances(w.ctx(w.actors.acmeAdmin), {});
    expect(names(own)).toEqual(['alpha-claw', 'beta-claw', 'gamma_x', 'hosted-claw']);
    await expect(listInstances(w.ctx(w.actors.acmeAdmin), { organizationId: w.globex.id })).rejects.toMatchObject({ status: 404 });
    await expect(listInstances(w.ctx(w.actors.acmeUser), {})).rejects.toMatchObject({ status: 403 });
  });

  it('names the field of a filter that is not valid', async () => {
    expect(await failure(listInstances(w.ctx(w.actors.admin), { health: 'green' }))).toMatchObject({
      status: 400,
      fieldErrors: { health: 'health must be one of: healthy, unhealthy, unknown' },
    });
    expect(await failure(listInstances(w.ctx(w.actors.admin), { nodeId: 'x' }))).toMatchObject({ fieldErrors: { nodeId: 'nodeId must be a UUID' } });
  });
});

describe('getInstance', () => {
  it('answers one instance with its last full health report; another organization’s is not found', async () => {
    const beta = await getInstance(w.ctx(w.actors.acmeAdmin), id['beta-claw']!);
    expect(beta).toMatchObject({ name: 'beta-claw', state: 'managed', port: 18790, lastHealth: unhealthy });
    await expect(getInstance(w.ctx(w.actors.globexAdmin), id['beta-claw']!)).rejects.toMatchObject({ status: 404 });
    await expect(getInstance(w.ctx(w.actors.admin), 'not-a-uuid')).rejects.toMatchObject({ status: 404 });
  });
});
