// The OpenAPI 3.1 document of /api/v1, generated from the endpoints' zod schemas.
import { z } from 'zod';
import { bodyIsRequired, type Endpoint } from './endpoint.ts';

const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  /** A 403 "Blocked by policy" names the policy engine's rule (api/errors.ts, PolicyBlockedError). */
  rule: z.string().optional(),
});

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (js.required ?? []).includes(name),
    schema: s,
  }));
}

// What each error status means here. Every endpoint may answer these (the router parses any JSON body
// before it routes, so even a GET can meet 413 or 415); 429 and 503 are added where they apply.
const ERROR_STATUSES: Record<string, string> = {
  400: 'Bad Request: the body, a path parameter or the query is not valid; `errors` names each field',
  401: 'Unauthorized: no valid credentials',
  403: 'Forbidden: the caller may see the record but may not do this',
  404: 'Not Found: no such record, or one of an organization the caller may not see',
  409: 'Conflict: the record’s state or another record does not allow it (a duplicate name, a job not waiting, a node offline)',
  413: 'Content Too Large: the body is over 1 MB',
  415: 'Unsupported Media Type: a body that is not JSON (send Content-Type: application/json, UTF-8)',
};
const RATE_LIMITED = 'Too Many Requests: too many failed attempts from this address; wait and try again';
const BAD_GATEWAY = 'Bad Gateway: the SaaS provider answered the call with an error; the detail carries its sentence (never a credential)';
const GONE = 'Gone: what the request names existed and has ended (a revoked or expired link); nothing is answered of it';
const UNAVAILABLE = 'Service Unavailable: Temporal, or the node’s agent, did not answer; nothing was changed, try again after Retry-After';

export function openApiDocument(endpoints: Endpoint[], opts: { version: string; serverUrl: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  const problem = (description: string, headers?: Record<string, unknown>) => ({
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: jsonSchema(Problem, 'output') } },
  });
  const retryAfter = { 'Retry-After': { description: 'Seconds to wait before trying again', required: true, schema: { type: 'integer', minimum: 1 } } };
  for (const e of endpoints) {
    const path = e.path.replace(/:(\w+)/g, '{$1}');
    // Per endpoint: 401 and 403 say what its token scope is (api/authz.ts).
    const errors = Object.fromEntries(Object.entries(ERROR_STATUSES).map(([status, description]) => [status, problem(description)]));
    errors[401] = problem('Unauthorized: no credential, or the API token is unknown, revoked or expired (the detail says which when it expired)');
    errors[403] = problem(
      `Forbidden: the person's role may not do this, the API token lacks the \`${e.scope}\` scope, or the token's person must turn on two-factor sign-in first`,
    );
    (paths[path] ??= {})[e.method] = {
      summary: e.summary,
      description: `An API token needs the \`${e.scope}\` scope.`,
      tags: [e.tag],
      operationId: `${e.method}${path
        .replace(/[{}]/g, '')
        .split('/')
        .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
        .join('')}`,
      parameters: [...parametersOf(e.params, 'path'), ...parametersOf(e.query, 'query')],
      ...(e.body ? { requestBody: { required: bodyIsRequired(e), content: { 'application/json': { schema: jsonSchema(e.body, 'input') } } } } : {}),
      responses: {
        [String(e.status)]: { description: 'Success', content: { 'application/json': { schema: jsonSchema(e.response, 'output') } } },
        ...errors,
        ...(e.canBeGone ? { 410: problem(GONE) } : {}),
        ...(e.rateLimited ? { 429: problem(RATE_LIMITED) } : {}),
        ...(e.callsProvider ? { 502: problem(BAD_GATEWAY) } : {}),
        ...(e.callsTemporal ? { 503: problem(UNAVAILABLE, retryAfter) } : {}),
      },
      // For a bearer scheme, OpenAPI 3.1 lets the list name the roles required: here the token's scope.
      security: [{ bearerToken: [e.scope] }, { sessionCookie: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Anthropy Works API',
      version: opts.version,
      description: 'REST API of the Anthropy Works console. Authenticate with a personal API token: `Authorization: Bearer awpat_…`.',
    },
    servers: [{ url: opts.serverUrl }],
    paths,
    components: {
      securitySchemes: {
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A personal API token (awpat_…), created in the console under Account → API tokens. It expires (1–365 days, default 90) and ' +
            'carries scopes: `read` (GET requests), `operate` (requests that start or change things, except decisions on a job), ' +
            '`approve` (approve, reject or cancel a job). Each operation names the scope it needs; without it the answer is 403.',
        },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'aw_session' },
      },
    },
  };
}
