// The REST API under /api/v1: for agents, personal API tokens and programmatic use.
import express, { type NextFunction, type Request, type Response } from 'express';
import { sql } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { sendProblem } from './problem.ts';

export function apiRouter(opts: { version: string }) {
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

  router.use((req, res) => sendProblem(res, 404, 'Not Found', `No API endpoint ${req.method} ${req.baseUrl}${req.path}.`));
  router.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.parse.failed') return sendProblem(res, 400, 'Bad Request', 'The request body is not valid JSON.');
    if (err.status === 413) return sendProblem(res, 413, 'Content Too Large', 'The request body is larger than 1 MB.');
    sendProblem(res, 500, 'Internal Server Error', 'The request failed; the error was logged.');
  });
  return router;
}
