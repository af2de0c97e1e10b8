// What a heartbeat stores: the report, the inventory, and the OpenClaw instances discovery found —
// never touching managed instances (real PostgreSQL; a heartbeat reaches nothing else).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { instances, nodeContainers, nodes } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { heartbeatWasLate, receiveHeartbeat, storeNodeReport } from './heartbeat.ts';

let t: TestDatabase;
let w: Tenants;
let nodeId: string;
const base = { agentVersion: '0.1.0', hostname: 'edge', os: 'linux', cpu: { count: 2 }, memory: { totalBytes: 1, freeBytes: 1 }, dockerVersion: '20.10', inventoryDigest: 'd1' };
const container = (id: string, name: string) => ({
  id,
  name,
  image: 'openclaw:local',
  state: 'running',
  health: null,
  status: 'Up',
  ports: [],
  labels: { 'com.docker.compose.project': 'acme' },
  created: null,
  started: null,
});
const found = (name: string, ids: string[]) => ({ name, containerIds: ids, confidence: 0.95, reasons: ['image name contains "openclaw"', 'compose service openclaw-gateway'] });
const rows = () => t.db.select().from(instances).where(eq(instances.nodeId, nodeId));

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  nodeId = (await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'edge' }).returning())[0]!.id;
});
afterAll(async () => {
  await t.close();
});

describe('receiveHeartbeat', () => {
  it("records discovered OpenClaw instances in the node's organization, and forgets ones no longer seen", async () => {
    await receiveHeartbeat(t.db, nodeId, {
      ...base,
      containers: [container('c1', 'openclaw-gateway'), container('c2', 'openclaw-cli')],
      discovered: [found('acme', ['c1', 'c2'])],
    });
    expect(await rows()).toEqual([expect.objectContaining({ name: 'acme', state: 'discovered', organizationId: w.acme.id, containerIds: ['c1', 'c2'], confidence: '0.95' })]);
    expect(await t.db.select().from(nodeContainers).where(eq(nodeContainers.nodeId, nodeId))).toHaveLength(2);

    await receiveHeartbeat(t.db, nodeId, { ...base, inventoryDigest: 'd2', containers: [], discovered: [] });
    expect(await rows()).toEqual([]);
    expect(await t.db.select().from(nodeContainers).where(eq(nodeContainers.nodeId, nodeId))).toEqual([]);
  });

  it('never changes a managed instance, even when discovery reports the same name', async () => {
    await t.db.insert(instances).values({ organizationId: w.acme.id, nodeId, name: 'prod', state: 'managed', containerIds: ['m1'], reasons: [] });
    await receiveHeartbeat(t.db, nodeId, { ...base, inventoryDigest: 'd3', containers: [container('m1', 'openclaw-gateway')], discovered: [found('prod', ['m1', 'x'])] });
    await receiveHeartbeat(t.db, nodeId, { ...base, inventoryDigest: 'd4', containers: [], discovered: [] });
    expect(await rows()).toEqual([expect.objectContaining({ name: 'prod', state: 'managed', containerIds: ['m1'] })]);
    // Under another name (no Compose project: named after its gateway), still the managed instance's own containers.
    await receiveHeartbeat(t.db, nodeId, {
      ...base,
      inventoryDigest: 'd5',
      containers: [container('m1', 'prod-openclaw-gateway')],
      discovered: [found('prod-openclaw-gateway', ['m1'])],
    });
    expect(await rows()).toEqual([expect.objectContaining({ name: 'prod', state: 'managed', containerIds: ['m1'] })]);
  });

  it('keeps a report whose container carries an unusable date (year 0000, not a date, past 9999): that date becomes null, the rest is stored', async () => {
    const odd = { ...container('d1', 'odd'), created: '0000-01-01T00:00:00Z', started: '2024-05-01T10:00:00.5+02:00' };
    const bad = { ...container('d2', 'bad'), created: 'yesterday', started: '+010000-01-01T00:00:00Z' };
    await receiveHeartbeat(t.db, nodeId, { ...base, inventoryDigest: 'd6', containers: [odd, bad], discovered: [] });
    const stored = await t.db.select().from(nodeContainers).where(eq(nodeContainers.nodeId, nodeId));
    expect(stored.map((c) => [c.containerId, c.createdAt?.toISOString() ?? null, c.startedAt?.toISOString() ?? null]).sort()).toEqual([
      ['d1', null, '2024-05-01T08:00:00.500Z'],
      ['d2', null, null],
    ]);
  });

  it('refuses a report whose discovery carries something other than verdicts, naming the field', async () => {
    await expect(receiveHeartbeat(t.db, nodeId, { ...base, containers: [], discovered: [{ name: 'x', containerIds: [], confidence: 2, reasons: [] }] })).rejects.toMatchObject({
      fieldErrors: expect.objectContaining({ 'discovered.0.containerIds': expect.any(String), 'discovered.0.confidence': expect.any(String) }),
    });
  });
});

describe('node inventory for the console', () => {
  it('lists the reported containers and instances to those who may see the node, and hides them from others', async () => {
    const { getNodeInventory } = await import('../nodes/inventory.ts');
    await receiveHeartbeat(t.db, nodeId, { ...base, inventoryDigest: 'd9', containers: [container('g1', 'openclaw-gateway')], discovered: [found('acme', ['g1'])] });
    const seen = await getNodeInventory(w.ctx(w.actors.acmeAdmin), nodeId);
    expect(seen.containers.map((c) => c.name)).toEqual(['openclaw-gateway']);
    expect(seen.instances.map((i) => [i.name, i.state])).toEqual([
      ['acme', 'discovered'],
      ['prod', 'managed'],
    ]);
    await expect(getNodeInventory(w.ctx(w.actors.globexAdmin), nodeId)).rejects.toMatchObject({ status: 404 });
    await expect(getNodeInventory(w.ctx(w.actors.acmeUser), nodeId)).rejects.toMatchObject({ status: 403 });
  });

  it("says which instances run on the machine's own network, from the network mode the agent reports", async () => {
    const { getNodeInventory } = await import('../nodes/inventory.ts');
    await receiveHeartbeat(t.db, nodeId, {
      ...base,
      inventoryDigest: 'd10',
      containers: [
        { ...container('m1', 'prod-openclaw-gateway'), networkMode: 'host' },
        { ...container('g1', 'openclaw-gateway'), networkMode: 'acme-openclaw' },
        container('old', 'from-an-older-agent'),
      ],
      discovered: [found('acme', ['g1'])],
    });
    const seen = await getNodeInventory(w.ctx(w.actors.acmeAdmin), nodeId);
    expect(seen.containers.map((c) => [c.name, c.networkMode])).toEqual([
      ['from-an-older-agent', null],
      ['openclaw-gateway', 'acme-openclaw'],
      ['prod-openclaw-gateway', 'host'],
    ]);
    expect(seen.instances.map((i) => [i.name, i.hostNetwork])).toEqual([
      ['acme', false],
      ['prod', true],
    ]);
  });
});

describe('tool configuration drift', () => {
  const report = (instanceId: string, hash: string, readAt = new Date().toISOString()) => ({ instanceId, gatewayId: 'g-1', hash, tools: { deny: ['exec'] }, readAt });
  const managed = async (name: string, onNode = nodeId, applied?: { hash: string; at: Date }) =>
    (
      await t.db
        .insert(instances)
        .values({ organizationId: w.acme.id, nodeId: onNode, name, state: 'managed', containerIds: [], reasons: [], appliedToolsHash: applied?.hash, appliedToolsAt: applied?.at })
        .returning()
    )[0]!;
  const row = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;

  it('stores what the agent read; an instance never applied is not drifted', async () => {
    const never = await managed('never-applied');
    await receiveHeartbeat(t.db, nodeId, { ...base, instanceConfigs: [report(never.id, 'sha256:a')] });
    expect(await row(never.id)).toMatchObject({ reportedToolsHash: 'sha256:a', reportedTools: { deny: ['exec'] }, driftedSince: null });
  });

  it('turns an applied instance drifted from the first differing report, keeps the time it was noticed, and clears it when they agree again', async () => {
    const applied = await managed('applied', nodeId, { hash: 'sha256:good', at: new Date(Date.now() - 60_000) });
    await receiveHeartbeat(t.db, nodeId, { ...base, instanceConfigs: [report(applied.id, 'sha256:good')] });
    expect((await row(applied.id)).driftedSince).toBeNull();
    await receiveHeartbeat(t.db, nodeId, { ...base, instanceConfigs: [report(applied.id, 'sha256:edited')] });
    const since = (await row(applied.id)).driftedSince;
    expect(since).toBeInstanceOf(Date);
    await receiveHeartbeat(t.db, nodeId, { ...base, instanceConfigs: [report(applied.id, 'sha256:edited')] });
    expect((await row(applied.id)).driftedSince).toEqual(since);
    await receiveHeartbeat(t.db, nodeId, { ...base, instanceConfigs: [report(applied.id, 'sha256:good')] });
    expect((await row(applied.id)).driftedSince).toBeNull();
  });

  it("ignores a read from before the last apply wrote the file, and another node's instance", async () => {
    const applied = await managed('just-applied', nodeId, { hash: 'sha256:new', at: new Date() });
    await receiveHeartbeat(t.db, nodeId, { ...base, instanceConfigs: [report(applied.id, 'sha256:old', new Date(Date.now() - 5_000).toISOString())] });
    expect(await row(applied.id)).toMatchObject({ reportedToolsHash: null, driftedSince: null });
    const otherNode = (await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'other-edge' }).returning())[0]!.id;
    const elsewhere = await managed('elsewhere', otherNode, { hash: 'sha256:x', at: new Date(0) });
    await receiveHeartbeat(t.db, nodeId, { ...base, instanceConfigs: [report(elsewhere.id, 'sha256:forged')] });
    expect(await row(elsewhere.id)).toMatchObject({ reportedToolsHash: null, driftedSince: null });
  });
});

describe('a beat without inventory', () => {
  it('stores the report in one statement, answering the node as it was; a revoked node is refused and left as it is', async () => {
    const seen = new Date(Date.now() - 60_000);
    const [edge] = await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'edge-quiet', status: 'online', lastSeenAt: seen }).returning();
    await receiveHeartbeat(t.db, edge!.id, { ...base, inventoryDigest: 'quiet' });
    const [after] = await t.db.select().from(nodes).where(eq(nodes.id, edge!.id));
    expect(after!.lastSeenAt!.getTime()).toBeGreaterThan(seen.getTime());
    expect(after!.lastReport).toMatchObject({ hostname: 'edge', inventoryDigest: 'quiet', receivedAt: after!.lastSeenAt!.toISOString() });

    const now = new Date();
    expect(await storeNodeReport(t.db, edge!.id, { n: 2 }, now)).toEqual({ lastSeenAt: after!.lastSeenAt, status: 'online', organizationId: w.acme.id });
    expect((await t.db.select().from(nodes).where(eq(nodes.id, edge!.id)))[0]).toMatchObject({ lastSeenAt: now, lastReport: { n: 2 } });

    await t.db.update(nodes).set({ revokedAt: new Date() }).where(eq(nodes.id, edge!.id));
    expect(await storeNodeReport(t.db, edge!.id, { n: 3 }, new Date())).toBeUndefined();
    await expect(receiveHeartbeat(t.db, edge!.id, { ...base, inventoryDigest: 'after' })).rejects.toThrow(/revoked/);
    expect((await t.db.select().from(nodes).where(eq(nodes.id, edge!.id)))[0]).toMatchObject({ lastSeenAt: now, lastReport: { n: 2 } });
  });
});

describe('a late heartbeat', () => {
  const config = { NODE_HEARTBEAT_SECONDS: 15, NODE_STALE_AFTER_MISSED: 2 };
  const now = new Date('2026-12-01T00:00:00Z');
  const ago = (s: number) => new Date(now.getTime() - s * 1000);
  it('comes after the node turned stale: marked so, or its previous one older than the stale threshold; a first one never is', () => {
    expect(heartbeatWasLate({ lastSeenAt: null, status: 'pending' }, now, config)).toBe(false);
    expect(heartbeatWasLate({ lastSeenAt: ago(15), status: 'online' }, now, config)).toBe(false);
    expect(heartbeatWasLate({ lastSeenAt: ago(30), status: 'online' }, now, config)).toBe(false);
    expect(heartbeatWasLate({ lastSeenAt: ago(31), status: 'online' }, now, config)).toBe(true);
    expect(heartbeatWasLate({ lastSeenAt: ago(5), status: 'stale' }, now, config)).toBe(true);
    expect(heartbeatWasLate({ lastSeenAt: ago(5), status: 'offline' }, now, config)).toBe(true);
  });
});
