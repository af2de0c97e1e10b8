// A real OAuth 2.0 authorization server on loopback, standing in for Google's (accounts.google.com and
// oauth2.googleapis.com), built on oidc-provider: it enforces PKCE (S256 only), the registered redirect
// URI and client authentication itself. Around it, what Google does differently: the paths, a refresh
// answer without the refresh token (merged by us, else lost), `access_type=offline` required for a refresh
// token, and Google's revoke endpoint (POST /revoke?token=…, no client authentication). Its consent page
// signs in one test account and consents at once, so Jest (over HTTP) and Playwright (in Chromium) both
// go through the same redirects.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';

export const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive.metadata.readonly';
/** The audience of the access tokens: the Drive API. */
export const DRIVE_RESOURCE = 'https://www.googleapis.com/';
export const TEST_ACCOUNT = 'drive-user@example.com';

export interface OAuthServerOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Put before every refresh token issued (the canary test looks for it everywhere). */
  refreshTokenPrefix?: string;
}

export interface OAuthStandIn {
  url: string;
  /** Where the product's configuration points: GOOGLE_OAUTH_AUTH_URL, _TOKEN_URL, _REVOKE_URL. */
  endpoints: { authorize: string; token: string; revoke: string };
  provider: Provider;
  /** Seconds an access token lives (short in tests that need one to expire). */
  settings: { accessTokenTtl: number };
  /** What happened, for the tests to check. */
  seen: { refreshes: number; revoked: string[]; consents: number };
  /** Revokes a refresh token as if the person removed the app's access in their Google account. */
  revokeRefreshToken(token: string): Promise<boolean>;
  close(): Promise<void>;
}

async function revokeGrantOf(provider: Provider, token: string): Promise<boolean> {
  const found = (await provider.RefreshToken.find(token)) ?? (await provider.AccessToken.find(token));
  if (!found?.grantId) return false;
  await Promise.all([provider.RefreshToken.revokeByGrantId(found.grantId), provider.AccessToken.revokeByGrantId(found.grantId)]);
  return true;
}

/** GET /interaction/:uid: signs the test account in, then consents to what was asked, checking Google's parameters. */
async function interaction(provider: Provider, req: http.IncomingMessage, res: http.ServerResponse, seen: OAuthStandIn['seen']) {
  const details = await provider.interactionDetails(req, res);
  const params = details.params as Record<string, string | undefined>;
  if (params.access_type !== 'offline' || params.prompt !== 'consent') {
    const error = { error: 'invalid_request', error_description: 'access_type=offline and prompt=consent are needed for a refresh token' };
    return provider.interactionFinished(req, res, error, { mergeWithLastSubmission: false });
  }
  if (details.prompt.name === 'login') return provider.interactionFinished(req, res, { login: { accountId: TEST_ACCOUNT } }, { mergeWithLastSubmission: false });
  // Consents to what is missing, as the person clicking "Allow" would (oidc-provider's own example).
  const grant = new provider.Grant({ accountId: TEST_ACCOUNT, clientId: params.client_id! });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  seen.consents += 1;
  return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

/** A signing key of its own (nothing here signs an ID token, but oidc-provider wants one, and warns about its default). */
const signingKey = () => ({ ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'stand-in', alg: 'RS256', use: 'sig' });

export async function startOAuthStandIn(opts: OAuthServerOptions): Promise<OAuthStandIn> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const settings = { accessTokenTtl: 3600 };
  const seen = { refreshes: 0, revoked: [] as string[], consents: 0 };
  const provider = new Provider(url, {
    clients: [
      {
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    routes: { authorization: '/o/oauth2/v2/auth', token: '/token' },
    scopes: [DRIVE_SCOPE],
    extraParams: ['access_type'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => DRIVE_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== DRIVE_RESOURCE) throw new errors.InvalidTarget();
          return { scope: DRIVE_SCOPE, accessTokenFormat: 'opaque', accessTokenTTL: settings.accessTokenTtl };
        },
      },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Google keeps one refresh token per grant.
    rotateRefreshToken: () => false,
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, email: sub }) }),
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    cookies: { keys: ['stand-in-cookie-key-not-a-secret'] },
    // Set, so oidc-provider does not print its notices about defaults; Google's refresh tokens last until revoked.
    ttl: {
      AccessToken: () => settings.accessTokenTtl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 86_400,
      RefreshToken: 86_400,
    },
    renderError: (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'text/plain';
      ctx.body = `${out.error}: ${out.error_description ?? ''}`;
    },
    jwks: { keys: [signingKey()] },
  });
  if (opts.refreshTokenPrefix) {
    const proto = provider.RefreshToken.prototype as unknown as { generateTokenId(): string };
    const generate = proto.generateTokenId;
    proto.generateTokenId = function prefixed(this: unknown) {
      return `${opts.refreshTokenPrefix}${generate.call(this)}`;
    };
  }
  provider.use(async (ctx: KoaContextWithOIDC, next) => {
    await next();
    // Google answers a refresh without the refresh token: a client that does not merge loses it here.
    if (ctx.path === '/token' && ctx.oidc?.params?.grant_type === 'refresh_token' && ctx.status === 200) {
      seen.refreshes += 1;
      delete (ctx.body as Record<string, unknown>).refresh_token;
    }
  });
  const oidc = provider.callback();
  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', url);
    if (req.method === 'GET' && path.pathname.startsWith('/interaction/')) {
      interaction(provider, req, res, seen).catch((err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`interaction failed: ${err.message}`);
      });
    } else if (path.pathname === '/revoke') {
      // Google's revoke: the token in the query (or form body), no client authentication; 200 {} or 400 invalid_token.
      const token = path.searchParams.get('token') ?? '';
      revokeGrantOf(provider, token).then(
        (ok) => {
          if (ok) seen.revoked.push(token);
          res
            .writeHead(ok ? 200 : 400, { 'content-type': 'application/json' })
            .end(JSON.stringify(ok ? {} : { error: 'invalid_token', error_description: 'Token expired or revoked' }));
        },
        () => res.writeHead(500).end(),
      );
    } else oidc(req, res);
  });
  return {
    url,
    endpoints: { authorize: `${url}/o/oauth2/v2/auth`, token: `${url}/token`, revoke: `${url}/revoke` },
    provider,
    settings,
    seen,
    revokeRefreshToken: (token) => revokeGrantOf(provider, token),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
