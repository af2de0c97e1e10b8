// A node's status history and an instance's health history, read back from the audit trail against a real
// database: newest first, in cursor pages, refused changes left out, and another organization's record
// "not found".
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { recordAudit } from '../../db/audit.ts';
import { instances, nodes } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { recordNodeStatusChange } from '../../tests/jest/node-status-change.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { NotFoundError } from '../errors.ts';
import { getInstanceHealthHistory } from '../instances/health-history.ts';
import { getNodeStatusHistory } from '../nodes/status-history.ts';

let t: TestDatabase;
let w: Tenants;
let nodeId: string;
let instanceId: string;

const monitor = (organizationId: string, from: string, to: string, outcome: 'success' | 'denied', reason: string) =>
  recordNodeStatusChange(t.db, { organizationId, nodeId, from, to, outcome, reason });

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const [node] = await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'acme-edge' }).returning();
  nodeId = node!.id;
  const [instance] = await t.db
    .insert(instances)
    .values({ organizationId: w.acme.id, nodeId, name: 'acme-gw', state: 'managed', containerIds: ['a'.repeat(64)] })
    .returning();
  instanceId = instance!.id;
  await monitor(w.acme.id, 'pending', 'online', 'success', 'its agent enrolled');
  await monitor(w.acme.id, 'online', 'stale', 'success', 'no heartbeat for 90 s');
  await monitor(w.acme.id, 'stale', 'offline', 'denied', 'not offline: a report is 3 s old');
  await monitor(w.acme.id, 'stale', 'online', 'success', 'a heartbeat arrived');
  for (const [healthy, jobId] of [
    [true, 'job-1'],
    [false, 'job-2'],
  ] as const) {
    await recordAudit(t.db, {
      actorType: 'workflow',
      actorId: `health-${jobId}`,
      actorLabel: 'job instance_health_check',
      organizationId: w.acme.id,
      action: 'instance.health',
      targetType: 'instance',
      targetId: instanceId,
      outcome: healthy ? 'success' : 'failure',
      details: { jobId, healthy },
    });
  }
});
afterAll(() => t.close());

describe('history from the audit trail', () => {
  it('gives a node’s status changes newest first, in pages, without the refused ones', async () => {
    const ctx = w.ctx(w.actors.acmeAdmin);
    const first = await getNodeStatusHistory(ctx, nodeId, { limit: 2 });
    expect(first.items.map((c) => [c.from, c.to, c.reason])).toEqual([
      ['stale', 'online', 'a heartbeat arrived'],
      ['online', 'stale', 'no heartbeat for 90 s'],
    ]);
    const second = await getNodeStatusHistory(ctx, nodeId, { limit: 2, cursor: first.nextCursor });
    expect(second).toEqual({ items: [expect.objectContaining({ from: 'pending', to: 'online' })], nextCursor: null });
    expect(await failure(getNodeStatusHistory(w.ctx(w.actors.globexAdmin), nodeId, {}))).toBeInstanceOf(NotFoundError);
  });

  it('gives an instance’s health checks newest first, with the job that checked', async () => {
    const history = await getInstanceHealthHistory(w.ctx(w.actors.admin), instanceId, {});
    expect(history.items.map((h) => [h.healthy, h.jobId, h.by])).toEqual([
      [false, 'job-2', 'job instance_health_check'],
      [true, 'job-1', 'job instance_health_check'],
    ]);
    expect(await failure(getInstanceHealthHistory(w.ctx(w.actors.globexAdmin), instanceId, {}))).toBeInstanceOf(NotFoundError);
    expect(await failure(getInstanceHealthHistory(w.ctx(w.actors.admin), instanceId, { limit: 0 }))).toMatchObject({ fieldErrors: { limit: 'limit must be between 1 and 200' } });
  });
});
