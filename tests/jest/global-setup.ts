// Starts the real parts the integration tests need: an embedded PostgreSQL (fresh, migrated) and a
// Temporal dev server, each on a free port in a temporary folder. Test files find them through env, and
// the launcher of Temporal's time-skipping test server (fetched once) in TEMPORAL_TEST_SERVER.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { loadConfig } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { generateSecretsKey } from '../../infra/secret-box.ts';
import { startEmbeddedPostgres } from '../../infra/services/postgres.ts';
import { startTemporalDevServer } from '../../infra/services/temporal-server.ts';
import { ensureTemporalCli } from '../../infra/toolchain/temporal-cli.ts';
import { ensureTemporalTestServer } from '../../infra/toolchain/temporal-test-server.ts';
import { testTemporalOptions } from './test-temporal.ts';

export default async function globalSetup() {
  const testServer = await ensureTemporalTestServer(loadConfig().cacheDir); // first: it may refuse, before anything runs
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-jest-'));
  fs.chmodSync(dir, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: await freePort(), secretsDir: path.join(dir, 'secrets') });
  await migrateDatabase(pg.url);
  const cli = await ensureTemporalCli(loadConfig().cacheDir);
  const temporal = await startTemporalDevServer(await testTemporalOptions(dir, cli));
  process.env.DATABASE_URL = pg.url;
  process.env.TEMPORAL_ADDRESS = temporal.address;
  process.env.TEMPORAL_NAMESPACE = 'default';
  process.env.TEMPORAL_CLI = cli;
  process.env.TEMPORAL_TEST_SERVER = testServer;
  process.env.AW_TEST_DIR = dir;
  process.env.SECRETS_KEY = generateSecretsKey();
  process.env.CONTROL_PLANE_SIGNING_KEY = generateKeyPair().privateKey;
  process.env.APPROVAL_GRANT_KEY = crypto.randomBytes(32).toString('hex');
  process.env.LOG_LEVEL ??= 'warn';
  (globalThis as Record<string, unknown>).__AW_TEST_STACK__ = { dir, pg, temporal };
}
