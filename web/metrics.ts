// GET /metrics for Prometheus (ADR 0025). Counts of jobs, approvals and nodes are the MSP's business, so the
// endpoint is never world-readable: with METRICS_TOKEN set, a scrape must send it as a bearer token; without
// one, only a caller on this machine that came through no proxy is answered (a reverse proxy on the same
// machine would otherwise make every visitor "local").
import crypto from 'node:crypto';
import express, { type Request } from 'express';
import type { Db } from '../db/client.ts';
import { registerProductMetrics } from '../api/metrics/product.ts';
import { processMetrics } from '../api/metrics/registry.ts';

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

const isLoopbackAddress = (address: string | undefined) => !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));

const sameToken = (sent: string, expected: string) => {
  const a = crypto.createHash('sha256').update(sent).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
};

/** Why `req` may not read the metrics, or undefined when it may. */
export function metricsRefusal(req: Pick<Request, 'headers' | 'socket'>, token: string | undefined): { status: 401 | 403; detail: string } | undefined {
  if (token) {
    const sent = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    return sent && sameToken(sent, token) ? undefined : { status: 401, detail: 'Send the metrics token: Authorization: Bearer $METRICS_TOKEN.' };
  }
  if (isLoopbackAddress(req.socket.remoteAddress) && !PROXY_HEADERS.some((h) => req.headers[h] !== undefined)) return undefined;
  return { status: 403, detail: 'Without METRICS_TOKEN, /metrics answers only callers on this machine (not through a proxy): set METRICS_TOKEN to scrape from elsewhere.' };
}

export function metricsRoute(opts: { db: () => Db; token: string | undefined }): express.Router {
  const { registry } = processMetrics();
  registerProductMetrics(registry, opts.db);
  const router = express.Router();
  router.get('/metrics', async (req, res) => {
    const refused = metricsRefusal(req, opts.token);
    if (refused) {
      res.status(refused.status).type('text/plain').send(`${refused.detail}\n`);
      return;
    }
    res
      .set('Cache-Control', 'no-store')
      .type(registry.contentType)
      .send(await registry.metrics());
  });
  return router;
}
