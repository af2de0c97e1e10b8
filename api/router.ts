// The REST API under /api/v1: for agents, personal API tokens and programmatic use. Every endpoint is
// declared in api/<feature>/endpoints.ts and listed in api/endpoints.ts; this file mounts them all the
// same way: authenticate, validate with the endpoint's zod schemas, call the service, map errors.
import express, { type NextFunction, type Request, type Response } from 'express';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import { getDb } from '../db/client.ts';
import { createLogger } from '../infra/logger.ts';
import { authenticate } from './auth/authenticate.ts';
import { sessionTokenFromCookieHeader } from './auth/sessions.ts';
import type { Endpoint } from './endpoint.ts';
import { ENDPOINTS } from './endpoints.ts';
import { AppError, assertNoNulCharacters, fieldErrorsOf, InvalidInputError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { sendProblem } from './problem.ts';

const log = createLogger('api');

function parsePart(schema: z.ZodType | undefined, value: unknown, where: string) {
  if (!schema) return undefined;
  assertNoNulCharacters(value, where === 'body' ? '' : where);
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const fields = fieldErrorsOf(result.error);
  throw new InvalidInputError(Object.fromEntries(Object.entries(fields).map(([f, m]) => [where === 'body' ? f : `${where}.${f}`, m])));
}

function mount(router: express.Router, e: Endpoint) {
  router[e.method](e.path, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const db = getDb();
      const actor = await authenticate(db, { authorization: req.get('authorization'), sessionToken: sessionTokenFromCookieHeader(req.get('cookie')) });
      if (!actor) return sendProblem(res, 401, 'Unauthorized', 'Send a personal API token (Authorization: Bearer awpat_…), or sign in to the console.');
      const input = {
        params: parsePart(e.params, req.params, 'path'),
        query: parsePart(e.query, req.query, 'query'),
        body: parsePart(e.body, req.body, 'body'),
      };
      res.status(e.status).json(await e.handler({ db, actor }, input));
    } catch (err) {
      next(err);
    }
  });
}

export function apiRouter(opts: { version: string; publicUrl: string }) {
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

  // Liveness plus a cheap database round trip, for load balancers and the start script.
  router.get('/health', async (_req, res) => {
    try {
      await getDb().execute(sql`select 1`);
      res.json({ status: 'ok', version: opts.version });
    } catch {
      sendProblem(res, 503, 'Service Unavailable', 'The database is not reachable.');
    }
  });
  const document = openApiDocument(ENDPOINTS, { version: opts.version, serverUrl: `${opts.publicUrl}/api/v1` });
  router.get('/openapi.json', (_req, res) => { res.json(document); });

  for (const e of ENDPOINTS) mount(router, e);

  router.use((req, res) => sendProblem(res, 404, 'Not Found', `No API endpoint ${req.method} ${req.baseUrl}${req.path}.`));
  router.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AppError) {
      const errors = Object.entries(err.fieldErrors).map(([field, message]) => ({ field, message }));
      return sendProblem(res, err.status, err.title, err.message, errors.length ? { errors } : {});
    }
    if (err.type === 'entity.parse.failed') return sendProblem(res, 400, 'Bad Request', 'The request body is not valid JSON.', { errors: [{ field: '(body)', message: 'not valid JSON' }] });
    if (err.status === 413) return sendProblem(res, 413, 'Content Too Large', 'The request body is larger than 1 MB.');
    log.error({ err, method: req.method, path: req.path }, 'API request failed');
    sendProblem(res, 500, 'Internal Server Error', 'The request failed; the error was logged.');
  });
  return router;
}

export { ENDPOINTS };
