// The shape every SaaS provider module has (ADR 0013): how it authenticates, what its credentials and
// its non-secret metadata look like (zod: bad input names the field), its actions with their input and
// output schemas, a cheap authenticated test call, an optional revoke hook, and demo outputs.
//
// Callers never reach a provider directly: api/connections/runner.ts opens the credentials, builds the
// context and calls `test`, `actions[a].run` or `revoke` (live), or answers from `demo` (demo mode). A
// live implementation is added by filling in `run`, `test` and `revoke`; callers do not change. Without
// one, a live call answers "not available yet" (LiveNotAvailableError): nothing pretends.
import type { z } from 'zod';
import type { Progress } from '../../../protocol/step-progress.ts';
import { AppError } from '../../errors.ts';
import type { PROVIDERS } from '../../capabilities/model.ts';

export type ProviderId = (typeof PROVIDERS)[number];

export type ProviderAuth = 'oauth2' | 'client_credentials' | 'api_key';
/** Where a result came from: the real provider, or the built-in demo data. Shown with every result. */
export type ResultSource = 'Live' | 'Demo';

/** What a live call gets: the opened credentials (for this call only), the metadata, where to reach the provider. */
export interface ProviderContext<C, M> {
  connection: { id: string; organizationId: string; name: string };
  credentials: C;
  metadata: M;
  /** The provider's API base URLs by name: production by default; tests point the real client libraries at loopback servers. */
  baseUrls: Readonly<Record<string, string>>;
  /** Keeps credentials the provider handed back (a refreshed token, merged so none is lost); the runner seals them. */
  saveCredentials(next: C): Promise<void>;
  /**
   * Runs `work` alone among every process for this connection, given the credentials as stored now
   * (another call may have refreshed them meanwhile) and a `save` that seals new ones before the lock is
   * let go: for a refresh that spends the refresh token (Intuit rotates it).
   */
  exclusively<T>(work: (stored: C, save: (next: C) => Promise<void>) => Promise<T>): Promise<T>;
  /** The OAuth client the MSP registered with the provider (oauth2 providers; null when not configured). */
  oauthClient: { clientId: string; clientSecret: string } | null;
  signal?: AbortSignal;
  /** How far a long action has come (a listing's pages), when someone watches it: a workflow run's step heartbeats it (ADR 0021). */
  progress?: Progress;
}

/** What a consent flow (authorization code with PKCE) needs of an oauth2 provider. */
export interface OAuthFlow<C> {
  /** The authorization endpoint's URL for this flow: PKCE S256 always, with the state. */
  authorizationUrl(p: OAuthFlowParams & { state: string; codeChallenge: string }): string;
  /** Exchanges the code (with the PKCE verifier) for the credentials to seal. */
  exchange(p: OAuthFlowParams & { code: string; codeVerifier: string }): Promise<C>;
  /**
   * The connection's metadata that the provider appends to the redirect beside `code` (Intuit's
   * `realmId`, the company consented to), checked by the metadata schema; throws ProviderAuthError when it is missing.
   */
  metadataFrom?(callback: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

export interface OAuthFlowParams {
  baseUrls: Readonly<Record<string, string>>;
  client: { clientId: string; clientSecret: string };
  redirectUri: string;
}

export interface ActionDefinition<C, M, I extends z.ZodType, O extends z.ZodType> {
  description: string;
  input: I;
  output: O;
  /** The live call; absent until the provider's client library is wired in. */
  run?(ctx: ProviderContext<C, M> & { input: z.infer<I> }): Promise<z.infer<O>>;
}

/** What a test call found: a sentence for the connection page (never a secret). */
export interface TestFinding {
  message: string;
}

export interface ProviderDefinition<C = unknown, M = unknown> {
  id: ProviderId;
  name: string;
  auth: ProviderAuth;
  credentialSchema: z.ZodType<C>;
  metadataSchema: z.ZodType<M>;
  /** The credential field whose last characters identify it on the page (a long secret only). */
  hintField: string;
  /** Production base URLs by name. */
  baseUrls: Record<string, string>;
  actions: Record<string, ActionDefinition<C, M, z.ZodType, z.ZodType>>;
  /** A cheap authenticated call; throws ProviderAuthError when the provider refuses the credentials. */
  test?(ctx: ProviderContext<C, M>): Promise<TestFinding>;
  /** The consent flow, for an oauth2 provider whose live client is wired in. */
  oauth?: OAuthFlow<C>;
  /** Revokes the credentials at the provider when the connection is deleted. */
  revoke?(ctx: ProviderContext<C, M>): Promise<void>;
  /** Each action's sample output in demo mode: clearly fake, labelled Demo. */
  demo: Record<string, unknown>;
}

/** A provider; checks at definition that every action has a demo output its own schema accepts. */
export function defineProvider<C, M>(p: ProviderDefinition<C, M>): ProviderDefinition<C, M> {
  for (const [action, def] of Object.entries(p.actions)) {
    if (!(action in p.demo)) throw new Error(`provider ${p.id}: action ${action} has no demo output`);
    const parsed = def.output.safeParse(p.demo[action]);
    if (!parsed.success) throw new Error(`provider ${p.id}: the demo output of ${action} does not match its schema: ${parsed.error.message}`);
  }
  for (const action of Object.keys(p.demo)) if (!(action in p.actions)) throw new Error(`provider ${p.id}: demo output for unknown action ${action}`);
  return p;
}

/** A live call to a provider whose live implementation has not arrived: said plainly, never faked. */
export class LiveNotAvailableError extends Error {
  constructor(provider: string, what: string) {
    super(`Live ${what} for ${provider} is not available yet in this release: use demo mode to try it, with clearly fake data.`);
  }
}

/** The provider refused the credentials (revoked, expired, wrong): the connection needs reconnecting. */
export class ProviderAuthError extends Error {}

/**
 * The provider answered a live call with an error (a bad query, its outage): 502 with its sentence.
 * Built from what the provider said only, never from the client library's error, whose request carries
 * tokens and the client secret.
 */
export class ProviderRequestError extends AppError {
  constructor(provider: string, message: string) {
    super(502, 'Provider error', `${provider} answered: ${message}`, { provider: `${provider} answered: ${message}` });
  }
}
