// Google's authorization server (accounts.google.com and oauth2.googleapis.com) on loopback: the real one
// of oidc-server.ts dressed as Google's. What Google does its own way: the paths, the client secret in the
// form body, a refresh answer without the refresh token (merged by us, else lost) and one refresh token
// per grant, `access_type=offline` and `prompt=consent` required for a refresh token, and Google's revoke
// endpoint (POST /revoke?token=…, no client authentication).
import type http from 'node:http';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { startAuthorizationServer, type AuthorizationServer, type AuthorizationServerOptions } from './oidc-server.ts';

export const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive.metadata.readonly';
/** The audience of the access tokens: the Drive API. */
export const DRIVE_RESOURCE = 'https://www.googleapis.com/';
export const TEST_ACCOUNT = 'drive-user@example.com';

export type OAuthServerOptions = AuthorizationServerOptions;

export type OAuthStandIn = AuthorizationServer;

/** Google's revoke: the token in the query (or form body), no client authentication; 200 {} or 400 invalid_token. */
async function revoke(server: AuthorizationServer, _req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
  const token = url.searchParams.get('token') ?? '';
  const ok = await server.revokeRefreshToken(token);
  if (ok) server.seen.revoked.push(token);
  res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? {} : { error: 'invalid_token', error_description: 'Token expired or revoked' }));
}

export function startOAuthStandIn(opts: OAuthServerOptions): Promise<OAuthStandIn> {
  return startAuthorizationServer(opts, {
    account: TEST_ACCOUNT,
    api: { scope: DRIVE_SCOPE, resource: DRIVE_RESOURCE },
    paths: { authorization: '/o/oauth2/v2/auth', token: '/token', revoke: '/revoke' },
    token: { clientAuth: 'client_secret_post', rotateRefreshToken: false },
    extraParams: ['access_type'],
    checkConsent: (params) => (params.access_type !== 'offline' || params.prompt !== 'consent' ? 'access_type=offline and prompt=consent are needed for a refresh token' : null),
    answer: (ctx: KoaContextWithOIDC) => {
      // Google answers a refresh without the refresh token: a client that does not merge loses it here.
      if (ctx.path === '/token' && ctx.oidc?.params?.grant_type === 'refresh_token' && ctx.status === 200) delete (ctx.body as Record<string, unknown>).refresh_token;
    },
    revoke,
  });
}
