import { describe, expect, it } from '@jest/globals';
import { ENDPOINTS } from './endpoints.ts';
import { openApiDocument } from './openapi.ts';

const doc = openApiDocument(ENDPOINTS, { version: '9.9.9', serverUrl: 'http://localhost:3000/api/v1' }) as {
  openapi: string;
  info: { version: string };
  paths: Record<
    string,
    Record<
      string,
      {
        description?: string;
        security: Record<string, string[]>[];
        parameters: { name: string; in: string; required: boolean }[];
        requestBody?: { required: boolean; content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> };
        responses: Record<string, { description: string; content: Record<string, { schema: unknown }>; headers?: Record<string, unknown> }>;
      }
    >
  >;
};

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every endpoint the router mounts, once', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('9.9.9');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const mounted = ENDPOINTS.map((e) => `${e.method.toUpperCase()} ${e.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual(mounted.sort());
    expect(new Set(mounted).size).toBe(mounted.length);
  });

  it('derives parameters, bodies and responses from the zod schemas the router enforces', () => {
    const create = doc.paths['/organizations']!.post!;
    expect(create.requestBody!.content['application/json']!.schema).toMatchObject({ properties: { name: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['name'] });
    expect(create.responses['201']!.content['application/json']!.schema).toMatchObject({ properties: { id: { format: 'uuid' }, kind: { enum: ['msp', 'customer'] } } });
    expect(create.responses['400']!.content).toHaveProperty(['application/problem+json']);
    const read = doc.paths['/organizations/{id}']!.get!;
    expect(read.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    const list = doc.paths['/organizations']!.get!;
    expect(list.parameters.map((p) => [p.name, p.in, p.required])).toEqual(
      expect.arrayContaining([
        ['limit', 'query', false],
        ['cursor', 'query', false],
      ]),
    );
  });

  it("shows API tokens' scopes and expiry, the scope each operation needs, and what 401 and 403 mean", () => {
    const create = doc.paths['/tokens']!.post!;
    expect(create.requestBody!.content['application/json']!.schema).toMatchObject({
      properties: {
        scopes: { type: 'array', items: { enum: ['read', 'operate', 'approve'] }, minItems: 1, default: ['read'] },
        expiresInDays: { type: 'integer', minimum: 1, maximum: 365, default: 90 },
      },
      required: ['name'],
    });
    const listed = { properties: { scopes: { items: { enum: ['read', 'operate', 'approve'] } }, expiresAt: { type: 'string' }, expired: { type: 'boolean' } } };
    expect(doc.paths['/tokens']!.get!.responses['200']!.content['application/json']!.schema).toMatchObject({ properties: { items: { items: listed } } });
    expect(create.responses['201']!.content['application/json']!.schema).toMatchObject({ properties: { record: listed } });

    const approve = doc.paths['/jobs/{id}/approve']!.post!;
    expect(approve.security).toEqual([{ bearerToken: ['approve'] }, { sessionCookie: [] }]);
    expect(approve.description).toBe('An API token needs the `approve` scope.');
    expect(approve.responses['403']!.description).toContain('lacks the `approve` scope');
    expect(approve.responses['401']!.description).toContain('expired');
    expect(doc.paths['/jobs']!.get!.security).toEqual([{ bearerToken: ['read'] }, { sessionCookie: [] }]);
    expect(doc.paths['/organizations']!.post!.security).toEqual([{ bearerToken: ['operate'] }, { sessionCookie: [] }]);
  });

  it('documents every error status an endpoint can answer, as problem+json: 503 with Retry-After where it calls Temporal', () => {
    for (const e of ENDPOINTS) {
      const op = doc.paths[e.path.replace(/:(\w+)/g, '{$1}')]![e.method]!;
      for (const status of ['400', '401', '403', '404', '409', '413', '415']) {
        expect([e.method, e.path, status, Object.keys(op.responses[status]?.content ?? {})]).toEqual([e.method, e.path, status, ['application/problem+json']]);
      }
      expect([e.path, '503', '503' in op.responses]).toEqual([e.path, '503', !!e.callsTemporal]);
      if (e.callsTemporal) expect(op.responses['503']!.headers).toHaveProperty('Retry-After');
    }
    expect(doc.paths['/instances/{id}/logs']!.get!.responses).toHaveProperty('503');
    expect(doc.paths['/agent/enroll']!.post!.responses).toHaveProperty('429');
  });

  it('marks a body required exactly where the endpoint refuses an empty one', () => {
    expect(doc.paths['/organizations']!.post!.requestBody!.required).toBe(true);
    expect(doc.paths['/jobs/{id}/approve']!.post!.requestBody!.required).toBe(true);
    expect(doc.paths['/jobs/{id}/reject']!.post!.requestBody!.required).toBe(false);
    expect(doc.paths['/nodes/{id}']!.patch!.requestBody!.required).toBe(false);
    for (const e of ENDPOINTS.filter((x) => x.body)) {
      const required = doc.paths[e.path.replace(/:(\w+)/g, '{$1}')]![e.method]!.requestBody!.required;
      expect([e.path, required]).toEqual([e.path, !e.body!.safeParse({}).success]);
    }
  });
});
