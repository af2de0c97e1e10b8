import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { desc } from 'drizzle-orm';
import { auditEvents } from '../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../tests/jest/tenants.ts';
import { authorize } from './authz.ts';
import { ForbiddenError, NotFoundError } from './errors.ts';

let t: TestDatabase;
let w: Tenants;
beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
});
afterAll(async () => {
  await t.close();
});

const lastEvent = async () => (await t.db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(1))[0]!;

describe('authorize', () => {
  it('answers a record of another organization as not found, and files the probe where only MSP staff see it', async () => {
    const err = await failure(authorize(w.ctx(w.actors.globexAdmin), 'node.view', { organizationId: w.acme.id, type: 'node', id: 'n-1' }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(await lastEvent()).toMatchObject({ outcome: 'denied', organizationId: null, reason: 'record of another organization', targetId: 'n-1' });
  });

  it("answers a forbidden action in the actor's own organization as forbidden, filed under that organization", async () => {
    const err = await failure(authorize(w.ctx(w.actors.acmeUser), 'node.view', { organizationId: w.acme.id, type: 'node', id: 'n-2' }));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(await lastEvent()).toMatchObject({ outcome: 'denied', organizationId: w.acme.id, reason: 'role company_user may not node.view' });
  });

  it('lets an allowed action through without recording anything', async () => {
    const before = await lastEvent();
    await authorize(w.ctx(w.actors.acmeAdmin), 'node.view', { organizationId: w.acme.id });
    expect((await lastEvent()).id).toBe(before.id);
  });
});
