// The big lists' seed at a small scale: the counts it promises, a job on a node of its own organization,
// and an audit trail that the product's own check finds intact, also when the seed continues a trail the
// product wrote to in between (as the benchmark's sign-in does).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { recordAudit, verifyAuditChain } from '../../../db/audit.ts';
import { freshDatabase, type TestDatabase } from '../../jest/db.ts';
import { seedBigLists } from './seed.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.close();
});

const count = async (table: string) => (await t.db.$client.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`))[0]!.n;

test('seeds the counts asked for, appends on a second call, and the audit chain verifies', async () => {
  await recordAudit(t.db, { actorType: 'system', actorLabel: 'before the seed', action: 'bench.start', outcome: 'success' });
  await seedBigLists(t.db.$client, { organizations: 3, nodes: 12, jobs: 40, auditEvents: 300 }, null);
  await recordAudit(t.db, { actorType: 'system', actorLabel: 'between the seeds', action: 'bench.step', outcome: 'success' });
  await seedBigLists(t.db.$client, { organizations: 4, nodes: 30, jobs: 90, auditEvents: 700 }, null);

  expect(await count("organizations where name like 'Bench customer %'")).toBe(4);
  expect(await count('nodes')).toBe(30);
  expect(await count('jobs')).toBe(90);
  expect(await count('audit_events')).toBe(702);
  expect(await count('jobs j join nodes n on n.id = j.node_id where n.organization_id <> j.organization_id')).toBe(0);
  expect(await verifyAuditChain(t.db)).toEqual({ ok: true, checked: 702 });
});
