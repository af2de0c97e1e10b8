// A canary credential for each provider, through the real REST API (in this process, on a real
// database): it must be found nowhere but sealed — not in any API response, not in the audit trail, not
// in the logs written meanwhile, not in clear in any table of the database. Google Drive's and QuickBooks
// Online's also come the real way: the loopback authorization servers issue refresh tokens carrying the
// canary, which are then used (a test, refreshes, a Live files.list or query) and revoked; Intuit's rotate
// on every refresh, so each new one carries it too. ServiceTitan's and Composio's are used Live
// against their loopback stand-ins (a test and an action each; ServiceTitan's access tokens, kept sealed
// with the credentials, carry the canary too), and refused once, so their error paths are covered as well.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { eq, sql } from 'drizzle-orm';
import { apiRouter } from '../../api/router.ts';
import { createToken } from '../../api/tokens/service.ts';
import { runActionFor } from '../../api/connections/actions.ts';
import { completeConnectionOAuth } from '../../api/connections/oauth.ts';
import { setPermission } from '../../api/permissions/service.ts';
import { capabilities, connections } from '../../db/schema.ts';
import { followConsent } from '../stand-ins/consent.ts';
import { startComposioStandIn, type ComposioStandIn } from '../stand-ins/composio-server.ts';
import { startGoogleStandIn, type GoogleStandIn } from '../stand-ins/google.ts';
import { startIntuitStandIn, type IntuitStandIn } from '../stand-ins/intuit.ts';
import { TEST_REALM } from '../stand-ins/intuit-oauth-server.ts';
import { startServiceTitanStandIn, type ServiceTitanStandIn } from '../stand-ins/servicetitan-server.ts';
import type { TestDatabase } from '../jest/db.ts';
import { tenantsForFile } from '../jest/tenants-for-file.ts';
import type { Tenants } from '../jest/tenants.ts';

let t: TestDatabase;
let w: Tenants;
tenantsForFile((db, tenants) => {
  t = db;
  w = tenants;
});

const CANARY = 'CANARY-7f3e9b2c-never-in-clear';
// The canary sits inside each secret, not at its end: the hint's last four characters stay clear of it.
const secret = (field: string) => `${field}-${CANARY}-tail`;
const CREDENTIALS: Record<string, Record<string, string>> = {
  google_drive: { refreshToken: secret('rt'), accessToken: secret('at') },
  quickbooks: { refreshToken: secret('rt') },
  servicetitan: { clientId: secret('id'), clientSecret: secret('cs'), appKey: secret('ak') },
  composio: { apiKey: secret('key') },
};
const METADATA: Record<string, Record<string, string>> = {
  quickbooks: { realmId: TEST_REALM },
  servicetitan: { tenantId: '1234567890' },
  composio: { connectedAccountId: 'ca_canary', userId: 'user-42' },
};
/** One action of each provider that runs Live here, with its input. */
const LIVE_ACTIONS: Record<string, [string, Record<string, unknown>]> = {
  servicetitan: ['customers.list', { pageSize: 2, includeTotal: true }],
  composio: ['tools.execute', { tool: 'GITHUB_LIST_REPOSITORIES_FOR_THE_AUTHENTICATED_USER', arguments: { per_page: 1 } }],
};

let base = '';
let token = '';
let server: ReturnType<ReturnType<typeof express>['listen']>;
const captured: string[] = [];
const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
const bodies: string[] = [];

const PUBLIC_URL = 'http://localhost:3998';
let google: GoogleStandIn;
let intuit: IntuitStandIn;
let servicetitan: ServiceTitanStandIn;
let composio: ComposioStandIn;

beforeAll(async () => {
  google = await startGoogleStandIn({ redirectUri: `${PUBLIC_URL}/connections/oauth/callback`, refreshTokenPrefix: `${CANARY}-` });
  intuit = await startIntuitStandIn({ redirectUri: `${PUBLIC_URL}/connections/oauth/callback`, refreshTokenPrefix: `${CANARY}-` });
  const st = CREDENTIALS.servicetitan!;
  servicetitan = await startServiceTitanStandIn(
    { clientId: st.clientId!, clientSecret: st.clientSecret!, appKey: st.appKey!, tenantId: METADATA.servicetitan!.tenantId! },
    { tokenPrefix: `${CANARY}-` },
  );
  composio = await startComposioStandIn({ apiKeys: [CREDENTIALS.composio!.apiKey!], accounts: [{ id: 'ca_canary', userId: 'user-42', toolkit: 'github', status: 'ACTIVE' }] });
  Object.assign(process.env, google.env, intuit.env, servicetitan.env, { COMPOSIO_BASE_URL: composio.url, PUBLIC_URL });
  ({ token } = await createToken(w.ctx(w.actors.acmeAdmin), { name: 'canary', scopes: ['read', 'operate'] }));
  const app = express();
  app.use('/api/v1', apiRouter({ version: 'test', publicUrl: 'http://localhost' }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  // Everything any logger of this process writes while the requests run.
  const tap = (into: (chunk: never, ...rest: never[]) => boolean) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      captured.push(String(chunk));
      return (into as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = tap(writes.out);
  process.stderr.write = tap(writes.err);
});
afterAll(async () => {
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;
  await new Promise((resolve) => server?.close(resolve));
  await google?.close();
  await intuit?.close();
  await servicetitan?.close();
  await composio?.close();
  for (const k of [...Object.keys(google?.env ?? {}), ...Object.keys(intuit?.env ?? {}), ...Object.keys(servicetitan?.env ?? {}), 'COMPOSIO_BASE_URL', 'PUBLIC_URL'])
    delete process.env[k];
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
}

describe('a canary credential', () => {
  it('goes in through every provider’s credentials and the API answers without it', async () => {
    for (const [provider, [action]] of Object.entries(LIVE_ACTIONS)) {
      const [cap] = await t.db.select().from(capabilities).where(eq(capabilities.key, provider));
      await setPermission(w.ctx(w.actors.admin), w.acme.id, cap!.id, { enabled: true, allowedActions: [action], confirmation: 'never' });
    }
    for (const [provider, credentials] of Object.entries(CREDENTIALS)) {
      const metadata = METADATA[provider] ?? {};
      const created = await call('POST', '/connections', { organizationId: w.acme.id, provider, name: `Canary ${provider}`, metadata });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      // The canary in a field of the wrong type too: refused naming the field, without echoing the value
      // (a provider without that field drops it).
      const bad = await call('PUT', `/connections/${id}/credentials`, { credentials: { ...credentials, expiresAt: CANARY } });
      expect(bad.status).toBe(provider === 'google_drive' || provider === 'quickbooks' ? 400 : 200);
      const set = await call('PUT', `/connections/${id}/credentials`, { credentials });
      expect(set.status).toBe(200);
      expect(set.json.credentials).toMatchObject({ set: true, placeholder: '••••••••' });
      const tested = await call('POST', `/connections/${id}/test`);
      expect(tested.status).toBe(200);
      const live = LIVE_ACTIONS[provider];
      if (live) {
        // Used Live through the API: tested, an action run, then refused once (their error paths say nothing of it either).
        expect(tested.json).toMatchObject({ status: 'connected', lastTest: { ok: true } });
        const [action, input] = live;
        expect(await call('POST', `/connections/${id}/actions/${action}`, { input })).toMatchObject({ status: 200, json: { source: 'Live' } });
        await t.db
          .update(connections)
          .set({ metadata: { ...metadata, tenantId: '999', connectedAccountId: 'ca_other' } })
          .where(eq(connections.id, id));
        // ServiceTitan's 403 (another tenant) is a 502 with its sentence; Composio's unknown account needs a reconnect (409).
        expect((await call('POST', `/connections/${id}/actions/${action}`, { input })).status).toBe(provider === 'servicetitan' ? 502 : 409);
      }
      expect((await call('GET', `/connections/${id}`)).status).toBe(200);
    }
    expect(servicetitan.seen.tokens.filter((r) => r.ok)).toHaveLength(1);
    expect(servicetitan.seen.api.every((r) => r.token?.startsWith(CANARY))).toBe(true);
    expect(composio.requests.map((r) => r.keyOk)).toEqual([true, true, true, true, true]);
    expect((await call('GET', `/connections?organizationId=${w.acme.id}`)).json.items).toHaveLength(4);
    const last = (await call('GET', '/connections')).json.items as { id: string }[];
    expect((await call('DELETE', `/connections/${last[0]!.id}`)).status).toBe(200);
  });

  it('comes as a refresh token from the consent flow, is used, refreshed and revoked, and the API answers without it', async () => {
    const created = await call('POST', '/connections', { organizationId: w.acme.id, provider: 'google_drive', name: 'Canary consent' });
    const id = created.json.id as string;
    // Access tokens inside the client's refresh-ahead minute: every call refreshes with the canary refresh token.
    google.oauth.settings.accessTokenTtl = 30;
    const started = await call('POST', `/connections/${id}/oauth/start`);
    const back = await followConsent(started.json.authorizationUrl as string, started.json.redirectUri as string);
    await completeConnectionOAuth(w.ctx(w.actors.acmeAdmin), Object.fromEntries(back.searchParams));
    expect((await call('POST', `/connections/${id}/test`)).json).toMatchObject({ status: 'connected', lastTest: { ok: true } });
    const [drive] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive'));
    await setPermission(w.ctx(w.actors.admin), w.acme.id, drive!.id, { enabled: true, allowedActions: ['files.list'], confirmation: 'never' });
    bodies.push(JSON.stringify(await runActionFor(w.ctx(w.actors.acmeAdmin), id, 'files.list', { pageSize: 2, limit: 3 })));
    expect((await call('POST', `/connections/${id}/test`)).status).toBe(200);
    expect(google.oauth.seen.refreshes).toBeGreaterThan(0);
    const again = await call('POST', '/connections', { organizationId: w.acme.id, provider: 'google_drive', name: 'Canary consent 2' });
    const second = await call('POST', `/connections/${again.json.id as string}/oauth/start`);
    await completeConnectionOAuth(
      w.ctx(w.actors.acmeAdmin),
      Object.fromEntries((await followConsent(second.json.authorizationUrl as string, second.json.redirectUri as string)).searchParams),
    );
    expect((await call('DELETE', `/connections/${again.json.id as string}`)).json).toMatchObject({ name: 'Canary consent 2' });
    expect(google.oauth.seen.revoked.every((r) => r.startsWith(CANARY))).toBe(true);
    expect(google.oauth.seen.revoked).toHaveLength(1);
  });

  it('comes as refresh tokens from Intuit’s consent, rotated on every refresh, used Live and revoked, and the API answers without them', async () => {
    const consentFor = async (name: string) => {
      const id = (await call('POST', '/connections', { organizationId: w.acme.id, provider: 'quickbooks', name })).json.id as string;
      const started = await call('POST', `/connections/${id}/oauth/start`);
      const back = await followConsent(started.json.authorizationUrl as string, started.json.redirectUri as string);
      await completeConnectionOAuth(w.ctx(w.actors.acmeAdmin), Object.fromEntries(back.searchParams));
      return id;
    };
    // Access tokens inside the refresh-ahead minute: every call refreshes, and Intuit hands a new refresh token each time.
    intuit.oauth.settings.accessTokenTtl = 30;
    const id = await consentFor('Canary books');
    expect((await call('POST', `/connections/${id}/test`)).json).toMatchObject({ status: 'connected', lastTest: { ok: true }, metadata: { realmId: TEST_REALM } });
    const [books] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'quickbooks'));
    await setPermission(w.ctx(w.actors.admin), w.acme.id, books!.id, { enabled: true, allowedActions: ['query'], confirmation: 'never' });
    const queried = await call('POST', `/connections/${id}/actions/query`, { input: { query: 'SELECT * FROM Invoice', pageSize: 2, limit: 3 } });
    expect(queried).toMatchObject({ status: 200, json: { source: 'Live', data: { totalCount: 3 } } });
    // Intuit's refusal of a query comes back as its sentence, without the request.
    expect((await call('POST', `/connections/${id}/actions/query`, { input: { query: 'SELECT * FROM Vendor' } })).status).toBe(502);
    expect((await call('POST', `/connections/${id}/test`)).status).toBe(200);
    expect(intuit.oauth.seen.refreshes).toBeGreaterThan(2);
    expect(intuit.oauth.issuedRefreshTokens.every((r) => r.startsWith(CANARY))).toBe(true);
    expect((await call('DELETE', `/connections/${id}`)).json).toMatchObject({ name: 'Canary books' });
    expect(intuit.oauth.seen.revoked).toHaveLength(1);
    expect(intuit.oauth.seen.revoked[0]).toBe(intuit.oauth.issuedRefreshTokens.at(-1));
    // One stays connected, its rotated token sealed in the table the last test reads.
    expect((await call('POST', `/connections/${await consentFor('Canary books kept')}/test`)).json).toMatchObject({ status: 'connected' });
  });

  it('is found nowhere: responses, logs, the audit trail, or any table in clear', async () => {
    expect(bodies.join('\n')).not.toContain(CANARY);
    expect(captured.join('')).not.toContain(CANARY);
    const audit = await t.db.execute(sql`select row_to_json(a)::text as row from audit_events a`);
    expect(audit.length).toBeGreaterThan(8);
    expect(JSON.stringify(audit)).not.toContain(CANARY);
    // Every table, every row, as text: the canary exists only sealed.
    const tables = await t.db.execute<{ table_name: string }>(sql`select table_name from information_schema.tables where table_schema = 'public'`);
    for (const { table_name } of tables) {
      const rows = await t.db.execute(sql`select row_to_json(x)::text as row from ${sql.identifier(table_name)} x`);
      expect([table_name, JSON.stringify(rows).includes(CANARY)]).toEqual([table_name, false]);
    }
    const sealed = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from connections where credentials_sealed like 'aw1.%'`);
    expect(sealed[0]!.n).toBe(5);
  });
});
