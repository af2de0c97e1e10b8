// Google's OAuth 2.0, through google-auth-library's OAuth2Client pointed at the configured endpoints: the
// consent URL (PKCE S256, offline access, consent every time so Google hands a refresh token again), the
// code exchange, a client for live calls that refreshes an expired access token by itself and keeps what
// Google hands back (merged: Google omits the refresh token on refresh), and the revoke hook.
import { CodeChallengeMethod, OAuth2Client, type Credentials } from 'google-auth-library';
import { ConflictError } from '../../errors.ts';
import { ProviderAuthError, ProviderRequestError, type OAuthFlow, type OAuthFlowParams, type ProviderContext } from './provider.ts';

/** The narrowest scope that lists files: metadata only, read only. */
export const DRIVE_SCOPE = 'https://www.googleapis.com/auth/drive.metadata.readonly';

export interface OAuthTokens {
  refreshToken: string;
  accessToken?: string;
  expiresAt?: number;
}

/** Refresh a minute before the access token expires, not Google's library default of five. */
const EAGER_REFRESH_MS = 60_000;

const clientFor = ({ baseUrls, client }: Pick<OAuthFlowParams, 'baseUrls' | 'client'>, redirectUri?: string) =>
  new OAuth2Client({
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUri,
    endpoints: { oauth2AuthBaseUrl: baseUrls.authorize!, oauth2TokenUrl: baseUrls.token!, oauth2RevokeUrl: baseUrls.revoke! },
    eagerRefreshThresholdMillis: EAGER_REFRESH_MS,
    // A 401 with a stored expiry (revoked early, clocks apart) still refreshes once before giving up.
    forceRefreshOnFailure: true,
  });

/** What Google's token endpoint said, without the request (which carries the client secret). */
function oauthErrorOf(err: unknown): { code: string; description?: string } | null {
  const data = (err as { response?: { data?: unknown } }).response?.data;
  if (data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string') {
    const { error, error_description } = data as { error: string; error_description?: unknown };
    return { code: error, description: typeof error_description === 'string' ? error_description : undefined };
  }
  return null;
}

/** An error's code only (ECONNREFUSED, …): a client library's message can carry the URL, and a revoke URL carries the token. */
const codeOf = (err: unknown) => String((err as { code?: unknown }).code ?? 'no answer');

/** The message of a Google API error document ({ error: { code, message } }). */
function googleApiMessage(err: unknown): string | null {
  const data = (err as { response?: { data?: { error?: { message?: unknown } } } }).response?.data;
  const message = data?.error?.message;
  return typeof message === 'string' ? message.slice(0, 300) : null;
}

const sentenceOf = (e: { code: string; description?: string }) => (e.description ? `${e.code}: ${e.description}` : e.code);

export const googleOAuthFlow: OAuthFlow<OAuthTokens> = {
  authorizationUrl({ state, codeChallenge, redirectUri, ...rest }) {
    return clientFor(rest, redirectUri).generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: [DRIVE_SCOPE],
      state,
      code_challenge: codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
    });
  },
  async exchange({ code, codeVerifier, redirectUri, ...rest }) {
    let tokens: Credentials;
    try {
      ({ tokens } = await clientFor(rest, redirectUri).getToken({ code, codeVerifier, redirect_uri: redirectUri }));
    } catch (err) {
      const said = oauthErrorOf(err);
      throw new ProviderAuthError(said ? `Google refused the authorization code (${sentenceOf(said)})` : `Google's token endpoint could not be reached (${codeOf(err)})`);
    }
    if (!tokens.refresh_token) throw new ProviderAuthError('Google returned no refresh token (offline access was not granted): connect again');
    return { refreshToken: tokens.refresh_token, accessToken: tokens.access_token ?? undefined, expiresAt: tokens.expiry_date ?? undefined };
  },
};

/** The registered client, or a 409 naming what to configure. */
const registered = (ctx: ProviderContext<OAuthTokens, unknown>) => {
  if (!ctx.oauthClient)
    throw new ConflictError('oauth', "Google Drive's OAuth client is not configured: the MSP sets GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET (README, Connections).");
  return ctx.oauthClient;
};

/**
 * Runs `call` with an authorized OAuth2Client: an expired access token is refreshed on the way and the new
 * tokens saved (sealed by the runner) before this returns; Google refusing the refresh token
 * (invalid_grant) or the call (401) is a ProviderAuthError, which turns the connection needs_reconnect.
 */
export async function withGoogleAuth<T>(ctx: ProviderContext<OAuthTokens, unknown>, call: (auth: OAuth2Client) => Promise<T>): Promise<T> {
  const auth = clientFor({ baseUrls: ctx.baseUrls, client: registered(ctx) });
  let current: OAuthTokens = ctx.credentials;
  auth.setCredentials({ refresh_token: current.refreshToken, access_token: current.accessToken, expiry_date: current.expiresAt });
  const saves: Promise<void>[] = [];
  auth.on('tokens', (t: Credentials) => {
    // Merged, so a refresh answer without a refresh token (Google's usual) never loses the one we have.
    current = { refreshToken: t.refresh_token ?? current.refreshToken, accessToken: t.access_token ?? undefined, expiresAt: t.expiry_date ?? undefined };
    saves.push(ctx.saveCredentials(current));
  });
  try {
    return await call(auth);
  } catch (err) {
    const said = oauthErrorOf(err);
    if (said?.code === 'invalid_grant') throw new ProviderAuthError(`Google refused the refresh token (${sentenceOf(said)}): it was revoked or has expired`);
    const status = (err as { status?: number }).status;
    if (status === 401) throw new ProviderAuthError('Google refused the access token (401) even after a refresh');
    throw new ProviderRequestError('Google Drive', googleApiMessage(err) ?? (status ? `HTTP ${status}` : `no answer (${codeOf(err)})`));
  } finally {
    await Promise.all(saves);
  }
}

/** Revokes the refresh token (and with it the grant) at Google's revoke endpoint. */
export async function revokeGoogle(ctx: ProviderContext<OAuthTokens, unknown>): Promise<void> {
  // Only what Google said is kept, not the library's error: its request URL carries the token.
  const refused = await clientFor({ baseUrls: ctx.baseUrls, client: registered(ctx) })
    .revokeToken(ctx.credentials.refreshToken)
    .then(
      () => null,
      (err: unknown) => {
        const said = oauthErrorOf(err);
        return said ? `Google answered ${sentenceOf(said)}` : `the revoke endpoint could not be reached (${codeOf(err)})`;
      },
    );
  if (refused) throw new Error(refused);
}
