// Listing jobs (no Temporal needed: the rows are written directly, as the workflows' activities would):
// newest first across pages, with ties on the creation time broken by id; filters; each organization's own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jobs, nodes } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { listJobs } from './service.ts';

let t: TestDatabase;
let w: Tenants;
const ids: string[] = [];

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
  const [node] = await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'list-edge' }).returning();
  const [other] = await t.db.insert(nodes).values({ organizationId: w.globex.id, name: 'globex-edge' }).returning();
  // Five Acme jobs, two of them created at the same instant; one Globex job.
  const times = [1, 2, 2, 3, 4].map((m) => new Date(Date.UTC(2026, 10, 24, 12, m)));
  for (const [i, createdAt] of times.entries()) {
    const [job] = await t.db
      .insert(jobs)
      .values({
        type: 'health_check',
        organizationId: w.acme.id,
        nodeId: node!.id,
        workflowId: `list-${i}`,
        state: i === 4 ? 'running' : 'completed',
        params: {},
        createdAt,
      })
      .returning();
    ids.push(job!.id);
  }
  await t.db.insert(jobs).values({ type: 'health_check', organizationId: w.globex.id, nodeId: other!.id, workflowId: 'list-globex', state: 'completed', params: {} });
  // A job with no node (it runs on the control plane), and one of a type this release no longer has.
  await t.db.insert(jobs).values({ type: 'readiness_check', organizationId: w.msp.id, workflowId: 'list-msp', state: 'failed', params: {}, failureReason: 'Temporal: down' });
  await t.db.insert(jobs).values({ type: 'retired_kind', organizationId: w.msp.id, workflowId: 'list-retired', state: 'failed', params: {} });
});
afterAll(() => t.close());

describe('listJobs', () => {
  it('pages newest first, without losing or repeating a job whose creation time ties with another', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listJobs(w.ctx(w.actors.admin), { organizationId: w.acme.id, limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const tied = ids.slice(1, 3).sort().reverse(); // same instant: the larger id first
    expect(seen).toEqual([ids[4], ids[3], ...tied, ids[0]]);
  });

  it('filters by state, and shows a company admin only their own organization', async () => {
    expect((await listJobs(w.ctx(w.actors.admin), { state: 'running' })).items.map((j) => j.id)).toEqual([ids[4]]);
    const own = await listJobs(w.ctx(w.actors.acmeAdmin), {});
    expect(own.items).toHaveLength(5);
    expect(own.items.every((j) => j.organizationId === w.acme.id)).toBe(true);
    expect(await failure(listJobs(w.ctx(w.actors.admin), { state: 'sleeping' }))).toMatchObject({
      status: 400,
      fieldErrors: { state: expect.stringContaining('state must be one of') },
    });
    expect(await failure(listJobs(w.ctx(w.actors.admin), { cursor: 'garbage' }))).toMatchObject({ status: 400, fieldErrors: { cursor: 'cursor is not one this API returned' } });
  });

  it('shows a job without a node, and tells from its type whether it may be retried', async () => {
    const [readiness] = (await listJobs(w.ctx(w.actors.admin), { type: 'readiness_check' })).items;
    expect(readiness).toMatchObject({ nodeId: null, nodeName: null, label: 'Readiness check', needsApproval: false, retry: { allowed: true, why: null } });
    const [retired] = (await listJobs(w.ctx(w.actors.admin), { type: 'retired_kind' })).items;
    expect(retired).toMatchObject({ label: 'retired_kind', retry: { allowed: false, why: 'This release no longer runs this kind of job.' } });
    const [done] = (await listJobs(w.ctx(w.actors.admin), { organizationId: w.acme.id, state: 'completed', limit: 1 })).items;
    expect(done).toMatchObject({ label: 'Health check', retry: { allowed: false, why: 'Only a failed or expired job can be retried.' } });
    expect(await failure(listJobs(w.ctx(w.actors.admin), { type: 'Deploy!' }))).toMatchObject({
      status: 400,
      fieldErrors: { type: 'type must be a job type such as deploy_openclaw' },
    });
  });
});
