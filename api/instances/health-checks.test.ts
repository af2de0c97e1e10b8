// "Check health" of many instances: each a health_check job through requestHealthCheck (Temporal starts
// the runs; no worker works on them here), the refusals told with their reasons and the policy rule.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { capabilities, instances, jobs, nodes, permissions } from '../../db/schema.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { syncBuiltInCatalogue } from '../capabilities/sync.ts';
import { requestHealthChecks } from './health-checks.ts';

let t: TestDatabase;
let w: Tenants;
const id: Record<string, string> = {};

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  w = await seedTenants(t.db);
  await syncBuiltInCatalogue(t.db);
  const enrolled = { status: 'online' as const, agentPublicKey: generateKeyPair().publicKey, enrolledAt: new Date() };
  const [acmeNode] = await t.db
    .insert(nodes)
    .values({ organizationId: w.acme.id, name: 'acme-edge', ...enrolled })
    .returning();
  const [globexNode] = await t.db
    .insert(nodes)
    .values({ organizationId: w.globex.id, name: 'globex-edge', ...enrolled })
    .returning();
  const managed = { state: 'managed' as const, containerIds: ['a'.repeat(64), 'b'.repeat(64)], port: 18789, bundleVersion: '2026.9.6' };
  const rows: (typeof instances.$inferInsert)[] = [
    { organizationId: w.acme.id, nodeId: acmeNode!.id, name: 'one', ...managed },
    { organizationId: w.acme.id, nodeId: acmeNode!.id, name: 'two', ...managed, port: 18790 },
    { organizationId: w.acme.id, nodeId: acmeNode!.id, name: 'seen', state: 'discovered' },
    { organizationId: w.globex.id, nodeId: globexNode!.id, name: 'blocked', ...managed },
  ];
  for (const row of rows) id[row.name] = (await t.db.insert(instances).values(row).returning())[0]!.id;
  // Globex may not use the OpenClaw lifecycle at all: the policy engine blocks its health checks.
  const [lifecycle] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'openclaw.lifecycle'));
  await t.db.insert(permissions).values({
    organizationId: w.globex.id,
    capabilityId: lifecycle!.id,
    enabled: false,
    allowedActions: [],
    confirmation: 'by_risk',
    approval: { approvalsNeeded: 1, approverRoles: ['msp_admin'], forbidSelfApproval: false, expiresInHours: 24 },
  });
});
afterAll(() => t.close());

describe('requestHealthChecks', () => {
  it('starts a health check per managed instance and tells each refusal with its reason and rule', async () => {
    const missing = crypto.randomUUID();
    const outcome = await requestHealthChecks(w.ctx(w.actors.operator), { instanceIds: [id.one, id.two, id.one, id.seen, id.blocked, missing] });
    expect(outcome.started.map((s) => s.instanceName)).toEqual(['one', 'two']);
    const started = await t.db.select().from(jobs).where(eq(jobs.type, 'health_check'));
    expect(started.map((j) => j.id).sort()).toEqual(outcome.started.map((s) => s.jobId).sort());
    expect(outcome.refused).toEqual([
      { instanceId: id.seen, instanceName: 'seen', reason: 'Instance seen is not managed yet: adopt it first.', rule: null },
      { instanceId: id.blocked, instanceName: 'blocked', reason: expect.stringContaining('(rule permission.disabled)'), rule: 'permission.disabled' },
      { instanceId: missing, instanceName: null, reason: 'No such instance (it may have been removed).', rule: null },
    ]);
  });

  it('refuses company people as a whole, before any job starts', async () => {
    const before = (await t.db.select().from(jobs)).length;
    await expect(requestHealthChecks(w.ctx(w.actors.acmeAdmin), { instanceIds: [id.one] })).rejects.toMatchObject({ status: 403 });
    await expect(requestHealthChecks(w.ctx(w.actors.acmeAdmin), { instanceIds: [id.blocked] })).rejects.toMatchObject({ status: 404 });
    expect((await t.db.select().from(jobs)).length).toBe(before);
  });

  it('names the field when nothing is chosen', async () => {
    expect(await failure(requestHealthChecks(w.ctx(w.actors.admin), { instanceIds: [] }))).toMatchObject({
      status: 400,
      fieldErrors: { instanceIds: 'choose at least one instance' },
    });
  });
});
