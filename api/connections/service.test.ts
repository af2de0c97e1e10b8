// Connections against a real database: who may do what, write-only credentials sealed to their row,
// demo mode labelled Demo, a live call missing a non-secret field naming it before any call, a credential that no longer
// opens turning the connection needs_reconnect, and the policy engine's connection rules on real rows.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, count, desc, eq } from 'drizzle-orm';
import { auditEvents, capabilities, capabilityAttachments, connections, instances, nodes } from '../../db/schema.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { getInstanceCapabilities } from '../capabilities/attachments.ts';
import type { InvalidInputError } from '../errors.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { setPermission } from '../permissions/service.ts';
import { checkPolicy } from '../policy/service.ts';
import { runConnectionAction } from './runner.ts';
import {
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  setConnectionCredentials,
  setConnectionDisabled,
  testConnection,
  linkedInstances,
  updateConnection,
} from './service.ts';

let t: TestDatabase;
let w: Tenants;
const composioKey = 'ck_live_abcdefghijklmnop1234';

beforeAll(async () => {
  t = await freshDatabase();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

const audited = async (action: string) => (await t.db.select({ n: count() }).from(auditEvents).where(eq(auditEvents.action, action)))[0]!.n;
const rowOf = async (id: string) => (await t.db.select().from(connections).where(eq(connections.id, id)))[0]!;

describe('connections', () => {
  it('are created by company admins for their own organization and MSP staff; company users only see them', async () => {
    const created = await createConnection(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, provider: 'composio', name: 'Composio', metadata: { userId: 'user-42' } });
    expect(created).toMatchObject({ status: 'pending', mode: 'live', providerName: 'Composio', credentials: { set: false, placeholder: null, hint: null } });
    expect(created.statusReason).toBe('No credentials yet: set them, then test the connection.');
    expect(await failure(createConnection(w.ctx(w.actors.acmeUser), { organizationId: w.acme.id, provider: 'composio', name: 'Mine' }))).toBeInstanceOf(ForbiddenError);
    expect(await failure(createConnection(w.ctx(w.actors.globexAdmin), { organizationId: w.acme.id, provider: 'composio', name: 'X' }))).toBeInstanceOf(NotFoundError);
    expect((await listConnections(w.ctx(w.actors.acmeUser), {})).items.map((c) => c.name)).toEqual(['Composio']);
    expect((await listConnections(w.ctx(w.actors.globexAdmin), {})).items).toEqual([]);
    expect(await failure(getConnection(w.ctx(w.actors.globexAdmin), created.id))).toBeInstanceOf(NotFoundError);
    expect(await failure(setConnectionDisabled(w.ctx(w.actors.acmeUser), created.id, true))).toBeInstanceOf(ForbiddenError);
    expect(await audited('connection.create')).toBe(1);
  });

  it('refuse bad input naming the field, a duplicate name, and an unknown provider, creating nothing', async () => {
    const bad = (await failure(createConnection(w.ctx(w.actors.admin), { organizationId: w.acme.id, provider: 'dropbox', name: '' }))) as InvalidInputError;
    expect(Object.keys(bad.fieldErrors).sort()).toEqual(['name', 'provider']);
    const meta = (await failure(
      createConnection(w.ctx(w.actors.admin), { organizationId: w.acme.id, provider: 'quickbooks', name: 'QB', metadata: { realmId: 'abc' } }),
    )) as InvalidInputError;
    expect(meta.fieldErrors).toEqual({ 'metadata.realmId': 'realmId looks like 9130357766223366 (digits)' });
    expect(await failure(createConnection(w.ctx(w.actors.admin), { organizationId: w.acme.id, provider: 'composio', name: 'composio' }))).toBeInstanceOf(ConflictError);
    expect((await listConnections(w.ctx(w.actors.admin), { organizationId: w.acme.id })).items).toHaveLength(1);
  });

  it('take credentials write-only: sealed to the row, a placeholder and the last four characters back, never the secret', async () => {
    const [c] = (await listConnections(w.ctx(w.actors.acmeAdmin), {})).items;
    const missing = (await failure(setConnectionCredentials(w.ctx(w.actors.acmeAdmin), c!.id, { credentials: {} }))) as InvalidInputError;
    expect(missing.fieldErrors).toEqual({ 'credentials.apiKey': 'apiKey is required' });
    const saved = await setConnectionCredentials(w.ctx(w.actors.acmeAdmin), c!.id, { credentials: { apiKey: composioKey } });
    expect(saved.credentials).toEqual({ set: true, placeholder: '••••••••', hint: '…1234' });
    expect(JSON.stringify(saved)).not.toContain('abcdefghijklmnop');
    const row = await rowOf(c!.id);
    expect(row.credentialsSealed).toMatch(/^aw1\./);
    expect(row.credentialsSealed).not.toContain(composioKey);
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.action, 'connection.credentials.set'));
    expect(event!.details).toEqual({ provider: 'composio', name: 'Composio', fields: ['apiKey'] });
  });

  it('name a missing non-secret field before any live call, and change nothing', async () => {
    const [c] = (await listConnections(w.ctx(w.actors.acmeAdmin), {})).items;
    const err = (await failure(testConnection(w.ctx(w.actors.acmeAdmin), c!.id))) as ConflictError;
    expect(err.fieldErrors).toEqual({ 'metadata.connectedAccountId': expect.stringContaining('Composio has no Composio connected account: set metadata.connectedAccountId') });
    expect(await getConnection(w.ctx(w.actors.acmeAdmin), c!.id)).toMatchObject({ status: 'pending', lastTest: null });
    expect(await audited('connection.test')).toBe(0);
  });

  it('turn needs_reconnect, with one sentence, when a sealed credential is moved to another connection', async () => {
    const other = await createConnection(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, provider: 'composio', name: 'Composio 2' });
    const [first] = (await listConnections(w.ctx(w.actors.acmeAdmin), {})).items;
    const { credentialsSealed } = await rowOf(first!.id);
    await t.db.update(connections).set({ credentialsSealed }).where(eq(connections.id, other.id));
    const tested = await testConnection(w.ctx(w.actors.acmeAdmin), other.id);
    expect(tested.status).toBe('needs_reconnect');
    expect(tested.statusReason).toBe(
      'Its credentials cannot be opened (the sealed value does not open for this record (it was altered or moved from another one)): set them again.',
    );
    // Setting them again is the way out.
    expect((await setConnectionCredentials(w.ctx(w.actors.acmeAdmin), other.id, { credentials: { apiKey: composioKey } })).status).toBe('pending');
    await deleteConnection(w.ctx(w.actors.acmeAdmin), other.id);
  });

  it('answer in demo mode with clearly fake data labelled Demo, without opening any credential', async () => {
    const demo = await createConnection(w.ctx(w.actors.admin), { organizationId: w.acme.id, provider: 'google_drive', name: 'Drive (demo)', mode: 'demo' });
    const tested = await testConnection(w.ctx(w.actors.admin), demo.id);
    expect(tested).toMatchObject({ status: 'connected', lastTest: { ok: true, message: expect.stringMatching(/^Demo: /) } });
    const listed = await runConnectionAction(t.db, await rowOf(demo.id), 'files.list', {});
    expect(listed.source).toBe('Demo');
    expect((listed.data as { files: { name: string }[] }).files.every((f) => f.name.startsWith('Demo – '))).toBe(true);
    const bad = await failure(runConnectionAction(t.db, await rowOf(demo.id), 'files.get', {}));
    expect((bad as InvalidInputError).fieldErrors).toEqual({ fileId: 'fileId is required' });
    // Live, the same kind of action names what the connection lacks before calling anyone.
    const [live] = (await listConnections(w.ctx(w.actors.admin), { organizationId: w.acme.id })).items.filter((c) => c.provider === 'composio');
    await expect(runConnectionAction(t.db, await rowOf(live!.id), 'tools.execute', { tool: 'GITHUB_LIST_REPOS' })).rejects.toThrow('has no Composio connected account');
  });

  it('are renamed, switched to demo, given new metadata (then waiting for a test again); bad input names the field and changes nothing', async () => {
    const qb = await createConnection(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, provider: 'quickbooks', name: 'QB', mode: 'demo' });
    await testConnection(w.ctx(w.actors.acmeAdmin), qb.id);
    const renamed = await updateConnection(w.ctx(w.actors.acmeAdmin), qb.id, { name: 'QuickBooks (Acme)' });
    expect(renamed).toMatchObject({ name: 'QuickBooks (Acme)', status: 'connected' });
    const bad = (await failure(updateConnection(w.ctx(w.actors.acmeAdmin), qb.id, { metadata: { realmId: 'abc' }, mode: 'live' }))) as InvalidInputError;
    expect(bad.fieldErrors).toEqual({ 'metadata.realmId': 'realmId looks like 9130357766223366 (digits)' });
    expect((await rowOf(qb.id)).mode).toBe('demo');
    const dup = await failure(updateConnection(w.ctx(w.actors.acmeAdmin), qb.id, { name: 'Composio' }));
    expect(dup).toMatchObject({ fieldErrors: { name: 'Acme already has a connection named "Composio".' } });
    const live = await updateConnection(w.ctx(w.actors.acmeAdmin), qb.id, { mode: 'live', metadata: { realmId: '9130357766223366' } });
    expect(live).toMatchObject({ mode: 'live', status: 'pending', statusReason: 'Changed: test the connection again.', metadata: { realmId: '9130357766223366' } });
    expect(await failure(updateConnection(w.ctx(w.actors.acmeUser), qb.id, { name: 'Mine' }))).toBeInstanceOf(ForbiddenError);
    expect(await failure(updateConnection(w.ctx(w.actors.globexAdmin), qb.id, { name: 'Mine' }))).toBeInstanceOf(NotFoundError);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'connection.update'), eq(auditEvents.targetId, qb.id)))
      .orderBy(desc(auditEvents.at))
      .limit(1);
    expect(event!.details).toMatchObject({ changed: ['metadata', 'mode'], mode: 'live' });
    await deleteConnection(w.ctx(w.actors.acmeAdmin), qb.id);
  });

  it('disable and enable, and delete (audited, saying what happened at the provider)', async () => {
    const [c] = (await listConnections(w.ctx(w.actors.acmeAdmin), {})).items.filter((x) => x.provider === 'composio');
    expect((await setConnectionDisabled(w.ctx(w.actors.acmeAdmin), c!.id, true)).status).toBe('disabled');
    expect(await failure(testConnection(w.ctx(w.actors.acmeAdmin), c!.id))).toBeInstanceOf(ConflictError);
    expect((await setConnectionDisabled(w.ctx(w.actors.acmeAdmin), c!.id, false)).status).toBe('pending');
    const temp = await createConnection(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, provider: 'servicetitan', name: 'ST' });
    await setConnectionCredentials(w.ctx(w.actors.acmeAdmin), temp.id, { credentials: { clientId: 'cid', clientSecret: 'a-long-client-secret', appKey: 'ak' } });
    await deleteConnection(w.ctx(w.actors.acmeAdmin), temp.id);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'connection.delete'), eq(auditEvents.targetId, temp.id)));
    expect(event!.details).toMatchObject({ revoke: expect.stringMatching(/^not revoked at ServiceTitan: ServiceTitan has no API to revoke client credentials/) });
    expect(await failure(getConnection(w.ctx(w.actors.acmeAdmin), temp.id))).toBeInstanceOf(NotFoundError);
  });
});

describe('the policy engine on real connections', () => {
  it('blocks by connection.missing, then connection.not_connected, and allows once connected, for checks and instances alike', async () => {
    const drive = (await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive')))[0]!;
    await setPermission(w.ctx(w.actors.admin), w.globex.id, drive.id, { enabled: true, allowedActions: ['files.list'], confirmation: 'never' });
    const [node] = await t.db.insert(nodes).values({ organizationId: w.globex.id, name: 'globex-edge' }).returning();
    const [instance] = await t.db
      .insert(instances)
      .values({ organizationId: w.globex.id, nodeId: node!.id, name: 'globex-claw', state: 'managed', containerIds: ['c'.repeat(64)], port: 18789 })
      .returning();
    const check = () => checkPolicy(w.ctx(w.actors.admin), { organizationId: w.globex.id, capabilityKey: 'google_drive', action: 'files.list' });
    const onInstance = async () =>
      (await getInstanceCapabilities(w.ctx(w.actors.admin), instance!.id)).effective.find((e) => e.capabilityKey === 'google_drive')!.blocked.map((b) => b.rule);

    expect(await check()).toMatchObject({ outcome: 'blocked', rule: 'connection.missing' });
    expect(await onInstance()).toEqual(['connection.missing', 'action.not_allowed']);

    const c = await createConnection(w.ctx(w.actors.globexAdmin), { organizationId: w.globex.id, provider: 'google_drive', name: 'Globex Drive', mode: 'demo' });
    expect(await check()).toMatchObject({ outcome: 'blocked', rule: 'connection.not_connected', sentence: 'The connection Globex Drive is pending, not connected.' });
    expect(await onInstance()).toEqual(['connection.not_connected', 'action.not_allowed']);

    await testConnection(w.ctx(w.actors.globexAdmin), c.id);
    expect(await check()).toMatchObject({ outcome: 'allowed' });
    expect(await onInstance()).toEqual(['action.not_allowed']);

    await setConnectionDisabled(w.ctx(w.actors.globexAdmin), c.id, true);
    expect(await check()).toMatchObject({ outcome: 'blocked', rule: 'connection.not_connected', sentence: 'The connection Globex Drive is disabled, not connected.' });
  });
});

describe('what uses a connection', () => {
  it('lists the instances a capability of its provider is attached to, for who may see instances', async () => {
    const [drive] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive'));
    const [node] = await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'acme-edge' }).returning();
    const [instance] = await t.db
      .insert(instances)
      .values({ organizationId: w.acme.id, nodeId: node!.id, name: 'acme-claw', state: 'managed', containerIds: ['d'.repeat(64)], port: 18790 })
      .returning();
    const c = await createConnection(w.ctx(w.actors.acmeAdmin), { organizationId: w.acme.id, provider: 'google_drive', name: 'Acme Drive', mode: 'demo' });
    expect(await linkedInstances(w.ctx(w.actors.acmeAdmin), c.id)).toEqual([]);
    await t.db.insert(capabilityAttachments).values({ instanceId: instance!.id, capabilityId: drive!.id });
    expect(await linkedInstances(w.ctx(w.actors.acmeAdmin), c.id)).toEqual([{ id: instance!.id, name: 'acme-claw' }]);
    expect(await linkedInstances(w.ctx(w.actors.acmeUser), c.id)).toEqual([]);
    expect(await failure(linkedInstances(w.ctx(w.actors.globexAdmin), c.id))).toBeInstanceOf(NotFoundError);
  });
});
