// A connection's consent flow (OAuth 2.0 authorization code with PKCE, S256 always; ADR 0013). Starting it
// makes a `state` bound to the person and the connection (kept hashed, single use, for minutes) and a
// PKCE verifier (kept sealed); the provider sends the person back to the console's callback, which checks
// the state belongs to that same person, exchanges the code with the verifier, seals the tokens, keeps what
// the provider appended as metadata (Intuit's realmId) and marks the connection connected. A state that is
// unknown, used, expired or someone else's redeems nothing.
import crypto from 'node:crypto';
import { and, eq, isNull, lt } from 'drizzle-orm';
import { z } from 'zod';
import { connectionOauthStates, connections } from '../../db/schema.ts';
import { configuredKek } from '../../infra/secrets/kek.ts';
import { openSecret, sealSecret } from '../../infra/secrets/sealed.ts';
import { auditTarget, recordActorEvent, recordDenied, recordSuccess } from '../audit/record.ts';
import type { ServiceContext } from '../authz.ts';
import { ConflictError, ForbiddenError, parseInput } from '../errors.ts';
import { hashToken } from '../auth/token-hash.ts';
import type { ConnectionOutput } from './model.ts';
import { configuredOAuthClient, oauthRedirectUri, requireOAuthClient } from './provider-config.ts';
import { ProviderAuthError } from './providers/provider.ts';
import { providerOf } from './providers/registry.ts';
import { providerBaseUrls, sealCredentials, type RunnerOptions } from './runner.ts';
import { findConnection, hintOf, reload } from './service.ts';
import { setConnectionStatus, type ConnectionRow } from './status.ts';

/** Long enough to sign in at the provider and consent; short enough that a leaked link is soon useless. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

const random = () => crypto.randomBytes(32).toString('base64url');
/** The verifier is sealed like a credential, bound to its connection. */
const verifierBinding = (c: Pick<ConnectionRow, 'id' | 'organizationId'>) => ({ organizationId: c.organizationId, record: `oauth-verifier:${c.id}` });

export const OAuthStartOutput = z.object({
  authorizationUrl: z.string().url().describe('Send the person here: the provider’s consent page'),
  redirectUri: z.string().url().describe('Where the provider sends them back: register it with the OAuth client'),
  expiresAt: z.string().describe('The consent must finish before this time'),
});
export type OAuthStartOutput = z.infer<typeof OAuthStartOutput>;

/** Whether the provider connects through a consent flow, and where it sends people back (for the connection page). */
export const consentFlowOf = (providerId: string) =>
  providerOf(providerId).oauth ? { redirectUri: oauthRedirectUri(), configured: configuredOAuthClient(providerId) !== null } : null;

export async function startConnectionOAuth(ctx: ServiceContext, id: string, opts: RunnerOptions = {}): Promise<OAuthStartOutput> {
  const { c } = await findConnection(ctx, id, 'connection.manage');
  const provider = providerOf(c.provider);
  if (!provider.oauth) throw new ConflictError('provider', `${provider.name} does not connect through a consent flow: set its credentials instead.`);
  if (c.mode !== 'live') throw new ConflictError('mode', `${c.name} is in demo mode: it answers with sample data and connects to nothing.`);
  if (c.status === 'disabled') throw new ConflictError('status', `${c.name} is disabled: enable it first.`);
  const client = requireOAuthClient(provider.id, provider.name);
  const state = random();
  const verifier = random();
  const redirectUri = oauthRedirectUri();
  const expiresAt = new Date(Date.now() + OAUTH_STATE_TTL_MS);
  // Flows nobody finished are of no use once expired.
  await ctx.db.delete(connectionOauthStates).where(lt(connectionOauthStates.expiresAt, new Date()));
  await ctx.db.insert(connectionOauthStates).values({
    stateHash: hashToken(state),
    connectionId: c.id,
    userId: ctx.actor.userId,
    verifierSealed: await sealSecret(ctx.db, opts.kek ?? configuredKek(), verifierBinding(c), verifier),
    redirectUri,
    expiresAt,
  });
  await recordSuccess(ctx.db, ctx.actor, 'connection.oauth.start', auditTarget('connection', c), { provider: c.provider, name: c.name });
  const codeChallenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const authorizationUrl = provider.oauth.authorizationUrl({ baseUrls: providerBaseUrls(provider, opts), client, redirectUri, state, codeChallenge });
  return { authorizationUrl, redirectUri, expiresAt: expiresAt.toISOString() };
}

export const OAuthCallbackQuery = z.object({
  state: z.string('state is missing: start again with Connect').min(1, 'state is missing: start again with Connect').max(200),
  code: z.string().max(4096).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(500).optional(),
});

/** Said when a state redeems nothing: which one it was is not told apart for a stranger. */
const STALE = 'This consent link is unknown or was already used: start again with Connect.';

/** The provider sent the person back: checks the state, exchanges the code, seals the tokens. */
export async function completeConnectionOAuth(ctx: ServiceContext, query: unknown, opts: RunnerOptions = {}): Promise<ConnectionOutput> {
  const q = parseInput(OAuthCallbackQuery, query ?? {});
  const [flow] = await ctx.db
    .select()
    .from(connectionOauthStates)
    .where(eq(connectionOauthStates.stateHash, hashToken(q.state)));
  if (!flow || flow.usedAt) throw new ConflictError('state', STALE);
  // Used up now, whatever follows: a state that reached someone else, or failed, is not tried twice.
  const [claimed] = await ctx.db
    .update(connectionOauthStates)
    .set({ usedAt: new Date() })
    .where(and(eq(connectionOauthStates.id, flow.id), isNull(connectionOauthStates.usedAt)))
    .returning();
  if (!claimed) throw new ConflictError('state', STALE);
  const { c } = await findConnection(ctx, flow.connectionId, 'connection.manage');
  const target = auditTarget('connection', c);
  const refuse = async (field: string, reason: string): Promise<never> => {
    await recordActorEvent(ctx.db, ctx.actor, 'connection.oauth.connect', target, { outcome: 'failure', reason, details: { provider: c.provider, name: c.name } });
    throw new ConflictError(field, reason);
  };
  if (flow.userId !== ctx.actor.userId) {
    const reason = 'This consent was started by someone else: start your own with Connect.';
    await recordDenied(ctx.db, ctx.actor, 'connection.oauth.connect', target, reason, { provider: c.provider, name: c.name });
    throw new ForbiddenError(reason);
  }
  if (flow.expiresAt < new Date()) return refuse('state', `This consent took longer than ${OAUTH_STATE_TTL_MS / 60_000} minutes: start again with Connect.`);
  const provider = providerOf(c.provider);
  if (q.error) return refuse('oauth', `${provider.name} did not grant access (${q.error}${q.error_description ? `: ${q.error_description}` : ''}).`);
  if (!q.code) return refuse('code', `${provider.name} sent no authorization code back: start again with Connect.`);
  if (!provider.oauth) return refuse('provider', `${provider.name} does not connect through a consent flow.`);
  const kek = opts.kek ?? configuredKek();
  let credentials: Record<string, unknown>;
  let metadata = c.metadata;
  try {
    // What the provider said besides the code (Intuit: the company), read before the code is spent.
    const said = provider.oauth.metadataFrom?.((query ?? {}) as Record<string, unknown>);
    if (said) {
      const parsed = provider.metadataSchema.safeParse({ ...c.metadata, ...said });
      if (!parsed.success) return refuse('oauth', `${provider.name} sent back ${parsed.error.issues[0]!.message}.`);
      metadata = parsed.data as Record<string, unknown>;
    }
    credentials = (await provider.oauth.exchange({
      baseUrls: providerBaseUrls(provider, opts),
      client: requireOAuthClient(provider.id, provider.name),
      redirectUri: flow.redirectUri,
      code: q.code,
      codeVerifier: await openSecret(ctx.db, kek, verifierBinding(c), flow.verifierSealed),
    })) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ProviderAuthError) return refuse('oauth', `${err.message}.`);
    throw err;
  }
  const [row] = await ctx.db
    .update(connections)
    .set({ credentialsSealed: await sealCredentials(ctx.db, c, credentials, kek), credentialsHint: hintOf(provider, credentials), metadata, updatedAt: new Date() })
    .where(eq(connections.id, c.id))
    .returning();
  await setConnectionStatus(ctx.db, row!, 'connected', `Connected through ${provider.name}'s consent by ${ctx.actor.email}.`);
  await recordSuccess(ctx.db, ctx.actor, 'connection.oauth.connect', target, {
    provider: c.provider,
    name: c.name,
    fields: Object.keys(credentials).sort(),
    ...(metadata !== c.metadata ? { metadata } : {}),
  });
  return reload(ctx, c.id);
}
