// Intuit's OAuth 2.0 for QuickBooks Online, in Intuit's wire format: the consent URL (PKCE S256, scope
// com.intuit.quickbooks.accounting), the code exchange, the company (realmId) Intuit appends to the
// redirect, a refresh that keeps the refresh token Intuit rotates, and the revoke hook.
//
// Spoken with fetch, not through intuit-oauth (Intuit's own client, installed), because that client cannot
// be pointed at a base URL cleanly nor do PKCE: its authorize, token and revoke endpoints are static
// properties of the OAuthClient class (setAuthorizeURLs assigns them process-wide, so pointing one call at
// the configured endpoints re-points every client in the process), and neither authorizeUri nor
// createToken sends code_challenge or code_verifier. It also retries a token request three times with
// back-off on 5xx, and its errors keep the request (the Basic header with the client secret).
// intuit-oauth.test.ts holds our endpoints, scope and client authentication to the library's.
import { ConflictError } from '../../errors.ts';
import { ProviderAuthError, ProviderRequestError, type OAuthFlow, type OAuthFlowParams, type ProviderContext } from './provider.ts';

/** Read and query the company's accounting records (Intuit has no narrower read-only scope). */
export const ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';

/** Intuit's production endpoints (the same for sandbox companies). */
export const INTUIT_OAUTH_URLS = {
  authorize: 'https://appcenter.intuit.com/connect/oauth2',
  token: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
  revoke: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
};

export interface IntuitTokens {
  refreshToken: string;
  accessToken?: string;
  expiresAt?: number;
}

type Ctx = ProviderContext<IntuitTokens, unknown>;
type Client = OAuthFlowParams['client'];

/** Refresh a minute before the access token (an hour, at Intuit) expires. */
const EAGER_REFRESH_MS = 60_000;
const PROVIDER = 'QuickBooks Online';

/** HTTP Basic client authentication, as Intuit's token and revoke endpoints take it. */
export const basicAuth = (client: Client) => `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;

/** A failed fetch's code only (ECONNREFUSED, …): never its message, which can carry the URL. */
export const networkCodeOf = (err: unknown) =>
  (err as { name?: unknown }).name === 'TimeoutError'
    ? 'timed out'
    : String((err as { cause?: { code?: unknown } }).cause?.code ?? (err as { code?: unknown }).code ?? 'no answer');

/** How long Intuit's token endpoint may take: a refresh holds its connection's lock meanwhile. */
const TOKEN_TIMEOUT_MS = 30_000;

/** What Intuit's token endpoint said ({ error, error_description }), without the request. */
class TokenRefused extends Error {
  readonly code: string;
  constructor(code: string, description?: string) {
    super(description ? `${code}: ${description}` : code);
    this.code = code;
  }
}

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
}

/** POST to the token endpoint: Basic client authentication, a form body, JSON back. */
async function tokenRequest(baseUrls: Readonly<Record<string, string>>, client: Client, form: Record<string, string>, signal?: AbortSignal): Promise<TokenAnswer> {
  let res: Response;
  try {
    res = await fetch(baseUrls.token!, {
      method: 'POST',
      headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form),
      signal: AbortSignal.any([AbortSignal.timeout(TOKEN_TIMEOUT_MS), ...(signal ? [signal] : [])]),
    });
  } catch (err) {
    throw new ProviderRequestError(PROVIDER, `Intuit's token endpoint could not be reached (${networkCodeOf(err)})`);
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.ok && typeof body.access_token === 'string') return body as TokenAnswer;
  const code = typeof body.error === 'string' ? body.error.slice(0, 100) : `HTTP ${res.status}`;
  throw new TokenRefused(code, typeof body.error_description === 'string' ? body.error_description.slice(0, 300) : undefined);
}

const tokensOf = (answer: TokenAnswer, previous?: IntuitTokens): IntuitTokens => {
  // Merged: an answer without a refresh token never loses the one we have.
  const refreshToken = answer.refresh_token ?? previous?.refreshToken;
  if (!refreshToken) throw new ProviderAuthError('Intuit returned no refresh token: connect again');
  return { refreshToken, accessToken: answer.access_token, expiresAt: Date.now() + (answer.expires_in ?? 3600) * 1000 };
};

export const intuitOAuthFlow: OAuthFlow<IntuitTokens> = {
  authorizationUrl({ baseUrls, client, redirectUri, state, codeChallenge }) {
    const url = new URL(baseUrls.authorize!);
    for (const [k, v] of Object.entries({
      client_id: client.clientId,
      response_type: 'code',
      scope: ACCOUNTING_SCOPE,
      redirect_uri: redirectUri,
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(k, v);
    return url.toString();
  },
  async exchange({ baseUrls, client, redirectUri, code, codeVerifier }) {
    try {
      return tokensOf(await tokenRequest(baseUrls, client, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier }));
    } catch (err) {
      if (err instanceof TokenRefused) throw new ProviderAuthError(`Intuit refused the authorization code (${err.message})`);
      throw err;
    }
  },
  metadataFrom(callback) {
    // Intuit names the company the person chose on its consent page only here.
    if (typeof callback.realmId !== 'string' || !callback.realmId) throw new ProviderAuthError('Intuit sent no company (realmId) back: connect again and choose a company');
    return { realmId: callback.realmId };
  },
};

/** The registered client, or a 409 naming what to configure. */
const registered = (ctx: Ctx) => {
  if (!ctx.oauthClient)
    throw new ConflictError(
      'oauth',
      "QuickBooks Online's OAuth client is not configured: the MSP sets QUICKBOOKS_OAUTH_CLIENT_ID and QUICKBOOKS_OAUTH_CLIENT_SECRET (README, Connections).",
    );
  return ctx.oauthClient;
};

/**
 * The newest tokens of a live call's context: one action makes several requests (pages), and after a
 * refresh the context's credentials hold a spent refresh token.
 */
const newest = new WeakMap<Ctx, IntuitTokens>();

/** An access token that will last beyond the next minute. */
const lasting = (t: IntuitTokens) => Boolean(t.accessToken && t.expiresAt && t.expiresAt - EAGER_REFRESH_MS > Date.now());

/**
 * Trades the refresh token for new tokens and seals them before any call uses them, alone for this
 * connection among every process: Intuit spends a refresh token on use, so two refreshes with the same one
 * would leave one refused. A call that waited finds the tokens another refreshed meanwhile and uses them.
 */
function refreshed(ctx: Ctx, client: Client, current: IntuitTokens): Promise<IntuitTokens> {
  return ctx.exclusively(async (stored, save) => {
    if (stored.refreshToken !== current.refreshToken && lasting(stored)) return stored;
    let next: IntuitTokens;
    try {
      next = tokensOf(await tokenRequest(ctx.baseUrls, client, { grant_type: 'refresh_token', refresh_token: stored.refreshToken }, ctx.signal), stored);
    } catch (err) {
      if (err instanceof TokenRefused && err.code === 'invalid_grant')
        throw new ProviderAuthError(`Intuit refused the refresh token (${err.message}): it was revoked or has expired`);
      if (err instanceof TokenRefused) throw new ProviderRequestError(PROVIDER, `Intuit's token endpoint refused the refresh (${err.message})`);
      throw err;
    }
    // Sealed before the lock goes: the refresh token just used is spent.
    await save(next);
    return next;
  });
}

/** The QuickBooks API refused the access token (401): refresh once and try again. */
export class AccessTokenRefused extends Error {}

/**
 * Runs `call` with a valid access token: one expiring within the minute is refreshed first (and the new
 * tokens saved), and a 401 refreshes once more and retries once. Intuit refusing the refresh token
 * (invalid_grant) or the call again is a ProviderAuthError, which turns the connection needs_reconnect.
 */
export async function withIntuitAuth<T>(ctx: Ctx, call: (accessToken: string) => Promise<T>): Promise<T> {
  const client = registered(ctx);
  let tokens = newest.get(ctx) ?? ctx.credentials;
  const refresh = async () => {
    tokens = await refreshed(ctx, client, tokens);
    newest.set(ctx, tokens);
  };
  if (!lasting(tokens)) await refresh();
  try {
    return await call(tokens.accessToken!);
  } catch (err) {
    if (!(err instanceof AccessTokenRefused)) throw err;
  }
  // Revoked early, or clocks apart: one refresh, one more try.
  await refresh();
  try {
    return await call(tokens.accessToken!);
  } catch (err) {
    if (err instanceof AccessTokenRefused) throw new ProviderAuthError('Intuit refused the access token (401) even after a refresh');
    throw err;
  }
}

/** Revokes the refresh token (and with it the grant) at Intuit: Basic client authentication, a JSON body. */
export async function revokeIntuit(ctx: Ctx): Promise<void> {
  const res = await fetch(ctx.baseUrls.revoke!, {
    method: 'POST',
    headers: { authorization: basicAuth(registered(ctx)), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token: ctx.credentials.refreshToken }),
    signal: ctx.signal,
  }).catch((err: unknown) => {
    throw new Error(`the revoke endpoint could not be reached (${networkCodeOf(err)})`);
  });
  if (res.ok) return void (await res.body?.cancel());
  const body = (await res.json().catch(() => ({}))) as { error?: unknown };
  throw new Error(`Intuit answered ${res.status}${typeof body.error === 'string' ? ` ${body.error.slice(0, 100)}` : ''}`);
}
