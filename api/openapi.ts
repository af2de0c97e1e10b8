// The OpenAPI 3.1 document of /api/v1, generated from the endpoints' zod schemas.
import { z } from 'zod';
import type { Endpoint } from './endpoint.ts';

const Problem = z.object({
  type: z.string(), title: z.string(), status: z.number().int(), detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query') {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name, in: location, required: location === 'path' || (js.required ?? []).includes(name), schema: s,
  }));
}

export function openApiDocument(endpoints: Endpoint[], opts: { version: string; serverUrl: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of endpoints) {
    const path = e.path.replace(/:(\w+)/g, '{$1}');
    const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: jsonSchema(Problem, 'output') } } });
    (paths[path] ??= {})[e.method] = {
      summary: e.summary,
      description: `An API token needs the \`${e.scope}\` scope.`,
      tags: [e.tag],
      operationId: `${e.method}${path.replace(/[{}]/g, '').split('/').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}`,
      parameters: [...parametersOf(e.params, 'path'), ...parametersOf(e.query, 'query')],
      ...(e.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(e.body, 'input') } } } } : {}),
      responses: {
        [String(e.status)]: { description: 'Success', content: { 'application/json': { schema: jsonSchema(e.response, 'output') } } },
        400: problem('The input is not valid: `errors` names each field'),
        401: problem('No credential, or the API token is unknown, revoked or expired (the detail says which when it expired)'),
        403: problem(`Not allowed: the person's role may not do this, the API token lacks the \`${e.scope}\` scope, or the token's person must turn on two-factor sign-in first`),
        404: problem('No such record, or one of an organization the caller may not see'),
        409: problem('The request conflicts with the record\'s state (a duplicate name, a job no longer waiting, …)'),
      },
      // For a bearer scheme, OpenAPI 3.1 lets the list name the roles required: here the token's scope.
      security: [{ bearerToken: [e.scope] }, { sessionCookie: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Anthropy Works API', version: opts.version, description: 'REST API of the Anthropy Works console. Authenticate with a personal API token: `Authorization: Bearer awpat_…`.' },
    servers: [{ url: opts.serverUrl }],
    paths,
    components: {
      securitySchemes: {
        bearerToken: {
          type: 'http', scheme: 'bearer',
          description: 'A personal API token (awpat_…), created in the console under Account → API tokens. It expires (1–365 days, default 90) and '
            + 'carries scopes: `read` (GET requests), `operate` (requests that start or change things, except decisions on a job), '
            + '`approve` (approve, reject or cancel a job). Each operation names the scope it needs; without it the answer is 403.',
        },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'aw_session' },
      },
    },
  };
}
