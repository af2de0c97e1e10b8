// ServiceTitan's wire protocol, with fetch (ServiceTitan publishes no Node client): an access token from
// `POST {auth}/connect/token` (client credentials, form body), then `GET {api}/<module>/v2/tenant/{tenant}/…`
// with the token in `Authorization` and the app key in `ST-App-Key`.
//
// The access token is kept in the sealed credentials (`token`), not in this process's memory: it lives
// about 15 minutes, web and worker both call ServiceTitan, a restart should not cost a token request, and
// a token kept beside the credentials that made it disappears with them when a person sets new ones (a
// per-process cache would have to be told). It is sealed like the rest (the runner seals what
// saveCredentials hands it) and never logged. One fresh token is tried when ServiceTitan answers 401 with
// a kept one (revoked early, clocks apart); a second 401 is the credentials' fault.
import { z } from 'zod';
import { ConflictError } from '../../errors.ts';
import { ProviderAuthError, ProviderRequestError, type ProviderContext } from './provider.ts';

export interface ServiceTitanCredentials {
  clientId: string;
  clientSecret: string;
  appKey: string;
  /** The access token in use and when it expires (ms since the epoch). */
  token?: { value: string; expiresAt: number };
}
export interface ServiceTitanMetadata {
  tenantId?: string;
}
type Ctx = ProviderContext<ServiceTitanCredentials, ServiceTitanMetadata>;

const NAME = 'ServiceTitan';
/** A kept token is used until a minute before it expires. */
const REFRESH_AHEAD_MS = 60_000;
const TIMEOUT_MS = 30_000;

const TokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.number().positive(), token_type: z.string().optional() });

/** Only an error's code (ECONNREFUSED, …): fetch's message and cause can carry the URL. */
const codeOf = (err: unknown) => {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  return (err as { name?: string }).name === 'TimeoutError' ? 'timed out' : 'no answer';
};

const signalOf = (ctx: Ctx) => (ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS));

async function bodyOf(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The sentence in a ServiceTitan error answer: an OAuth error (`{ error, error_description }`) from the
 * token endpoint, a problem document (`{ title, detail, errors: { field: [message] } }`) from the API.
 */
export function serviceTitanMessage(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.error === 'string') return (typeof b.error_description === 'string' ? `${b.error}: ${b.error_description}` : b.error).slice(0, 300);
    const field = b.errors && typeof b.errors === 'object' ? Object.entries(b.errors as Record<string, unknown>)[0] : undefined;
    const fieldMessage = field && Array.isArray(field[1]) && typeof field[1][0] === 'string' ? `${field[0]}: ${field[1][0]}` : null;
    const said = [b.title, b.detail ?? fieldMessage ?? b.message].filter((s): s is string => typeof s === 'string' && s.length > 0);
    if (said.length) return said.join(' ').slice(0, 300);
  }
  return `HTTP ${status}`;
}

/** A new access token for the client credentials, kept (sealed) before it is used. */
async function freshToken(ctx: Ctx): Promise<string> {
  let res: Response;
  try {
    res = await fetch(new URL('/connect/token', ctx.baseUrls.auth), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: ctx.credentials.clientId, client_secret: ctx.credentials.clientSecret }),
      signal: signalOf(ctx),
    });
  } catch (err) {
    throw new ProviderRequestError(NAME, `its token endpoint could not be reached (${codeOf(err)})`);
  }
  const body = await bodyOf(res);
  if (!res.ok) {
    const code = (body as { error?: unknown } | null)?.error;
    // RFC 6749 §5.2: the client's credentials are wrong or were revoked (the app disconnected from the tenant).
    if (res.status === 401 || code === 'invalid_client' || code === 'unauthorized_client' || code === 'invalid_grant') {
      throw new ProviderAuthError(`ServiceTitan refused the client credentials (${serviceTitanMessage(body, res.status)})`);
    }
    throw new ProviderRequestError(NAME, serviceTitanMessage(body, res.status));
  }
  const parsed = TokenAnswer.safeParse(body);
  if (!parsed.success) throw new ProviderRequestError(NAME, 'its token endpoint answered without an access token');
  const token = { value: parsed.data.access_token, expiresAt: Date.now() + parsed.data.expires_in * 1000 };
  await ctx.saveCredentials({ ...ctx.credentials, token });
  return token.value;
}

const tenantOf = (ctx: Ctx): string => {
  if (!ctx.metadata.tenantId) {
    throw new ConflictError(
      'metadata.tenantId',
      `${ctx.connection.name} has no ServiceTitan tenant id: set metadata.tenantId (digits, from ServiceTitan's API Application Access page).`,
    );
  }
  return ctx.metadata.tenantId;
};

/**
 * GET `{api}/{module}/v2/tenant/{tenant}/{resource}` with the query, answering ServiceTitan's JSON. A 401
 * with a kept token tries one fresh token; a 401 then is a ProviderAuthError (needs_reconnect); any other
 * refusal is ServiceTitan's sentence (ProviderRequestError), never the request, which carries the token.
 */
export async function serviceTitanGet(ctx: Ctx, module: string, resource: string, query: Record<string, string | undefined>): Promise<unknown> {
  const url = new URL(`/${module}/v2/tenant/${encodeURIComponent(tenantOf(ctx))}/${resource}`, ctx.baseUrls.api);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  const kept = ctx.credentials.token;
  const usable = kept && kept.expiresAt - REFRESH_AHEAD_MS > Date.now() ? kept.value : null;
  const call = async (token: string) => {
    try {
      // ServiceTitan's documentation sends the bare token in Authorization (its gateway also takes "Bearer <token>").
      return await fetch(url, { headers: { authorization: token, 'st-app-key': ctx.credentials.appKey, accept: 'application/json' }, signal: signalOf(ctx) });
    } catch (err) {
      throw new ProviderRequestError(NAME, `no answer (${codeOf(err)})`);
    }
  };
  let res = await call(usable ?? (await freshToken(ctx)));
  if (res.status === 401 && usable) res = await call(await freshToken(ctx));
  const body = await bodyOf(res);
  if (res.status === 401) throw new ProviderAuthError(`ServiceTitan refused the access token (401: ${serviceTitanMessage(body, 401)}) even with a new one`);
  if (!res.ok) throw new ProviderRequestError(NAME, serviceTitanMessage(body, res.status));
  return body;
}
