// A REST endpoint, declared once: its path, its zod schemas and its handler. api/router.ts mounts every
// endpoint (authentication, validation, errors as problem+json) and api/openapi.ts documents them from
// the same schemas, so the documentation cannot drift from what is enforced.
import type { z } from 'zod';
import type { ServiceContext } from './authz.ts';

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';

export interface Endpoint {
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
  handler(ctx: ServiceContext, input: { params: unknown; query: unknown; body: unknown }): Promise<unknown>;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

export function defineEndpoint<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined, R extends z.ZodType = z.ZodType>(e: {
  method: HttpMethod; path: string; summary: string; tag: string;
  params?: P; query?: Q; body?: B; response: R; status?: number;
  handler(ctx: ServiceContext, input: { params: Infer<P>; query: Infer<Q>; body: Infer<B> }): Promise<z.input<R>>;
}): Endpoint {
  return { ...e, status: e.status ?? 200, handler: e.handler as Endpoint['handler'] };
}
