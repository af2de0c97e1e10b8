// The live QuickBooks Online provider against the real protocols on loopback (tests/stand-ins/): the
// consent flow driven over HTTP through a real OAuth 2.0 authorization server dressed as Intuit's (PKCE,
// Basic client authentication, the redirect URI, realmId appended to the redirect back), the company
// kept as the connection's metadata; the test call and queries answered Live over pages by a server
// speaking the accounting API (minorversion, the realm, Fault bodies); an expired access token refreshed
// with the rotated refresh token kept (the spent one would end the grant); a 401 refreshed once; a revoked
// refresh token turning the connection needs_reconnect; deletion revoking at Intuit.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq } from 'drizzle-orm';
import { runActionFor } from '../../api/connections/actions.ts';
import { completeConnectionOAuth, startConnectionOAuth } from '../../api/connections/oauth.ts';
import { sealCredentials } from '../../api/connections/runner.ts';
import { createConnection, getConnection, testConnection } from '../../api/connections/service.ts';
import { PolicyBlockedError, type ConflictError } from '../../api/errors.ts';
import { setPermission } from '../../api/permissions/service.ts';
import { auditEvents, capabilities, connections } from '../../db/schema.ts';
import { followConsent } from '../stand-ins/consent.ts';
import { startIntuitStandIn, type IntuitStandIn } from '../stand-ins/intuit.ts';
import { TEST_REALM } from '../stand-ins/intuit-oauth-server.ts';
import type { TestDatabase } from '../jest/db.ts';
import { connectWithoutClientNamesIt, connectionRow, deleteRevokesAtProvider, liveProviderFile, openTokens, redirectUriOf } from '../jest/live-providers.ts';
import { failure, type Tenants } from '../jest/tenants.ts';

const REDIRECT_URI = redirectUriOf('http://localhost:3997');
let t: TestDatabase;
let w: Tenants;
let intuit: IntuitStandIn;
liveProviderFile(
  'http://localhost:3997',
  (redirectUri) => startIntuitStandIn({ redirectUri }),
  (f) => ({ t, w, standIns: intuit } = f),
);

const admin = () => w.ctx(w.actors.acmeAdmin);
const tokensOf = (id: string) => openTokens(t.db, id);
/** Reseals the connection's tokens with the access token expired. */
const expireAccessToken = async (id: string) => {
  const row = await connectionRow(t.db, id);
  const sealed = await sealCredentials(t.db, row, { ...(await tokensOf(id)), expiresAt: Date.now() - 1000 });
  await t.db.update(connections).set({ credentialsSealed: sealed }).where(eq(connections.id, id));
};

/** Starts the flow, consents at the stand-in over HTTP, and returns the callback's query (code, state, realmId). */
async function consent(id: string): Promise<Record<string, string>> {
  const { authorizationUrl, redirectUri } = await startConnectionOAuth(admin(), id);
  expect(redirectUri).toBe(REDIRECT_URI);
  return Object.fromEntries((await followConsent(authorizationUrl, REDIRECT_URI)).searchParams);
}

const query = (id: string, input: Record<string, unknown>) => runActionFor(admin(), id, 'query', input);
const rowsOf = (result: { data: unknown }) => (result.data as { rows: Record<string, unknown>[]; totalCount: number }).rows;

describe('the QuickBooks consent flow', () => {
  it('asks Intuit for the accounting scope with PKCE S256, keeps the company it names, and tests Live', async () => {
    const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'quickbooks', name: 'Books' });
    const { authorizationUrl } = await startConnectionOAuth(admin(), c.id);
    expect(authorizationUrl.startsWith(intuit.oauth.endpoints.authorize)).toBe(true);
    expect(Object.fromEntries(new URL(authorizationUrl).searchParams)).toMatchObject({
      scope: 'com.intuit.quickbooks.accounting',
      code_challenge_method: 'S256',
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
    });
    const back = Object.fromEntries((await followConsent(authorizationUrl, REDIRECT_URI)).searchParams);
    expect(back).toMatchObject({ realmId: TEST_REALM, code: expect.any(String), state: expect.any(String) });

    const done = await completeConnectionOAuth(admin(), back);
    expect(done).toMatchObject({ status: 'connected', metadata: { realmId: TEST_REALM }, credentials: { set: true, placeholder: '••••••••' } });
    const tokens = await tokensOf(c.id);
    expect(tokens.refreshToken).toBe(intuit.oauth.issuedRefreshTokens.at(-1));
    expect(tokens.expiresAt).toBeGreaterThan(Date.now());
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'connection.oauth.connect'), eq(auditEvents.targetId, c.id)));
    expect(event!.details).toEqual({ provider: 'quickbooks', name: 'Books', fields: ['accessToken', 'expiresAt', 'refreshToken'], metadata: { realmId: TEST_REALM } });

    intuit.api.requests.length = 0;
    expect((await testConnection(admin(), c.id)).lastTest).toMatchObject({ ok: true, message: 'Live: Connected to Sandbox Company_US_1.' });
    expect(intuit.api.requests).toEqual([{ path: `/v3/company/${TEST_REALM}/companyinfo/${TEST_REALM}`, query: { minorversion: '75' }, bearer: tokens.accessToken }]);
  });

  it('refuses a redirect back without the company, or with one that is not a realm id, using the state up; and an unconfigured client', async () => {
    const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'quickbooks', name: 'Books refusals' });
    const { realmId: _dropped, ...noRealm } = await consent(c.id);
    const refused = (await failure(completeConnectionOAuth(admin(), noRealm))) as ConflictError;
    expect(refused.message).toBe('Intuit sent no company (realmId) back: connect again and choose a company.');
    expect(((await failure(completeConnectionOAuth(admin(), noRealm))) as ConflictError).message).toMatch(/already used/);
    const odd = (await failure(completeConnectionOAuth(admin(), { ...(await consent(c.id)), realmId: '12ab' }))) as ConflictError;
    expect(odd.message).toBe('QuickBooks Online sent back realmId looks like 9130357766223366 (digits).');
    expect((await getConnection(admin(), c.id)).credentials.set).toBe(false);
    // Nor does Connect start without the OAuth client: it names the variables to set.
    await connectWithoutClientNamesIt(admin(), c.id, 'QUICKBOOKS', intuit);
  });
});

describe('live QuickBooks queries', () => {
  let id = '';
  beforeAll(async () => {
    const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'quickbooks', name: 'Books live' });
    id = c.id;
    expect((await completeConnectionOAuth(admin(), await consent(id))).status).toBe('connected');
  });

  it('are refused by the policy engine until the organization may use QuickBooks, then answered Live over pages', async () => {
    expect(await failure(query(id, { query: 'SELECT * FROM Invoice' }))).toBeInstanceOf(PolicyBlockedError);
    const [books] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'quickbooks'));
    await setPermission(w.ctx(w.actors.admin), w.acme.id, books!.id, { enabled: true, allowedActions: ['query'], confirmation: 'never' });

    intuit.api.requests.length = 0;
    const listed = await query(id, { query: 'SELECT * FROM Invoice', pageSize: 3, limit: 5 });
    expect(listed.source).toBe('Live');
    expect(rowsOf(listed).map((r) => r.DocNumber)).toEqual(['1001', '1002', '1003', '1004', '1005']);
    expect(listed.data).toMatchObject({ totalCount: 5 });
    // Two pages, each on the company's query endpoint with the minor version and the bearer token.
    const { accessToken } = await tokensOf(id);
    expect(intuit.api.requests).toEqual([
      { path: `/v3/company/${TEST_REALM}/query`, query: { query: 'SELECT * FROM Invoice STARTPOSITION 1 MAXRESULTS 3', minorversion: '75' }, bearer: accessToken },
      { path: `/v3/company/${TEST_REALM}/query`, query: { query: 'SELECT * FROM Invoice STARTPOSITION 4 MAXRESULTS 2', minorversion: '75' }, bearer: accessToken },
    ]);

    // All of them over a short last page; a filter; a count; the query's own paging asked once, as written.
    expect(rowsOf(await query(id, { query: 'SELECT * FROM Invoice', pageSize: 3 }))).toHaveLength(7);
    const big = await query(id, { query: "select Id, TotalAmt from invoice where TotalAmt > '500' ORDERBY TotalAmt DESC" });
    expect(rowsOf(big)).toEqual([
      { Id: '107', TotalAmt: 700.5 },
      { Id: '106', TotalAmt: 600.5 },
      { Id: '105', TotalAmt: 500.5 },
    ]);
    expect((await query(id, { query: 'SELECT COUNT(*) FROM Invoice' })).data).toEqual({ rows: [], totalCount: 7 });
    expect(rowsOf(await query(id, { query: 'SELECT * FROM Customer STARTPOSITION 2 MAXRESULTS 5' })).map((r) => r.Id)).toEqual(['2']);
    expect(rowsOf(await query(id, { query: 'SELECT * FROM Invoice MAXRESULTS 5', limit: 2 }))).toHaveLength(2);
    expect((await query(id, { query: "SELECT * FROM Customer WHERE DisplayName LIKE 'Zed%'" })).data).toEqual({ rows: [], totalCount: 0 });
  });

  it('say Intuit’s own sentence when it refuses a query (502), and bad input names the field', async () => {
    const bad = (await failure(query(id, { query: 'SELECT * FROM Vendor' }))) as ConflictError;
    expect([bad.status, bad.message]).toEqual([502, 'QuickBooks Online answered: Error parsing query: QueryParserError: Invalid context declaration : Vendor (code 4000)']);
    expect(await failure(query(id, { query: 'DELETE FROM Invoice' }))).toMatchObject({ fieldErrors: { query: 'query is a QuickBooks SELECT statement' } });
    expect(await failure(query(id, { query: 'SELECT * FROM Invoice', limit: 0 }))).toMatchObject({ fieldErrors: { limit: 'limit is at least 1' } });
    // Another company than the one consented for: Intuit's 403, not a reconnect.
    await t.db
      .update(connections)
      .set({ metadata: { realmId: '4620816365257778' } })
      .where(eq(connections.id, id));
    const foreign = (await failure(query(id, { query: 'SELECT * FROM Invoice' }))) as ConflictError;
    expect(foreign.message).toBe('QuickBooks Online answered: message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403 (code 003100)');
    await t.db
      .update(connections)
      .set({ metadata: { realmId: TEST_REALM } })
      .where(eq(connections.id, id));
    expect((await getConnection(admin(), id)).status).toBe('connected');
  });

  it('refresh an expired access token unnoticed, keeping the refresh token Intuit rotates (the spent one would end the grant)', async () => {
    const before = await tokensOf(id);
    const refreshes = intuit.oauth.seen.refreshes;
    await expireAccessToken(id);
    intuit.api.requests.length = 0;
    expect((await query(id, { query: 'SELECT * FROM Customer' })).source).toBe('Live');
    expect(intuit.oauth.seen.refreshes).toBe(refreshes + 1);
    const after = await tokensOf(id);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.refreshToken).toBe(intuit.oauth.issuedRefreshTokens.at(-1));
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(intuit.api.requests.map((r) => r.bearer)).toEqual([after.accessToken]);

    // Twice more, each time with the newest refresh token: had one been lost, Intuit's stand-in would refuse the spent one.
    for (let i = 0; i < 2; i += 1) {
      await expireAccessToken(id);
      expect((await query(id, { query: 'SELECT * FROM Customer' })).source).toBe('Live');
    }
    expect(intuit.oauth.seen.refreshes).toBe(refreshes + 3);
    expect((await tokensOf(id)).refreshToken).toBe(intuit.oauth.issuedRefreshTokens.at(-1));

    // Access tokens inside the refresh-ahead minute: each page of one query refreshes, with the refresh token the page before got.
    intuit.oauth.settings.accessTokenTtl = 30;
    await expireAccessToken(id);
    expect(rowsOf(await query(id, { query: 'SELECT * FROM Invoice', pageSize: 2, limit: 5 }))).toHaveLength(5);
    expect(intuit.oauth.seen.refreshes).toBe(refreshes + 6);
    intuit.oauth.settings.accessTokenTtl = 3600;
    await query(id, { query: 'SELECT * FROM Customer' });
    expect((await tokensOf(id)).refreshToken).toBe(intuit.oauth.issuedRefreshTokens.at(-1));
    expect((await getConnection(admin(), id)).status).toBe('connected');
  });

  it('refresh once for calls made at the same moment: the others wait for it, then use the tokens it sealed', async () => {
    await expireAccessToken(id);
    const refreshes = intuit.oauth.seen.refreshes;
    // A slow token endpoint, so that all three want to refresh while the first one is at it.
    intuit.oauth.settings.tokenDelayMs = 300;
    const results = await Promise.all([1, 2, 3].map(() => query(id, { query: 'SELECT * FROM Customer' })));
    intuit.oauth.settings.tokenDelayMs = 0;
    expect(results.map((r) => r.source)).toEqual(['Live', 'Live', 'Live']);
    expect(intuit.oauth.seen.refreshes).toBe(refreshes + 1);
    expect((await getConnection(admin(), id)).status).toBe('connected');
  });

  it('refresh once and try again when Intuit refuses an access token before its expiry (401)', async () => {
    const before = await tokensOf(id);
    expect(await intuit.oauth.revokeAccessToken(before.accessToken!)).toBe(true);
    intuit.api.requests.length = 0;
    expect(rowsOf(await query(id, { query: 'SELECT * FROM Customer' }))).toHaveLength(2);
    const after = await tokensOf(id);
    expect(intuit.api.requests.map((r) => r.bearer)).toEqual([before.accessToken, after.accessToken]);
    expect(after.refreshToken).not.toBe(before.refreshToken);
  });

  it('turn the connection needs_reconnect when Intuit refuses a revoked refresh token (invalid_grant), and a test says so too', async () => {
    const { refreshToken } = await tokensOf(id);
    expect(await intuit.oauth.revokeRefreshToken(refreshToken)).toBe(true);
    const refused = (await failure(query(id, { query: 'SELECT * FROM Invoice' }))) as ConflictError;
    expect(refused.message).toMatch(
      /^QuickBooks Online refused the credentials: Intuit refused the refresh token \(invalid_grant.*\): it was revoked or has expired\. Reconnect it\.$/,
    );
    const c = await getConnection(admin(), id);
    expect([c.status, c.statusReason]).toEqual(['needs_reconnect', refused.message]);
    const tested = await testConnection(admin(), id);
    expect([tested.status, tested.lastTest?.ok]).toEqual(['needs_reconnect', false]);
    // Reconnecting is the way out.
    expect((await completeConnectionOAuth(admin(), await consent(id))).status).toBe('connected');
    expect((await tokensOf(id)).refreshToken).not.toBe(refreshToken);
  });

  it('revoke the refresh token at Intuit when the connection is deleted', async () => {
    await deleteRevokesAtProvider(t.db, admin(), id, intuit.oauth, 'QuickBooks Online');
  });
});
