// Intuit's OAuth wire format, held to Intuit's own client (intuit-oauth, which cannot be pointed at a base
// URL per call nor do PKCE: intuit-oauth.ts says why): the same production endpoints, scope and Basic
// client authentication; and our consent URL carrying what Intuit needs, PKCE S256 always.
import { describe, expect, it } from '@jest/globals';
import OAuthClient from 'intuit-oauth';
import { ProviderAuthError } from './provider.ts';
import { ACCOUNTING_SCOPE, basicAuth, INTUIT_OAUTH_URLS, intuitOAuthFlow } from './intuit-oauth.ts';
import { quickbooks } from './quickbooks.ts';

const client = { clientId: 'ABclient', clientSecret: 'secret:with-colon' };

describe('Intuit OAuth', () => {
  it('uses the endpoints, scope and client authentication of Intuit’s own client', () => {
    expect(INTUIT_OAUTH_URLS).toEqual({ authorize: OAuthClient.authorizeEndpoint, token: OAuthClient.tokenEndpoint, revoke: OAuthClient.revokeEndpoint });
    expect(ACCOUNTING_SCOPE).toBe(OAuthClient.scopes.Accounting);
    expect(quickbooks.baseUrls).toMatchObject({ ...INTUIT_OAUTH_URLS, api: OAuthClient.environment.production });
    const theirs = new OAuthClient({ environment: 'production', clientId: client.clientId, clientSecret: client.clientSecret, redirectUri: 'http://localhost/cb' });
    expect(basicAuth(client)).toBe(`Basic ${theirs.authHeader()}`);
  });

  it('asks for the accounting scope with PKCE S256 and the state, at the configured endpoint', () => {
    const url = new URL(
      intuitOAuthFlow.authorizationUrl({
        baseUrls: { authorize: 'http://127.0.0.1:1/connect/oauth2' },
        client,
        redirectUri: 'http://localhost:3000/connections/oauth/callback',
        state: 'the-state',
        codeChallenge: 'the-challenge',
      }),
    );
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:1/connect/oauth2');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'ABclient',
      response_type: 'code',
      scope: 'com.intuit.quickbooks.accounting',
      redirect_uri: 'http://localhost:3000/connections/oauth/callback',
      state: 'the-state',
      code_challenge: 'the-challenge',
      code_challenge_method: 'S256',
    });
    expect(url.toString()).not.toContain(client.clientSecret);
  });

  it('takes the company (realmId) from the redirect back, and refuses a redirect without one', () => {
    expect(intuitOAuthFlow.metadataFrom!({ code: 'c', state: 's', realmId: '9130357766223366' })).toEqual({ realmId: '9130357766223366' });
    expect(() => intuitOAuthFlow.metadataFrom!({ code: 'c', state: 's' })).toThrow(ProviderAuthError);
    // Whatever it says is checked by the metadata schema: digits only.
    expect(quickbooks.metadataSchema.safeParse({ realmId: '12ab' }).success).toBe(false);
  });
});
