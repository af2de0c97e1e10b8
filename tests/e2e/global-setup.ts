// Starts the real product for the browser tests: embedded PostgreSQL, the Temporal dev server with
// Temporal Web, the control-plane worker, the web console and the local agent, in a temporary data
// folder. The local agent's Docker engine keeps its data in the cache (as DOCKER_HOST, which the start
// script prefers), so the OpenClaw image is built once per machine; specs reach it through
// E2E_LOCAL_DOCKER_SOCKET. Google and Intuit are stood in for on loopback (tests/stand-ins/: real OAuth 2.0
// authorization servers, a Drive v3 API and a QuickBooks Online v3 API), and so are ServiceTitan and
// Composio; the web process is pointed at them through its environment.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { startStack } from '../../infra/stack.ts';
import { startTestEngine } from '../jest/docker.ts';
import { startGoogleStandIn } from '../stand-ins/google.ts';
import { startIntuitStandIn } from '../stand-ins/intuit.ts';
import { closeAll } from '../stand-ins/oidc-server.ts';
import { startSaasStandIns } from '../stand-ins/saas.ts';
import { E2E_ADMIN } from './helpers.ts';

export default async function globalSetup() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-e2e-'));
  fs.chmodSync(dataDir, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
  // Short heartbeats, so the browser sees a stopped agent's node turn stale, then offline, within seconds.
  // Set before the config is read: the local agent is told its interval from it (it inherits no environment).
  Object.assign(process.env, { NODE_HEARTBEAT_SECONDS: '2', NODE_STALE_AFTER_MISSED: '2', NODE_OFFLINE_AFTER_MISSED: '4' });
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    PORT: process.env.E2E_PORT ?? '3100',
    EMBEDDED_POSTGRES_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    AGENT_DOOR_PORT: String(await freePort()),
    ADMIN_EMAIL: E2E_ADMIN.email,
    ADMIN_PASSWORD: E2E_ADMIN.password,
    LOG_LEVEL: 'info',
  });
  delete process.env.DATABASE_URL;
  delete process.env.TEMPORAL_ADDRESS;
  const redirectUri = new URL('/connections/oauth/callback', config.publicUrl).toString();
  const google = await startGoogleStandIn({ redirectUri });
  const intuit = await startIntuitStandIn({ redirectUri });
  const saas = await startSaasStandIns();
  Object.assign(process.env, google.env, intuit.env, saas.env);
  const engine = await startTestEngine('e2e-local');
  process.env.DOCKER_HOST = `unix://${engine.socketPath}`;
  process.env.E2E_LOCAL_DOCKER_SOCKET = engine.socketPath;
  const stack = await startStack(config, { echoLogs: false }).catch(async (err: unknown) => {
    await engine.stop();
    await closeAll(google, intuit, saas);
    throw err;
  });
  process.env.E2E_DATA_DIR = dataDir;
  // Specs that script a world of records (tests/e2e/instances.spec.ts) write them to the product's database.
  process.env.E2E_DATABASE_URL = stack.databaseUrl;
  return async () => {
    await stack.stop();
    await engine.stop();
    await closeAll(google, intuit, saas);
    if (!process.env.E2E_KEEP_DATA) fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
