// The live ServiceTitan provider through the product's services, against a loopback server speaking
// ServiceTitan's wire protocol (tests/stand-ins/servicetitan-server.ts): credentials set and tested Live
// (one token, kept sealed), customers and jobs listed Live with ServiceTitan's paging and filters, the
// token reused, renewed when it expires or ServiceTitan stops taking it, ServiceTitan's refusals said in
// its own words, and a disconnected app turning the connection needs_reconnect.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { runActionFor } from '../../api/connections/actions.ts';
import { sealCredentials } from '../../api/connections/runner.ts';
import { servicetitan } from '../../api/connections/providers/servicetitan.ts';
import { createConnection, deleteConnection, getConnection, setConnectionCredentials, testConnection } from '../../api/connections/service.ts';
import { credentialBinding } from '../../api/connections/status.ts';
import type { ConflictError } from '../../api/errors.ts';
import { PolicyBlockedError } from '../../api/errors.ts';
import { setPermission } from '../../api/permissions/service.ts';
import { capabilities, connections } from '../../db/schema.ts';
import { configuredKek } from '../../infra/secrets/kek.ts';
import { openSecret } from '../../infra/secrets/sealed.ts';
import { startServiceTitanStandIn, type ServiceTitanStandIn } from '../stand-ins/servicetitan-server.ts';
import type { TestDatabase } from '../jest/db.ts';
import { auditEventOf, setEnv } from '../jest/live-providers.ts';
import { tenantsForFile } from '../jest/tenants-for-file.ts';
import { failure, type Tenants } from '../jest/tenants.ts';

let t: TestDatabase;
let w: Tenants;
tenantsForFile((db, tenants) => {
  t = db;
  w = tenants;
});

const CLIENT = { clientId: 'cid.stand-in-client', clientSecret: 'cs1.stand-in-client-secret-not-real', appKey: 'ak1.stand-in-app-key', tenantId: '1234567890' };
let st: ServiceTitanStandIn;
let restoreEnv = () => {};

beforeAll(async () => {
  st = await startServiceTitanStandIn(CLIENT);
  restoreEnv = setEnv(st.env);
});
afterAll(async () => {
  restoreEnv();
  await st?.close();
});

const admin = () => w.ctx(w.actors.acmeAdmin);
const rowOf = async (id: string) => (await t.db.select().from(connections).where(eq(connections.id, id)))[0]!;
const credentialsOf = async (id: string) => {
  const row = await rowOf(id);
  return servicetitan.credentialSchema.parse(JSON.parse(await openSecret(t.db, configuredKek(), credentialBinding(row), row.credentialsSealed!)));
};
const { clientId, clientSecret, appKey } = CLIENT;

describe('a live ServiceTitan connection', () => {
  let id = '';

  it('is tested Live with one token, which is kept sealed with the credentials', async () => {
    const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'servicetitan', name: 'ServiceTitan', metadata: { tenantId: CLIENT.tenantId } });
    id = c.id;
    await setConnectionCredentials(admin(), id, { credentials: { clientId, clientSecret, appKey } });
    const tested = await testConnection(admin(), id);
    expect(tested).toMatchObject({ status: 'connected', lastTest: { ok: true, message: 'Live: ServiceTitan answered for tenant 1234567890 (customers are visible).' } });
    expect(st.seen.tokens).toEqual([{ clientId, ok: true }]);
    expect(st.seen.api).toEqual([{ path: '/crm/v2/tenant/1234567890/customers', query: { page: '1', pageSize: '1' }, token: expect.any(String), appKey, status: 200 }]);
    const kept = await credentialsOf(id);
    expect(kept.token?.value).toBe(st.seen.api[0]!.token);
    expect(kept.token!.expiresAt).toBeGreaterThan(Date.now() + 800_000);
    expect((await rowOf(id)).credentialsSealed).not.toContain(kept.token!.value);
  });

  it('names the missing tenant id before calling ServiceTitan', async () => {
    const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'servicetitan', name: 'ServiceTitan without tenant' });
    await setConnectionCredentials(admin(), c.id, { credentials: { clientId, clientSecret, appKey } });
    const requests = st.seen.api.length + st.seen.tokens.length;
    const err = (await failure(testConnection(admin(), c.id))) as ConflictError;
    expect(err.fieldErrors).toEqual({ 'metadata.tenantId': expect.stringMatching(/^ServiceTitan without tenant has no ServiceTitan tenant id: set metadata.tenantId/) });
    expect(st.seen.api.length + st.seen.tokens.length).toBe(requests);
    expect((await getConnection(admin(), c.id)).status).toBe('pending');
  });

  it('lists customers and jobs Live with ServiceTitan’s paging and filter, once the policy allows, reusing the token', async () => {
    expect(await failure(runActionFor(admin(), id, 'customers.list', {}))).toBeInstanceOf(PolicyBlockedError);
    const [cap] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'servicetitan'));
    await setPermission(w.ctx(w.actors.admin), w.acme.id, cap!.id, { enabled: true, allowedActions: ['customers.list', 'jobs.list'], confirmation: 'never' });
    st.seen.api.length = 0;

    const customers = await runActionFor(admin(), id, 'customers.list', { page: 2, pageSize: 3, includeTotal: true });
    expect(customers).toMatchObject({ source: 'Live', provider: 'servicetitan', action: 'customers.list' });
    expect(customers.data).toEqual({
      page: 2,
      pageSize: 3,
      hasMore: true,
      totalCount: 7,
      data: [1003, 1004, 1005].map((cid, i) => ({
        id: cid,
        name: `Customer ${i + 4}`,
        type: i % 2 ? 'Residential' : 'Commercial',
        active: i !== 0,
        modifiedOn: expect.any(String),
      })),
    });
    const jobs = await runActionFor(admin(), id, 'jobs.list', { modifiedOnOrAfter: '2026-11-06T00:00:00Z' });
    expect(jobs.data).toMatchObject({ page: 1, pageSize: 50, hasMore: false, totalCount: null, data: [{ id: 5005, jobNumber: '5005', customerId: 1005 }, { id: 5006 }] });
    // A job without a summary reads as an empty one.
    const third = await runActionFor(admin(), id, 'jobs.list', { page: 3, pageSize: 1 });
    expect((third.data as { data: { summary: string }[] }).data[0]!.summary).toBe('');

    // Each call carried the kept token, the app key, and ServiceTitan's own parameter names; no new token.
    const { token } = await credentialsOf(id);
    expect(st.seen.tokens).toHaveLength(1);
    expect(st.seen.api.map((r) => [r.path, r.query, r.token === token!.value, r.appKey])).toEqual([
      ['/crm/v2/tenant/1234567890/customers', { page: '2', pageSize: '3', includeTotal: 'true' }, true, appKey],
      ['/jpm/v2/tenant/1234567890/jobs', { page: '1', pageSize: '50', includeTotal: 'false', modifiedOnOrAfter: '2026-11-06T00:00:00Z' }, true, appKey],
      ['/jpm/v2/tenant/1234567890/jobs', { page: '3', pageSize: '1', includeTotal: 'false' }, true, appKey],
    ]);
  });

  it('refuses bad input naming the field, and says ServiceTitan’s own refusals in its words', async () => {
    expect(await failure(runActionFor(admin(), id, 'jobs.list', { pageSize: 5001 }))).toMatchObject({ fieldErrors: { pageSize: 'pageSize is at most 5000' } });
    expect(await failure(runActionFor(admin(), id, 'jobs.list', { modifiedOnOrAfter: 'last week' }))).toMatchObject({
      fieldErrors: { modifiedOnOrAfter: 'modifiedOnOrAfter is a date and time (2026-11-01T00:00:00Z)' },
    });
    // The tenant changed to one the app is not connected to: ServiceTitan's 403, as a 502 with its sentence.
    await t.db
      .update(connections)
      .set({ metadata: { tenantId: '999' } })
      .where(eq(connections.id, id));
    const refused = (await failure(runActionFor(admin(), id, 'customers.list', {}))) as ConflictError;
    expect([refused.status, refused.message]).toEqual([502, 'ServiceTitan answered: The application is not connected to tenant 999.']);
    await t.db
      .update(connections)
      .set({ metadata: { tenantId: CLIENT.tenantId } })
      .where(eq(connections.id, id));
    expect((await getConnection(admin(), id)).status).toBe('connected');
  });

  it('takes a new token when the kept one has expired, and when ServiceTitan stops taking it before then', async () => {
    const before = await credentialsOf(id);
    const row = await rowOf(id);
    await t.db
      .update(connections)
      .set({ credentialsSealed: await sealCredentials(t.db, row, { ...before, token: { ...before.token!, expiresAt: Date.now() - 1000 } }) })
      .where(eq(connections.id, id));
    st.seen.api.length = 0;
    expect((await runActionFor(admin(), id, 'customers.list', { pageSize: 1 })).source).toBe('Live');
    const renewed = await credentialsOf(id);
    expect(st.seen.tokens).toHaveLength(2);
    expect(renewed.token!.value).not.toBe(before.token!.value);
    // Expired: no request went out with the old token.
    expect(st.seen.api.map((r) => [r.token, r.status])).toEqual([[renewed.token!.value, 200]]);

    // ServiceTitan expires it early (the kept expiry still says later): one 401, one new token, the call goes through.
    st.expireTokens();
    st.seen.api.length = 0;
    expect((await runActionFor(admin(), id, 'jobs.list', { pageSize: 1 })).source).toBe('Live');
    const again = await credentialsOf(id);
    expect(st.seen.tokens).toHaveLength(3);
    expect(st.seen.api.map((r) => [r.token, r.status])).toEqual([
      [renewed.token!.value, 401],
      [again.token!.value, 200],
    ]);
    expect(again).toMatchObject({ clientId, clientSecret, appKey });
  });

  it('turns needs_reconnect when the app is disconnected from the tenant (its credentials refused)', async () => {
    st.disconnect();
    const refused = (await failure(runActionFor(admin(), id, 'customers.list', {}))) as ConflictError;
    expect(refused.message).toBe('ServiceTitan refused the credentials: ServiceTitan refused the client credentials (invalid_client). Reconnect it.');
    const c = await getConnection(admin(), id);
    expect([c.status, c.statusReason]).toEqual(['needs_reconnect', refused.message]);
    expect(await auditEventOf(t.db, 'connection.status', id)).toMatchObject({ actorType: 'system', outcome: 'failure', reason: refused.message });
    // Tested again, it says the same, and stays needs_reconnect.
    expect(await testConnection(admin(), id)).toMatchObject({ status: 'needs_reconnect', lastTest: { ok: false, message: expect.stringContaining('invalid_client') } });
  });

  it('says on deletion that client credentials are revoked in ServiceTitan, not by an API', async () => {
    await deleteConnection(admin(), id);
    expect((await auditEventOf(t.db, 'connection.delete', id))!.details).toMatchObject({
      revoke: expect.stringMatching(/^not revoked at ServiceTitan: ServiceTitan has no API to revoke client credentials/),
    });
  });
});
