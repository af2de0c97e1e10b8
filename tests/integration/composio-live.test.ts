// The live Composio provider through the product's services and Composio's own client (@composio/core),
// pointed at a loopback server speaking Composio's v3.1 API (tests/stand-ins/composio-server.ts): tested
// Live by reading the connected account back, tools executed Live (the tool's schema fetched, then the
// execution, pinned to a version or not), Composio's refusals said in its words, a refused API key, a
// connected account gone or expired turning the connection needs_reconnect. Every request the client makes
// in this file goes through a recorder that refuses any address but the stand-in's, with NODE_ENV as in
// production (the client sends no analytics under "test"): the only requests are to the base URL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Composio, telemetry } from '@composio/core';
import { eq } from 'drizzle-orm';
import { runActionFor } from '../../api/connections/actions.ts';
import { createConnection, deleteConnection, getConnection, setConnectionCredentials, testConnection } from '../../api/connections/service.ts';
import { PolicyBlockedError, type ConflictError } from '../../api/errors.ts';
import { setPermission } from '../../api/permissions/service.ts';
import { auditEvents, capabilities, connections } from '../../db/schema.ts';
import { startComposioStandIn, type ComposioStandIn } from '../stand-ins/composio-server.ts';
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

const API_KEY = 'ak_stand-in-project-key-not-real';
const LIST_REPOS = 'GITHUB_LIST_REPOSITORIES_FOR_THE_AUTHENTICATED_USER';
let composio: ComposioStandIn;
const realFetch = globalThis.fetch;
let restoreEnv = () => {};
/** Every URL fetched in this process while the file runs; anything not the stand-in's is refused, never sent. */
const fetched: string[] = [];

beforeAll(async () => {
  composio = await startComposioStandIn({
    apiKeys: [API_KEY],
    accounts: [
      { id: 'ca_active', userId: 'user-42', toolkit: 'github', status: 'ACTIVE' },
      { id: 'ca_expired', userId: 'user-42', toolkit: 'github', status: 'EXPIRED', statusReason: 'The refresh token was revoked by the user' },
    ],
  });
  restoreEnv = setEnv({ COMPOSIO_BASE_URL: composio.url, NODE_ENV: 'production' });
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    fetched.push(url);
    if (!url.startsWith(`${composio.url}/`)) return Promise.reject(new TypeError(`refused by the test: ${url}`));
    return realFetch(input, init);
  }) as typeof fetch;
});
afterAll(async () => {
  globalThis.fetch = realFetch;
  restoreEnv();
  await composio?.close();
});

const admin = () => w.ctx(w.actors.acmeAdmin);
const requests = () => composio.requests.map((r) => `${r.method} ${r.path}${Object.keys(r.query).length ? `?${new URLSearchParams(r.query)}` : ''}`);
const setMetadata = (id: string, metadata: Record<string, string>) => t.db.update(connections).set({ metadata }).where(eq(connections.id, id));

describe('a live Composio connection', () => {
  let id = '';

  it('is tested Live by reading its connected account back, whose own credentials go no further', async () => {
    const c = await createConnection(admin(), {
      organizationId: w.acme.id,
      provider: 'composio',
      name: 'Composio',
      metadata: { connectedAccountId: 'ca_active', userId: 'user-42' },
    });
    id = c.id;
    await setConnectionCredentials(admin(), id, { credentials: { apiKey: API_KEY } });
    const tested = await testConnection(admin(), id);
    expect(tested).toMatchObject({ status: 'connected', lastTest: { ok: true, message: 'Live: Connected account ca_active (github) is ACTIVE.' } });
    expect(requests()).toEqual(['GET /api/v3.1/connected_accounts/ca_active']);
    expect(composio.requests[0]!.keyOk).toBe(true);
    const audit = await t.db.select().from(auditEvents).where(eq(auditEvents.targetId, id));
    expect(JSON.stringify([tested, audit, await t.db.select().from(connections)])).not.toContain('stand_in_token');
  });

  it('names the missing connected account before calling Composio', async () => {
    const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'composio', name: 'Composio without account' });
    await setConnectionCredentials(admin(), c.id, { credentials: { apiKey: API_KEY } });
    const before = composio.requests.length;
    const err = (await failure(testConnection(admin(), c.id))) as ConflictError;
    expect(err.fieldErrors).toEqual({ 'metadata.connectedAccountId': expect.stringMatching(/^Composio without account has no Composio connected account/) });
    expect(composio.requests).toHaveLength(before);
    await deleteConnection(admin(), c.id);
  });

  it('executes tools Live once the policy allows: the tool’s schema, then the execution, pinned or latest', async () => {
    expect(await failure(runActionFor(admin(), id, 'tools.execute', { tool: LIST_REPOS }))).toBeInstanceOf(PolicyBlockedError);
    const [cap] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'composio'));
    await setPermission(w.ctx(w.actors.admin), w.acme.id, cap!.id, { enabled: true, allowedActions: ['tools.execute'], confirmation: 'never' });
    composio.requests.length = 0;

    const listed = await runActionFor(admin(), id, 'tools.execute', { tool: LIST_REPOS, arguments: { per_page: 2 } });
    expect(listed).toMatchObject({ source: 'Live', provider: 'composio', action: 'tools.execute' });
    expect(listed.data).toEqual({
      successful: true,
      error: null,
      data: { details: [expect.objectContaining({ full_name: 'user-42/infra' }), expect.objectContaining({ full_name: 'user-42/console' })] },
    });
    const pinned = await runActionFor(admin(), id, 'tools.execute', { tool: 'GITHUB_GET_A_REPOSITORY', arguments: { owner: 'acme', repo: 'console' }, version: '20251120_00' });
    expect(pinned.data).toMatchObject({ successful: true, data: { full_name: 'acme/console' } });
    expect(requests()).toEqual([
      `GET /api/v3.1/tools/${LIST_REPOS}?toolkit_versions=latest`,
      `POST /api/v3.1/tools/execute/${LIST_REPOS}`,
      'GET /api/v3.1/tools/GITHUB_GET_A_REPOSITORY?version=20251120_00',
      'POST /api/v3.1/tools/execute/GITHUB_GET_A_REPOSITORY',
    ]);
    expect(composio.requests.every((r) => r.keyOk)).toBe(true);
    expect(composio.requests[1]!.body).toEqual({ connected_account_id: 'ca_active', user_id: 'user-42', arguments: { per_page: 2 }, version: 'latest' });
    expect(composio.requests[3]!.body).toEqual({ connected_account_id: 'ca_active', user_id: 'user-42', arguments: { owner: 'acme', repo: 'console' }, version: '20251120_00' });

    // A tool that ran and failed is a Live result saying so, not an error.
    const failed = await runActionFor(admin(), id, 'tools.execute', { tool: 'GITHUB_GET_A_REPOSITORY' });
    expect(failed.data).toEqual({ successful: false, data: {}, error: 'Missing required arguments: owner, repo' });
  });

  it('refuses bad input naming the field, and says Composio’s own refusals in its words', async () => {
    expect(await failure(runActionFor(admin(), id, 'tools.execute', { tool: 'github_list' }))).toMatchObject({
      fieldErrors: { tool: 'tool is a Composio tool slug (GITHUB_LIST_REPOS)' },
    });
    expect(await failure(runActionFor(admin(), id, 'tools.execute', { tool: LIST_REPOS, version: 'v2' }))).toMatchObject({
      fieldErrors: { version: 'version is a toolkit version (20250909_00) or latest' },
    });
    const unknown = (await failure(runActionFor(admin(), id, 'tools.execute', { tool: 'SLACK_SEND_MESSAGE' }))) as ConflictError;
    expect([unknown.status, unknown.message]).toEqual([502, 'Composio answered: Tool SLACK_SEND_MESSAGE not found']);
    const version = (await failure(runActionFor(admin(), id, 'tools.execute', { tool: LIST_REPOS, version: '20990101_00' }))) as ConflictError;
    expect([version.status, version.message]).toEqual([502, `Composio answered: Version 20990101_00 of ${LIST_REPOS} does not exist`]);
    expect((await getConnection(admin(), id)).status).toBe('connected');
  });

  it('turns needs_reconnect when its connected account has expired at Composio, or is gone (deleted there)', async () => {
    await setMetadata(id, { connectedAccountId: 'ca_expired', userId: 'user-42' });
    const expired = await testConnection(admin(), id);
    expect(expired).toMatchObject({
      status: 'needs_reconnect',
      statusReason:
        'Composio refused the credentials: connected account ca_expired is EXPIRED at Composio (The refresh token was revoked by the user): reconnect it there. Reconnect it.',
    });

    // Pointed at its live account again, it connects; then that account goes.
    await setMetadata(id, { connectedAccountId: 'ca_active', userId: 'user-42' });
    expect((await testConnection(admin(), id)).status).toBe('connected');
    composio.accounts.delete('ca_active');
    const gone = (await failure(runActionFor(admin(), id, 'tools.execute', { tool: LIST_REPOS }))) as ConflictError;
    expect(gone.message).toBe('Composio refused the credentials: Composio has no such connected account (Connected account ca_active not found). Reconnect it.');
    expect((await getConnection(admin(), id)).status).toBe('needs_reconnect');
    composio.accounts.set('ca_active', { id: 'ca_active', userId: 'user-42', toolkit: 'github', status: 'ACTIVE' });
  });

  it('turns needs_reconnect when Composio refuses the API key (revoked), and connects again with a new one', async () => {
    expect((await testConnection(admin(), id)).status).toBe('connected');
    composio.apiKeys.clear();
    const refused = (await failure(runActionFor(admin(), id, 'tools.execute', { tool: LIST_REPOS }))) as ConflictError;
    expect(refused.message).toBe('Composio refused the credentials: Composio refused the API key (Invalid API key. Please check your API key and try again.). Reconnect it.');
    const c = await getConnection(admin(), id);
    expect([c.status, c.statusReason]).toEqual(['needs_reconnect', refused.message]);
    expect(await auditEventOf(t.db, 'connection.status', id)).toMatchObject({ actorType: 'system', outcome: 'failure' });

    composio.apiKeys.add('ak_stand-in-rotated-key-not-real');
    expect((await setConnectionCredentials(admin(), id, { credentials: { apiKey: 'ak_stand-in-rotated-key-not-real' } })).status).toBe('pending');
    expect((await testConnection(admin(), id)).status).toBe('connected');
  });

  it('says on deletion that the key and the connected account stay at Composio', async () => {
    await deleteConnection(admin(), id);
    expect((await auditEventOf(t.db, 'connection.delete', id))!.details).toMatchObject({
      revoke: 'not revoked at Composio: the API key and the connected account stay at Composio: revoke them in its dashboard if no longer needed',
    });
  });
});

describe('the Composio client', () => {
  it('sent every request of this file to the base URL, and never turned on its analytics', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100)); // deferred sends would have left by now
    expect(fetched.length).toBeGreaterThan(10);
    expect(fetched.filter((u) => !u.startsWith(`${composio.url}/api/v3.1/`))).toEqual([]);
    expect((telemetry as unknown as { shouldSendTelemetry(): boolean }).shouldSendTelemetry()).toBe(false);
  });

  it('would have been caught calling elsewhere: a client left with its version check asks the npm registry', async () => {
    const before = fetched.length;
    new Composio({ apiKey: API_KEY, baseURL: composio.url, allowTracking: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fetched.slice(before)).toEqual(['https://registry.npmjs.org/@composio/core/latest']);
  });
});
