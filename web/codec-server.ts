// The codec server Temporal Web calls (Temporal's remote codec protocol): POST /codec/decode and
// /codec/encode with `{ payloads: [...] }` and the X-Namespace header. Temporal Web runs on another
// origin and sends the console's session cookie (its codec setting "include credentials"), so this
// router grants CORS, with credentials, to Temporal Web's origin alone (TEMPORAL_UI_URL, infra/config.ts),
// answers its preflight, and refuses a request from any other origin. Who may use it: api/authz.ts.
import express, { type NextFunction, type Request, type Response } from 'express';
import { authenticate } from '../api/auth/authenticate.ts';
import { sessionTokenFromCookieHeader } from '../api/auth/sessions.ts';
import { runCodec } from '../api/codec/service.ts';
import { AppError } from '../api/errors.ts';
import { sendProblem } from '../api/problem.ts';
import { getDb } from '../db/client.ts';
import { createLogger } from '../infra/logger.ts';

const log = createLogger('codec-server');

/** `temporalUiUrl`: Temporal Web's address; `publicUrl`: the console's own (a same-origin call needs no grant). */
export function codecServer(opts: { temporalUiUrl: string; publicUrl: string }) {
  const granted = new URL(opts.temporalUiUrl).origin;
  const own = new URL(opts.publicUrl).origin;
  const router = express.Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin === granted) res.set({ 'Access-Control-Allow-Origin': granted, 'Access-Control-Allow-Credentials': 'true' });
    else if (origin !== undefined && origin !== own) {
      // No grant: the browser keeps the answer from the page, and nothing is decoded for it.
      return sendProblem(res, 403, 'Forbidden', `The codec server answers Temporal Web (${granted}) only, not ${origin.slice(0, 200)}.`);
    }
    if (req.method === 'OPTIONS') {
      res.set({ 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization', 'Access-Control-Max-Age': '600' });
      return res.status(204).end();
    }
    next();
  });
  router.use(express.json({ limit: '8mb' }));
  for (const direction of ['decode', 'encode'] as const) {
    router.post(`/${direction}`, async (req: Request, res: Response, next: NextFunction) => {
      try {
        const db = getDb();
        const actor = await authenticate(db, { authorization: req.get('authorization'), sessionToken: sessionTokenFromCookieHeader(req.get('cookie')) });
        if (!actor) return sendProblem(res, 401, 'Unauthorized', 'Sign in to the console (Temporal Web then sends its session cookie), or send a personal API token.');
        res.json(await runCodec({ db, actor }, direction, req.get('x-namespace'), req.body));
      } catch (err) {
        next(err);
      }
    });
  }
  router.use((req, res) => sendProblem(res, 404, 'Not Found', `No codec endpoint ${req.method} ${req.baseUrl}${req.path}: POST /codec/decode or /codec/encode.`));
  router.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AppError) {
      const errors = Object.entries(err.fieldErrors).map(([field, message]) => ({ field, message }));
      return sendProblem(res, err.status, err.title, err.message, errors.length ? { errors } : {});
    }
    if (err.type === 'entity.parse.failed') return sendProblem(res, 400, 'Bad Request', 'The request body is not valid JSON.');
    if (err.status === 413) return sendProblem(res, 413, 'Content Too Large', 'The request body is larger than 8 MB.');
    log.error({ err, path: req.path }, 'codec request failed');
    sendProblem(res, 500, 'Internal Server Error', 'The request failed; the error was logged.');
  });
  return router;
}
