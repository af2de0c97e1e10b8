// Intuit's authorization server (appcenter.intuit.com, oauth.platform.intuit.com, developer.api.intuit.com)
// on loopback: the real one of oidc-server.ts dressed as Intuit's. What Intuit does its own way: the paths,
// HTTP Basic client authentication, `state` required, the company the person chose appended to the
// redirect back as `realmId`, a new refresh token on every refresh (the old one spent: using it again is
// invalid_grant and, as oidc-provider does, ends the grant), `x_refresh_token_expires_in` in token answers,
// and the revoke endpoint (POST, Basic client authentication, a JSON body { token }).
import type http from 'node:http';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { startAuthorizationServer, type AuthorizationServer, type AuthorizationServerOptions } from './oidc-server.ts';

export const ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';
/** The audience of the access tokens: the QuickBooks Online accounting API. */
export const QUICKBOOKS_RESOURCE = 'https://quickbooks.api.intuit.com/';
export const INTUIT_ACCOUNT = 'books-user@example.com';
/** The test company's realm id, as Intuit's are: digits. */
export const TEST_REALM = '9130357766223366';
/** A refresh token lasts 100 days at Intuit (said in every token answer). */
const REFRESH_TOKEN_SECONDS = 8_726_400;

export interface IntuitOAuthStandIn extends AuthorizationServer {
  /** Every refresh token the token endpoint handed out, in order (the tests follow the rotation). */
  issuedRefreshTokens: string[];
  /** Ends one access token early, as Intuit may (the API then answers 401 before its expiry). */
  revokeAccessToken(token: string): Promise<boolean>;
}

const basicOf = (opts: AuthorizationServerOptions) => `Basic ${Buffer.from(`${opts.clientId}:${opts.clientSecret}`).toString('base64')}`;

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return body && typeof body === 'object' ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Intuit's revoke: the client authenticates (Basic), the token comes as JSON; 200 whether or not it was still valid (RFC 7009). */
async function revoke(opts: AuthorizationServerOptions, server: AuthorizationServer, req: http.IncomingMessage, res: http.ServerResponse) {
  const json = (status: number, body: unknown) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (req.method !== 'POST') return json(405, { error: 'invalid_request' });
  if (req.headers.authorization !== basicOf(opts)) return json(401, { error: 'invalid_client' });
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return json(400, { error: 'invalid_request', error_description: 'the body is JSON' });
  const token = (await readJson(req))?.token;
  if (typeof token !== 'string' || !token) return json(400, { error: 'invalid_request', error_description: 'token is required' });
  if (await server.revokeRefreshToken(token)) server.seen.revoked.push(token);
  return json(200, {});
}

export async function startIntuitOAuthStandIn(opts: AuthorizationServerOptions & { realmId?: string }): Promise<IntuitOAuthStandIn> {
  const realmId = opts.realmId ?? TEST_REALM;
  const issuedRefreshTokens: string[] = [];
  const server = await startAuthorizationServer(opts, {
    account: INTUIT_ACCOUNT,
    api: { scope: ACCOUNTING_SCOPE, resource: QUICKBOOKS_RESOURCE },
    paths: { authorization: '/connect/oauth2', token: '/oauth2/v1/tokens/bearer', revoke: '/v2/oauth2/tokens/revoke' },
    token: { clientAuth: 'client_secret_basic', rotateRefreshToken: true },
    checkConsent: (params) => (params.state ? null : 'state is required'),
    answer: (ctx: KoaContextWithOIDC) => {
      if (ctx.path === '/oauth2/v1/tokens/bearer' && ctx.status === 200) {
        const body = ctx.body as Record<string, unknown>;
        if (typeof body.refresh_token === 'string') issuedRefreshTokens.push(body.refresh_token);
        Object.assign(body, { token_type: 'bearer', x_refresh_token_expires_in: REFRESH_TOKEN_SECONDS });
      }
      // The redirect back with a code names the company the person consented for.
      const location = ctx.status === 303 ? ctx.response.get('location') : '';
      if (location.startsWith(opts.redirectUri)) {
        const back = new URL(location);
        if (back.searchParams.has('code')) {
          back.searchParams.set('realmId', realmId);
          ctx.set('location', back.toString());
        }
      }
    },
    revoke: (self, req, res) => revoke(opts, self, req, res),
  });
  const { provider } = server;
  return Object.assign(server, {
    issuedRefreshTokens,
    revokeAccessToken: async (token: string) => {
      const found = await provider.AccessToken.find(token);
      await found?.destroy();
      return Boolean(found);
    },
  });
}
