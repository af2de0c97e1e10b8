// The REST API under /api/v1: for agents, personal API tokens and programmatic use. Every endpoint is
// declared in api/<feature>/endpoints.ts and listed in api/endpoints.ts; this file mounts them all the
// same way: authenticate, validate with the endpoint's zod schemas, call the service, map errors.
import express, { type NextFunction, type Request, type Response } from 'express';
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import { getDb } from '../db/client.ts';
import { createLogger } from '../infra/logger.ts';
import { AGENT_NODE_HEADER, AGENT_SIGNATURE_HEADER, AGENT_TIMESTAMP_HEADER, MAX_CLOCK_DIFFERENCE_S } from '../protocol/request-signing.ts';
import { authenticateAgent } from './agents/service.ts';
import { authenticate } from './auth/authenticate.ts';
import { authorizeScope } from './authz.ts';
import { sessionTokenFromCookieHeader } from './auth/sessions.ts';
import { bodyIsRequired, type Endpoint } from './endpoint.ts';
import { ENDPOINTS } from './endpoints.ts';
import { AppError, assertStorableInput, fieldErrorsOf, InvalidInputError, UnavailableError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { sendProblem } from './problem.ts';

const log = createLogger('api');

function parsePart(schema: z.ZodType | undefined, value: unknown, where: string) {
  if (!schema) return undefined;
  assertStorableInput(value, where === 'body' ? '' : where);
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const fields = fieldErrorsOf(result.error);
  throw new InvalidInputError(Object.fromEntries(Object.entries(fields).map(([f, m]) => [where === 'body' ? f : `${where}.${f}`, m])));
}

/** The raw request body, kept by express.json's `verify` for agent signature checks. */
type WithRawBody = Request & { rawBody?: Buffer };

const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

const ACTOR_REQUIRED = 'Send a personal API token (Authorization: Bearer awpat_…), or sign in to the console.';
const NOT_JSON = 'Send the body as JSON (Content-Type: application/json, UTF-8).';

const sentBody = (req: Request) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** The body as the endpoint takes it: JSON, present when the endpoint needs one (bodyIsRequired). */
function bodyOf(req: Request, e: Endpoint, required: boolean): unknown {
  if (!e.body) return undefined;
  if (sentBody(req) && !req.is('application/json')) throw new AppError(415, 'Unsupported Media Type', NOT_JSON);
  if (required && !(req as WithRawBody).rawBody?.length) throw new InvalidInputError({ '(body)': 'a JSON body is required' });
  return req.body;
}

function mount(router: express.Router, e: Endpoint) {
  const required = bodyIsRequired(e);
  router[e.method](e.path, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const db = getDb();
      // Who is calling comes first: an unauthenticated request learns nothing from validation errors.
      let call: (input: { params: unknown; query: unknown; body: unknown }) => Promise<unknown>;
      if (e.auth === 'none') {
        call = (input) => e.handler({ db, client: { ip: clientAddress(req) } }, input);
      } else if (e.auth === 'agent') {
        const verdict = await authenticateAgent(db, { headers: req.headers, method: req.method, path: req.originalUrl, body: (req as WithRawBody).rawBody });
        if (!verdict.ok) {
          log.warn({ refusal: verdict.refusal, node: req.get(AGENT_NODE_HEADER)?.slice(0, 64), method: req.method, path: req.path }, 'agent request refused');
          return verdict.refusal === 'revoked_node'
            ? sendProblem(res, 403, 'Forbidden', verdict.reason)
            : sendProblem(res, 401, 'Unauthorized', `This endpoint takes requests signed by an enrolled agent's key: ${verdict.reason}`);
        }
        const agent = { nodeId: verdict.nodeId };
        // The request log (web/server.ts) names the node whose signature was checked: one grep follows a node.
        res.locals.nodeId = verdict.nodeId;
        call = (input) => e.handler({ db, agent }, input);
      } else {
        const actor = await authenticate(db, { authorization: req.get('authorization'), sessionToken: sessionTokenFromCookieHeader(req.get('cookie')) });
        if (!actor) return sendProblem(res, 401, 'Unauthorized', ACTOR_REQUIRED);
        await authorizeScope({ db, actor }, e.scope, `${e.method.toUpperCase()} ${e.path}`);
        call = (input) => e.handler({ db, actor }, input);
      }
      const input = {
        params: parsePart(e.params, req.params, 'path'),
        query: parsePart(e.query, req.query, 'query'),
        body: parsePart(e.body, bodyOf(req, e, required), 'body'),
      };
      res.status(e.status).json(await call(input));
    } catch (err) {
      next(err);
    }
  });
}

/** OpenAPI security of each kind of caller (api/endpoint.ts): none, an agent's signature, or a person. */
export function documentAuthentication<D extends ReturnType<typeof openApiDocument>>(document: D, endpoints: Endpoint[]): D {
  const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
  for (const e of endpoints) {
    const operation = paths[e.path.replace(/:(\w+)/g, '{$1}')]?.[e.method];
    if (!operation) continue;
    if (e.auth === 'actor') continue;
    // API token scopes concern people only.
    delete operation.description;
    const responses = operation.responses as Record<string, Record<string, unknown>>;
    if (e.auth === 'none') {
      operation.security = [];
      delete responses['401'];
      delete responses['403'];
      // 429 only where the endpoint limits attempts (rateLimited: enrollment), as openapi.ts documents it.
    } else {
      operation.security = [{ agentSignature: [] }];
      responses['401'] = { ...responses['401'], description: "The request is not signed by an enrolled agent's key (the detail says why)" };
      responses['403'] = { ...responses['403'], description: "The agent's node is revoked" };
    }
  }
  (document.components.securitySchemes as Record<string, unknown>).agentSignature = {
    type: 'apiKey',
    in: 'header',
    name: AGENT_SIGNATURE_HEADER,
    description:
      `An enrolled agent's signature (protocol/request-signing.ts): Ed25519 by the agent's own key, base64, over ` +
      `"v1\\n<METHOD>\\n<path with query>\\n<timestamp>\\n<sha256 hex of the body>", sent with ${AGENT_NODE_HEADER} (the node id) and ` +
      `${AGENT_TIMESTAMP_HEADER} (Unix seconds, within ±${MAX_CLOCK_DIFFERENCE_S} s of the server's clock). A revoked node is refused with 403.`,
  };
  return document;
}

export function apiRouter(opts: { version: string; publicUrl: string }) {
  const router = express.Router();
  // The raw bytes are kept for agent-signed requests, whose signature covers the body as sent.
  router.use(
    express.json({
      limit: '1mb',
      verify: (req, _res, buf) => {
        (req as WithRawBody).rawBody = Buffer.from(buf);
      },
    }),
  );

  // Liveness plus a cheap database round trip, for load balancers and the start script.
  router.get('/health', async (_req, res) => {
    try {
      await getDb().execute(sql`select 1`);
      res.json({ status: 'ok', version: opts.version });
    } catch {
      sendProblem(res, 503, 'Service Unavailable', 'The database is not reachable.');
    }
  });
  const document = documentAuthentication(openApiDocument(ENDPOINTS, { version: opts.version, serverUrl: `${opts.publicUrl}/api/v1` }), ENDPOINTS);
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  for (const e of ENDPOINTS) mount(router, e);

  router.use((req, res) => sendProblem(res, 404, 'Not Found', `No API endpoint ${req.method} ${req.baseUrl}${req.path}.`));
  router.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AppError) {
      const errors = Object.entries(err.fieldErrors).map(([field, message]) => ({ field, message }));
      if (err instanceof UnavailableError) res.set('Retry-After', String(err.retryAfterSeconds));
      return sendProblem(res, err.status, err.title, err.message, { ...err.extra, ...(errors.length ? { errors } : {}) });
    }
    // What Express and its JSON parser refuse before an endpoint runs: the client's mistake, never a 500.
    if (err.type === 'entity.parse.failed')
      return sendProblem(res, 400, 'Bad Request', 'The request body is not valid JSON.', { errors: [{ field: '(body)', message: 'not valid JSON' }] });
    if (err.status === 413) return sendProblem(res, 413, 'Content Too Large', 'The request body is larger than 1 MB.');
    if (err.type === 'charset.unsupported' || err.type === 'encoding.unsupported') return sendProblem(res, 415, 'Unsupported Media Type', `${err.message}. ${NOT_JSON}`);
    if (err.status && err.status >= 400 && err.status < 500) return sendProblem(res, 400, 'Bad Request', `The request could not be read (${err.message}).`);
    log.error({ err, method: req.method, path: req.path }, 'API request failed');
    sendProblem(res, 500, 'Internal Server Error', 'The request failed; the error was logged.');
  });
  return router;
}

export { ENDPOINTS };
