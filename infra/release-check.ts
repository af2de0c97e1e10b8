// `npm run release:check`: proves that the previous tagged release runs on this release's schema, so that
// rolling back is "start the previous release" (ADR 0028). It finds the previous release (the newest v* tag
// reachable from HEAD, HEAD's own excepted), checks that the migrations added since are expand-only, brings
// the previous release's tree and dependencies into the cache, and rehearses the roll back on a fresh
// database migrated by this release (infra/release/rollback-drill.ts). PostgreSQL: a new database on
// DATABASE_URL's server when set (dropped afterwards), else an embedded one; Temporal: TEMPORAL_ADDRESS
// when set, else a dev server; both in a temporary folder, removed afterwards.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { MIGRATIONS_DIR, migrateDatabase } from '../db/migrate.ts';
import { loadConfig } from './config.ts';
import { freePort } from './ports.ts';
import { progress, timed, UserFacingError } from './progress.ts';
import { expandOnlyOffences } from './release/expand-only.ts';
import { previousRelease } from './release/previous-release.ts';
import { migrationsSince, prepareReleaseTree } from './release/release-tree.ts';
import { DrillFailure, rollbackDrill } from './release/rollback-drill.ts';
import { startEmbeddedPostgres } from './services/postgres.ts';
import { startTemporalDevServer } from './services/temporal-server.ts';
import { ensureTemporalCli } from './toolchain/temporal-cli.ts';

const USAGE = `Usage: npm run release:check

Proves that the previous tagged release (the newest v* tag reachable from HEAD, not HEAD's own) runs on
this release's database schema, so that a roll back is "start the previous release":
  1. the migrations added since that tag are expand-only (no DROP TABLE/COLUMN, RENAME, type change,
     NOT NULL without a default on an existing table), unless db/contract-steps.ts lets one through;
  2. on a fresh database migrated by this release, this release starts a workflow run that waits for an
     approval; then the previous release's worker and web console list it, approve it and complete it, run
     a new one and a readiness check; the audit trail verifies; this release reads the result.
PostgreSQL: a new database on DATABASE_URL's server when set (dropped afterwards), else an embedded one.
Temporal: TEMPORAL_ADDRESS when set, else a dev server. The previous release's tree is kept in the cache
(~/.cache/anthropy-works/releases/<tag>/). Exit codes: 0 passed, 1 failed (the tag and the step are named).`;

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function freshDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `release_check_${crypto.randomBytes(5).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
      await admin.end({ timeout: 5 });
    },
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const started = Date.now();
  const config = loadConfig();
  const previous = previousRelease();
  progress.ok(`Previous release: ${previous.tag} (${previous.commit.slice(0, 12)})`);

  const { added, changed } = migrationsSince(previous, MIGRATIONS_DIR);
  const offences = expandOnlyOffences(added);
  const problems = [
    ...changed.map((f) => `db/migrations/${f}: changed since ${previous.tag} (databases that applied it will not get the change: add a new migration)`),
    ...offences.map((o) => `db/migrations/${o.migration}:${o.line}: ${o.rule}\n      ${o.statement}`),
  ];
  if (problems.length > 0) {
    throw new DrillFailure(
      previous.tag,
      'expand-only migrations',
      `${problems.length} ${problems.length === 1 ? 'statement is' : 'statements are'} not expand-only (ADR 0028; a deliberate contract step goes into db/contract-steps.ts):\n  ${problems.join('\n  ')}`,
    );
  }
  progress.ok(`Migrations since ${previous.tag}: ${added.length ? added.map((m) => m.name).join(', ') : 'none'}; all expand-only`);

  const tree = await timed(`Preparing ${previous.tag} in the cache`, () => prepareReleaseTree(previous, config.cacheDir, { console: true }));
  progress.ok(`${previous.tag}: ${tree.dir}; ${tree.dependencies}`);

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-release-check-'));
  fs.chmodSync(workDir, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
  const cleanups: (() => Promise<void>)[] = [];
  let passed = false;
  const onSignal = () => void Promise.allSettled(cleanups.map((c) => c())).then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let serverUrl = config.DATABASE_URL;
    if (!serverUrl) {
      const pg = await timed('Starting an embedded PostgreSQL', async () =>
        startEmbeddedPostgres({ dir: path.join(workDir, 'postgres'), port: await freePort(), secretsDir: path.join(workDir, 'secrets') }),
      );
      cleanups.unshift(() => pg.stop());
      serverUrl = pg.url;
    }
    const database = await freshDatabase(serverUrl);
    cleanups.unshift(() => database.drop());
    await timed('Migrating a fresh database with this release’s migrations', () => migrateDatabase(database.url));

    let temporalAddress = config.TEMPORAL_ADDRESS;
    if (!temporalAddress) {
      const cli = await ensureTemporalCli(config.cacheDir);
      const temporal = await timed('Starting a Temporal dev server', async () =>
        startTemporalDevServer({
          cli,
          dbFile: path.join(workDir, 'temporal.sqlite'),
          port: await freePort(),
          uiPort: await freePort(),
          namespace: config.TEMPORAL_NAMESPACE,
          logFile: path.join(workDir, 'temporal.log'),
          headless: true,
        }),
      );
      cleanups.unshift(() => temporal.stop());
      temporalAddress = temporal.address;
    }

    progress.step(`Rolling back to ${previous.tag} on this release's schema…`);
    const steps = await rollbackDrill({
      previous: tree,
      databaseUrl: database.url,
      temporalAddress,
      namespace: config.TEMPORAL_NAMESPACE,
      workDir,
      say: (line) => progress.ok(line),
    });
    progress.ok(`release:check passed: ${previous.tag} runs on this release's schema (${steps.length} steps, ${seconds(started)})`);
    passed = true;
    return 0;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    // A failure keeps the processes' logs for a closer look; everything else goes.
    for (const entry of fs.readdirSync(workDir)) if (passed || entry !== 'logs') fs.rmSync(path.join(workDir, entry), { recursive: true, force: true });
    if (passed) fs.rmSync(workDir, { recursive: true, force: true });
    else progress.warn(`The processes' logs are kept in ${path.join(workDir, 'logs')}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof DrillFailure || err instanceof UserFacingError) progress.fail(err.message);
    else progress.fail(`release:check failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
