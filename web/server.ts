// The web process: Express 5 serving the REST API (/api/v1) and the React Router console.
import fs from 'node:fs';
import path from 'node:path';
import { createRequestHandler } from '@react-router/express';
import express from 'express';
import type { ServerBuild } from 'react-router';
import { apiRouter } from '../api/router.ts';
import { closeDb, getDb } from '../db/client.ts';
import { loadConfig, REPO_ROOT } from '../infra/config.ts';
import { createLogger } from '../infra/logger.ts';
import { assertConfiguredKekMatches } from '../infra/secrets/startup-check.ts';
import { CLIENT_IP_HEADER } from './app/auth/client-ip.server.ts';
import { codecServer } from './codec-server.ts';
import { csrfProtection } from './csrf.ts';
import { startLiveFeed } from '../api/live/feed.ts';
import { liveEvents } from './live-events.ts';
import { healthRoutes } from './health.ts';
import { metricsRoute } from './metrics.ts';
import { getTemporalClient, temporalNamespace } from '../api/temporal-client.ts';

const log = createLogger('web');
const config = loadConfig();
const buildDir = path.join(REPO_ROOT, 'build');
const serverBuild = path.join(buildDir, 'server', 'index.js');
const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

if (!fs.existsSync(serverBuild)) {
  log.fatal(`The console is not built (${serverBuild} is missing): run \`npm run build\` or \`npm start\`.`);
  process.exit(1);
}

// A SECRETS_KEY that did not wrap the organizations' data keys would fail every connection later: refuse now.
try {
  await assertConfiguredKekMatches(getDb());
} catch (err) {
  log.fatal((err as Error).message);
  process.exit(1);
}

const app = express();
app.disable('x-powered-by');
if (config.TRUST_PROXY) app.set('trust proxy', /^\d+$/.test(config.TRUST_PROXY) ? Number(config.TRUST_PROXY) : config.TRUST_PROXY);
// Probes and scrapes first: no sign-in, no CSRF, and not in the request log (a probe every few seconds is noise).
app.use(healthRoutes({ db: getDb, temporal: getTemporalClient, namespace: temporalNamespace }));
app.use(metricsRoute({ db: getDb, token: config.METRICS_TOKEN }));
app.use((req, res, next) => {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // Ids are in the path (/jobs/<id>); an agent's node, checked by its signature, is added by the API router.
    const nodeId = typeof res.locals.nodeId === 'string' ? { nodeId: res.locals.nodeId } : {};
    log.info({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms), ...nodeId }, 'request');
  });
  res.set({ 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'same-origin' });
  // Route code reads the caller's address from this header; never trust a value the client sent.
  // req.ip is the socket's address unless TRUST_PROXY names the proxies whose X-Forwarded-For counts.
  req.headers[CLIENT_IP_HEADER] = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  next();
});
// Before the CSRF check: Temporal Web calls it from its own origin, which the codec router checks itself.
app.use('/codec', codecServer({ temporalUiUrl: config.temporalUiUrl, publicUrl: config.publicUrl }));
app.use(csrfProtection([config.publicUrl]));
// One LISTEN connection for the whole process; every browser's stream is fed from it (ADR 0018).
const liveFeed = startLiveFeed(getDb().$client);
app.use(liveEvents({ db: getDb, feed: liveFeed }));
app.use('/api/v1', apiRouter({ version, publicUrl: config.publicUrl }));
app.use('/assets', express.static(path.join(buildDir, 'client', 'assets'), { immutable: true, maxAge: '1y' }));
app.use(express.static(path.join(buildDir, 'client'), { maxAge: '1h' }));
app.use(createRequestHandler({ build: (await import(serverBuild)) as ServerBuild, mode: 'production' }));

const server = app.listen(config.PORT, config.HOST === 'localhost' ? '127.0.0.1' : config.HOST, () => {
  log.info({ url: config.publicUrl }, 'web console listening');
});
server.on('error', (err: NodeJS.ErrnoException) => {
  log.fatal(err.code === 'EADDRINUSE' ? `Port ${config.PORT} is already in use: stop what uses it or set PORT.` : `web server failed: ${err.message}`);
  process.exit(1);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'web console stopping');
    server.close(async () => {
      await closeDb();
      process.exit(0);
    });
    server.closeAllConnections();
  });
}
