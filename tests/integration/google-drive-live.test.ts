// The live Google Drive provider against the real protocols on loopback (tests/stand-ins/): the consent
// flow driven over HTTP through a real OAuth 2.0 authorization server (PKCE and the redirect URI enforced
// by oidc-provider) and refused for a wrong, expired, reused or someone else's state; files listed Live
// over several pages through @googleapis/drive, with its progress after each page; an expired access token refreshed unnoticed with the
// refresh token kept; a revoked one turning the connection needs_reconnect; deletion revoking at Google.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq, isNull } from 'drizzle-orm';
import { runActionFor } from '../../api/connections/actions.ts';
import { sealCredentials } from '../../api/connections/runner.ts';
import { completeConnectionOAuth, startConnectionOAuth } from '../../api/connections/oauth.ts';
import { createConnection, getConnection, testConnection } from '../../api/connections/service.ts';
import { ConflictError, ForbiddenError, PolicyBlockedError } from '../../api/errors.ts';
import { setPermission } from '../../api/permissions/service.ts';
import { auditEvents, capabilities, connectionOauthStates, connections } from '../../db/schema.ts';
import { readStepProgress, type StepProgress } from '../../protocol/step-progress.ts';
import { followConsent } from '../stand-ins/consent.ts';
import { startGoogleStandIn, type GoogleStandIn } from '../stand-ins/google.ts';
import type { TestDatabase } from '../jest/db.ts';
import { connectWithoutClientNamesIt, connectionRow, deleteRevokesAtProvider, liveProviderFile, openTokens, redirectUriOf } from '../jest/live-providers.ts';
import { failure, type Tenants } from '../jest/tenants.ts';

const PUBLIC_URL = 'http://localhost:3999';
const REDIRECT_URI = redirectUriOf(PUBLIC_URL);
let t: TestDatabase;
let w: Tenants;
let google: GoogleStandIn;
liveProviderFile(
  PUBLIC_URL,
  (redirectUri) => startGoogleStandIn({ redirectUri }),
  (f) => ({ t, w, standIns: google } = f),
);

const admin = () => w.ctx(w.actors.acmeAdmin);
const rowOf = (id: string) => connectionRow(t.db, id);
const tokensOf = (id: string) => openTokens(t.db, id);

/** Starts the flow as `starter`, consents at the stand-in over HTTP, and returns the callback's query. */
async function consent(id: string, starter = admin()): Promise<Record<string, string>> {
  const { authorizationUrl, redirectUri } = await startConnectionOAuth(starter, id);
  expect(redirectUri).toBe(REDIRECT_URI);
  const back = await followConsent(authorizationUrl, REDIRECT_URI);
  return Object.fromEntries(back.searchParams);
}

async function connected(name: string): Promise<string> {
  const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'google_drive', name });
  expect((await completeConnectionOAuth(admin(), await consent(c.id))).status).toBe('connected');
  return c.id;
}

describe('the Google Drive consent flow', () => {
  it('asks Google for offline access with PKCE S256 and consent, and connects with the tokens sealed', async () => {
    const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'google_drive', name: 'Drive' });
    const { authorizationUrl } = await startConnectionOAuth(admin(), c.id);
    const asked = new URL(authorizationUrl).searchParams;
    expect(Object.fromEntries(asked)).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
      code_challenge_method: 'S256',
      scope: 'https://www.googleapis.com/auth/drive.metadata.readonly',
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
    });
    // Only the state's hash is stored.
    const [flow] = await t.db.select().from(connectionOauthStates).where(eq(connectionOauthStates.connectionId, c.id));
    expect(flow!.stateHash).not.toBe(asked.get('state'));
    expect(flow!.verifierSealed).toMatch(/^aw1\./);

    const done = await completeConnectionOAuth(admin(), Object.fromEntries((await followConsent(authorizationUrl, REDIRECT_URI)).searchParams));
    expect(done).toMatchObject({ status: 'connected', credentials: { set: true, placeholder: '••••••••' } });
    const tokens = await tokensOf(c.id);
    expect(tokens.refreshToken.length).toBeGreaterThan(20);
    expect(tokens.expiresAt).toBeGreaterThan(Date.now());
    expect((await rowOf(c.id)).credentialsSealed).not.toContain(tokens.refreshToken);
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'connection.oauth.connect'), eq(auditEvents.targetId, c.id)));
    expect(event!.details).toEqual({ provider: 'google_drive', name: 'Drive', fields: ['accessToken', 'expiresAt', 'refreshToken'] });
    // Tested live: a cheap files.list.
    expect((await testConnection(admin(), c.id)).lastTest).toMatchObject({ ok: true, message: expect.stringMatching(/^Live: Google Drive answered/) });
  });

  it('refuses a wrong, reused, expired or someone else’s state, and a code exchanged without its verifier', async () => {
    const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'google_drive', name: 'Drive refusals' });
    expect(await failure(completeConnectionOAuth(admin(), { state: 'not-a-state', code: 'x' }))).toBeInstanceOf(ConflictError);

    const query = await consent(c.id);
    await completeConnectionOAuth(admin(), query);
    const reused = (await failure(completeConnectionOAuth(admin(), query))) as ConflictError;
    expect(reused.message).toBe('This consent link is unknown or was already used: start again with Connect.');

    const late = await consent(c.id);
    await t.db
      .update(connectionOauthStates)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(isNull(connectionOauthStates.usedAt));
    expect(((await failure(completeConnectionOAuth(admin(), late))) as ConflictError).message).toMatch(/took longer than 10 minutes/);

    // Started by the company admin, brought back by an MSP admin (who may manage it): refused, and used up.
    const stolen = await consent(c.id);
    expect(await failure(completeConnectionOAuth(w.ctx(w.actors.admin), stolen))).toBeInstanceOf(ForbiddenError);
    expect(await failure(completeConnectionOAuth(admin(), stolen))).toBeInstanceOf(ConflictError);

    // The provider said no; a demo connection has no consent flow.
    const denied = await startConnectionOAuth(admin(), c.id);
    const state = new URL(denied.authorizationUrl).searchParams.get('state')!;
    expect(((await failure(completeConnectionOAuth(admin(), { state, error: 'access_denied' }))) as ConflictError).message).toBe(
      'Google Drive did not grant access (access_denied).',
    );
    const demo = await createConnection(admin(), { organizationId: w.acme.id, provider: 'google_drive', name: 'Drive demo', mode: 'demo' });
    expect(await failure(startConnectionOAuth(admin(), demo.id))).toBeInstanceOf(ConflictError);
    expect(await failure(startConnectionOAuth(w.ctx(w.actors.acmeUser), c.id))).toBeInstanceOf(ForbiddenError);
  });

  it('says which variables to set when the OAuth client is not configured', async () => {
    const c = await createConnection(admin(), { organizationId: w.acme.id, provider: 'google_drive', name: 'Drive unconfigured' });
    await connectWithoutClientNamesIt(admin(), c.id, 'GOOGLE', google);
  });
});

describe('live Drive actions', () => {
  let id = '';
  beforeAll(async () => {
    id = await connected('Drive live');
  });

  it('are refused by the policy engine until the organization may use Google Drive, then listed Live over pages', async () => {
    expect(await failure(runActionFor(admin(), id, 'files.list', {}))).toBeInstanceOf(PolicyBlockedError);
    const [drive] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive'));
    await setPermission(w.ctx(w.actors.admin), w.acme.id, drive!.id, { enabled: true, allowedActions: ['files.list', 'files.get'], confirmation: 'never' });

    google.drive.requests.length = 0;
    const reports: StepProgress[] = [];
    const listed = await runActionFor(admin(), id, 'files.list', { folderId: 'folder-1', pageSize: 2, limit: 5 }, { progress: (p) => reports.push(p) });
    expect(listed.source).toBe('Live');
    const data = listed.data as { files: { id: string }[]; nextPageToken?: string; incompleteSearch: boolean };
    expect(data.files.map((f) => f.id)).toEqual(['file-1', 'file-2', 'file-3', 'file-4', 'file-5']);
    expect(data.nextPageToken).toEqual(expect.any(String));
    // Three pages, each with the bearer token, the fields and the previous page's token.
    expect(google.drive.requests.map((r) => [r.query.pageSize, Boolean(r.query.pageToken), r.query.q, Boolean(r.bearer)])).toEqual([
      ['2', false, "'folder-1' in parents", true],
      ['2', true, "'folder-1' in parents", true],
      ['1', true, "'folder-1' in parents", true],
    ]);
    expect(google.drive.requests[0]!.query.fields).toBe('nextPageToken,incompleteSearch,files(id,name,mimeType,size,modifiedTime)');
    // Its progress after each page, as a workflow run's step heartbeats it (ADR 0021): the files so far, no
    // total (Drive does not say how many there are), so the run's page shows an indeterminate bar.
    expect(reports).toEqual([
      { step: 'listing Drive files', message: 'page 1: 2 files so far', done: 2, unit: 'files' },
      { step: 'listing Drive files', message: 'page 2: 4 files so far', done: 4, unit: 'files' },
      { step: 'listing Drive files', message: 'page 3: 5 files so far', done: 5, unit: 'files' },
    ]);
    expect(reports.map(readStepProgress)).toEqual(reports);

    const rest = await runActionFor(admin(), id, 'files.list', { folderId: 'folder-1', pageToken: data.nextPageToken });
    expect((rest.data as { files: unknown[] }).files).toHaveLength(2);
    google.drive.settings.incompleteSearch = true;
    const partial = await runActionFor(admin(), id, 'files.list', { q: "name contains 'report'" });
    expect(partial.data).toMatchObject({ incompleteSearch: true, files: [{ id: 'file-1' }, { id: 'file-3' }, { id: 'file-5' }, { id: 'file-7' }] });
    google.drive.settings.incompleteSearch = false;
    expect((await runActionFor(admin(), id, 'files.get', { fileId: 'file-2' })).data).toMatchObject({ id: 'file-2', name: 'Notes 2.txt' });

    // Drive's own refusals come back as its sentence (502), never as the client library's error.
    const bad = (await failure(runActionFor(admin(), id, 'files.list', { q: 'owner is me' }))) as ConflictError;
    expect([bad.status, bad.message]).toEqual([502, 'Google Drive answered: Invalid Value']);
    expect(await failure(runActionFor(admin(), id, 'files.list', { pageSize: 0 }))).toMatchObject({ fieldErrors: { pageSize: 'pageSize is at least 1' } });
  });

  it('refresh an expired access token without anyone noticing, keeping the refresh token Google leaves out', async () => {
    const before = await tokensOf(id);
    const refreshes = google.oauth.seen.refreshes;
    // Google hands out access tokens that expire within the minute the client refreshes ahead of.
    google.oauth.settings.accessTokenTtl = 30;
    // The stored access token has expired.
    const row = await rowOf(id);
    await t.db
      .update(connections)
      .set({ credentialsSealed: await sealCredentials(t.db, row, { ...before, expiresAt: Date.now() - 1000 }) })
      .where(eq(connections.id, id));
    google.drive.requests.length = 0;
    expect((await runActionFor(admin(), id, 'files.list', { pageSize: 1, limit: 1 })).source).toBe('Live');
    expect(google.oauth.seen.refreshes).toBe(refreshes + 1);
    const after = await tokensOf(id);
    expect(after.refreshToken).toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(google.drive.requests[0]!.bearer).toBe(after.accessToken);
    expect(after.expiresAt).not.toBe(before.expiresAt);

    // Each call refreshes again, with the refresh token that was kept.
    await runActionFor(admin(), id, 'files.list', { pageSize: 1, limit: 1 });
    await runActionFor(admin(), id, 'files.list', { pageSize: 1, limit: 1 });
    expect(google.oauth.seen.refreshes).toBe(refreshes + 3);
    expect((await tokensOf(id)).refreshToken).toBe(before.refreshToken);
    google.oauth.settings.accessTokenTtl = 3600;
  });

  it('turn the connection needs_reconnect when Google refuses a revoked refresh token (invalid_grant)', async () => {
    const { refreshToken } = await tokensOf(id);
    expect(await google.oauth.revokeRefreshToken(refreshToken)).toBe(true);
    const refused = (await failure(runActionFor(admin(), id, 'files.list', {}))) as ConflictError;
    expect(refused.message).toMatch(/^Google Drive refused the credentials: Google refused the refresh token \(invalid_grant.*\. Reconnect it\.$/);
    const c = await getConnection(admin(), id);
    expect(c.status).toBe('needs_reconnect');
    expect(c.statusReason).toBe(refused.message);
    // Reconnecting is the way out.
    expect((await completeConnectionOAuth(admin(), await consent(id))).status).toBe('connected');
    expect((await tokensOf(id)).refreshToken).not.toBe(refreshToken);
  });

  it('revoke the refresh token at Google when the connection is deleted', async () => {
    await deleteRevokesAtProvider(t.db, admin(), id, google.oauth, 'Google Drive');
  });
});
