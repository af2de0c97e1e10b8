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
    const problem = { description: 'Problem', content: { 'application/problem+json': { schema: jsonSchema(Problem, 'output') } } };
    (paths[path] ??= {})[e.method] = {
      summary: e.summary,
      tags: [e.tag],
      operationId: `${e.method}${path.replace(/[{}]/g, '').split('/').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}`,
      parameters: [...parametersOf(e.params, 'path'), ...parametersOf(e.query, 'query')],
      ...(e.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(e.body, 'input') } } } } : {}),
      responses: {
        [String(e.status)]: { description: 'Success', content: { 'application/json': { schema: jsonSchema(e.response, 'output') } } },
        400: problem, 401: problem, 403: problem, 404: problem, 409: problem,
      },
      security: [{ bearerToken: [] }, { sessionCookie: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Anthropy Works API', version: opts.version, description: 'REST API of the Anthropy Works console. Authenticate with a personal API token: `Authorization: Bearer awpat_…`.' },
    servers: [{ url: opts.serverUrl }],
    paths,
    components: {
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'A personal API token (awpat_…), created in the console under Account.' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'aw_session' },
      },
    },
  };
}
