// A real OAuth 2.0 authorization server on loopback, built on oidc-provider, that each provider's stand-in
// dresses as its own (google-oauth-server.ts, intuit-oauth-server.ts): oidc-provider enforces PKCE (S256
// only), the registered redirect URI, client authentication, single-use codes and, where the provider
// rotates them, single-use refresh tokens. Its consent page signs in one test account and consents at
// once, so Jest (over HTTP) and Playwright (in Chromium) go through the same redirects. What differs per
// provider (paths, client authentication, rotation, the revoke endpoint, extra checks and answers) comes in.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';

export interface AuthorizationServerOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Put before every refresh token issued (the canary test looks for it everywhere). */
  refreshTokenPrefix?: string;
}

/** What makes the server one provider's. */
export interface ProviderDress {
  account: string;
  /** The scope asked for, and the audience of the access tokens: the provider's API. */
  api: { scope: string; resource: string };
  paths: { authorization: string; token: string; revoke: string };
  /** How the client authenticates, and whether each refresh hands a new refresh token, the old one spent. */
  token: { clientAuth: 'client_secret_post' | 'client_secret_basic'; rotateRefreshToken: boolean };
  extraParams?: string[];
  /** Refuses what the provider would refuse at its consent page (a sentence), or null. */
  checkConsent?(params: Record<string, string | undefined>): string | null;
  /** Changes an answer on its way out (the token endpoint's, the redirect back). */
  answer?(ctx: KoaContextWithOIDC): void;
  /** The provider's revoke endpoint (its own wire format: oidc-provider's differs). */
  revoke(server: AuthorizationServer, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void>;
}

export interface AuthorizationServer {
  url: string;
  /** Where the product's configuration points: <PROVIDER>_OAUTH_AUTH_URL, _TOKEN_URL, _REVOKE_URL. */
  endpoints: { authorize: string; token: string; revoke: string };
  provider: Provider;
  /** Seconds an access token lives (short in tests that need one to expire); how long the token endpoint takes to answer (calls meet there). */
  settings: { accessTokenTtl: number; tokenDelayMs: number };
  /** What happened, for the tests to check. */
  seen: { refreshes: number; revoked: string[]; consents: number };
  /** Revokes a refresh token's grant as if the person removed the app's access at the provider; false when unknown. */
  revokeRefreshToken(token: string): Promise<boolean>;
  close(): Promise<void>;
}

async function revokeGrantOf(provider: Provider, token: string): Promise<boolean> {
  const found = (await provider.RefreshToken.find(token)) ?? (await provider.AccessToken.find(token));
  if (!found?.grantId) return false;
  await Promise.all([provider.RefreshToken.revokeByGrantId(found.grantId), provider.AccessToken.revokeByGrantId(found.grantId)]);
  return true;
}

/** GET /interaction/:uid: signs the test account in, then consents to what was asked. */
async function interaction(provider: Provider, dress: ProviderDress, req: http.IncomingMessage, res: http.ServerResponse, seen: AuthorizationServer['seen']) {
  const details = await provider.interactionDetails(req, res);
  const params = details.params as Record<string, string | undefined>;
  const refused = dress.checkConsent?.(params);
  if (refused) return provider.interactionFinished(req, res, { error: 'invalid_request', error_description: refused }, { mergeWithLastSubmission: false });
  if (details.prompt.name === 'login') return provider.interactionFinished(req, res, { login: { accountId: dress.account } }, { mergeWithLastSubmission: false });
  // Consents to what is missing, as the person clicking "Allow" would (oidc-provider's own example).
  const grant = new provider.Grant({ accountId: dress.account, clientId: params.client_id! });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  seen.consents += 1;
  return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

/** A signing key of its own (nothing here signs an ID token, but oidc-provider wants one, and warns about its default). */
const signingKey = () => ({ ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'stand-in', alg: 'RS256', use: 'sig' });

export async function startAuthorizationServer(opts: AuthorizationServerOptions, dress: ProviderDress): Promise<AuthorizationServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const settings = { accessTokenTtl: 3600, tokenDelayMs: 0 };
  const seen = { refreshes: 0, revoked: [] as string[], consents: 0 };
  const provider = new Provider(url, {
    clients: [
      {
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: dress.token.clientAuth,
      },
    ],
    routes: { authorization: dress.paths.authorization, token: dress.paths.token },
    scopes: [dress.api.scope],
    extraParams: dress.extraParams ?? [],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => dress.api.resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== dress.api.resource) throw new errors.InvalidTarget();
          return { scope: dress.api.scope, accessTokenFormat: 'opaque', accessTokenTTL: settings.accessTokenTtl };
        },
      },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => dress.token.rotateRefreshToken,
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, email: sub }) }),
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    cookies: { keys: ['stand-in-cookie-key-not-a-secret'] },
    // Set, so oidc-provider does not print its notices about defaults.
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
    if (ctx.path === dress.paths.token && settings.tokenDelayMs) await new Promise((resolve) => setTimeout(resolve, settings.tokenDelayMs));
    await next();
    if (ctx.path === dress.paths.token && ctx.oidc?.params?.grant_type === 'refresh_token' && ctx.status === 200) seen.refreshes += 1;
    dress.answer?.(ctx);
  });
  const state: AuthorizationServer = {
    url,
    endpoints: { authorize: `${url}${dress.paths.authorization}`, token: `${url}${dress.paths.token}`, revoke: `${url}${dress.paths.revoke}` },
    provider,
    settings,
    seen,
    revokeRefreshToken: (token) => revokeGrantOf(provider, token),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const oidc = provider.callback();
  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', url);
    if (req.method === 'GET' && path.pathname.startsWith('/interaction/')) {
      interaction(provider, dress, req, res, seen).catch((err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`interaction failed: ${err.message}`);
      });
    } else if (path.pathname === dress.paths.revoke) {
      dress.revoke(state, req, res, path).catch(() => res.writeHead(500).end());
    } else oidc(req, res);
  });
  return state;
}

/** The product's environment for a provider's authorization server: <PREFIX>_OAUTH_CLIENT_ID, _SECRET, _AUTH_URL, _TOKEN_URL, _REVOKE_URL. */
export const oauthEnv = (prefix: string, client: { clientId: string; clientSecret: string }, endpoints: AuthorizationServer['endpoints']): Record<string, string> => ({
  [`${prefix}_OAUTH_CLIENT_ID`]: client.clientId,
  [`${prefix}_OAUTH_CLIENT_SECRET`]: client.clientSecret,
  [`${prefix}_OAUTH_AUTH_URL`]: endpoints.authorize,
  [`${prefix}_OAUTH_TOKEN_URL`]: endpoints.token,
  [`${prefix}_OAUTH_REVOKE_URL`]: endpoints.revoke,
});

/** Closes stand-ins in order (the API before the authorization server it asks). */
export async function closeAll(...parts: { close(): Promise<void> }[]): Promise<void> {
  for (const part of parts) await part.close();
}
