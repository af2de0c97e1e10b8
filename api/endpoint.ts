// A REST endpoint, declared once: its path, its zod schemas, who may call it and its handler.
// api/router.ts mounts every endpoint (authentication, validation, errors as problem+json) and
// api/openapi.ts documents them from the same schemas, so the documentation cannot drift from what is
// enforced.
//
// Three kinds of caller (`auth`):
//   'actor'  (default) a person: a console session or a personal API token; the handler gets
//            { db, actor } and authorizes through api/authz.ts.
//   'agent'  a node's agent, by a request signed with its own key (protocol/request-signing.ts),
//            checked against the key registered at enrollment; a revoked node is refused (403). The
//            handler gets { db, agent: { nodeId } }: the node is proven, never taken from the input.
//   'none'   nobody in particular: the endpoint checks what the request presents itself (enrollment
//            checks its one-time token). The handler gets { db, client: { ip } }.
//
// An 'actor' endpoint also needs an API token scope (api/authz.ts): `read` for GET, `operate` otherwise,
// unless it declares `scope: 'approve'` (a decision on a job). A console session is not limited by it.
import type { z } from 'zod';
import type { Db } from '../db/client.ts';
import type { TokenScope } from '../db/schema.ts';
import { endpointScope, type ServiceContext } from './authz.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type EndpointAuth = 'actor' | 'agent' | 'none';

/** The context of an agent-signed request. */
export interface AgentContext {
  db: Db;
  agent: { nodeId: string };
}
/** The context of an unauthenticated request. */
export interface PublicContext {
  db: Db;
  client: { ip: string };
}
export interface ContextByAuth {
  actor: ServiceContext;
  agent: AgentContext;
  none: PublicContext;
}

interface EndpointShape {
  method: HttpMethod;
  /** Express-style path below /api/v1, e.g. `/organizations/:id`. */
  path: string;
  summary: string;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
  status: number;
  /** The scope an API token needs to call it. */
  scope: TokenScope;
  /** It calls Temporal, so it may answer 503 with Retry-After (Temporal, or the node's agent, is not there). */
  callsTemporal?: boolean;
  /** It calls a SaaS provider, so it may answer 502 with the provider's sentence (ProviderRequestError). */
  callsProvider?: boolean;
  /** It limits failed attempts per client address, so it may answer 429. */
  rateLimited?: boolean;
  /** What it serves can end (a revoked or expired share link), so it may answer 410. */
  canBeGone?: boolean;
}

type RawInput = { params: unknown; query: unknown; body: unknown };

/** An endpoint as the router mounts it; `auth` tells which context its handler takes. */
export type Endpoint = {
  [A in EndpointAuth]: EndpointShape & { auth: A; handler(ctx: ContextByAuth[A], input: RawInput): Promise<unknown> };
}[EndpointAuth];

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

export function defineEndpoint<
  A extends EndpointAuth = 'actor',
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType = z.ZodType,
>(e: {
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  /** Who may call it; default 'actor' (a person). */
  auth?: A;
  /** Declared only by decisions on a job; otherwise the method says (GET read, else operate). */
  scope?: 'approve';
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  status?: number;
  callsTemporal?: boolean;
  callsProvider?: boolean;
  rateLimited?: boolean;
  canBeGone?: boolean;
  handler(ctx: ContextByAuth[A], input: { params: Infer<P>; query: Infer<Q>; body: Infer<B> }): Promise<z.input<R>>;
}): Endpoint {
  return { ...e, auth: e.auth ?? 'actor', status: e.status ?? 200, scope: endpointScope(e.method, e.scope), handler: e.handler } as Endpoint;
}

/**
 * Whether the endpoint needs a body: its schema refuses an empty object. One with only optional fields
 * takes a missing body as `{}`, and the OpenAPI document says the body is optional.
 */
export const bodyIsRequired = (e: Pick<EndpointShape, 'body'>): boolean => !!e.body && !e.body.safeParse({}).success;
