// Backup, destroy, restore with a Temporal cluster on PostgreSQL (issue 17), with the commands
// docs/runbook.md gives ("Back up and restore", a Temporal cluster): Debian's PostgreSQL and the Temporal
// cluster of the production-shape test (tests/jest/temporal-cluster.ts, mTLS), the product's database on
// the same server, a control-plane worker and a web process by their own start commands; a workflow run
// waiting for its approval; `npm run backup` with TEMPORAL_DATABASE_URL while everything runs; everything
// stopped; `npm run restore` refusing the cluster's databases while they are not empty (naming the
// database) and changing nothing; the cluster's databases and the product's dropped; `npm run restore`
// into empty ones (setup-schema.sh, then the rows); the Temporal server, the worker and the web process
// started again; the run is waiting again, is approved through the API and completes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { buildConsole, consoleBuildIsCurrent } from '../../infra/build-console.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { generateSecretsKey } from '../../infra/secret-box.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { signIn } from '../bench/sign-in.ts';
import { startDebianPostgres, type DebianPostgres } from '../jest/debian-postgres.ts';
import { startProcess, type TestProcess } from '../jest/processes.ts';
import { jobInState } from '../jest/job-state.ts';
import { runCommand } from '../jest/run-command.ts';
import { startTemporalCluster, type TemporalCluster } from '../jest/temporal-cluster.ts';

const ADMIN = { email: 'cluster-backup@example.com', password: 'cluster-backup-password-1' };
const PASSPHRASE = 'a long backup passphrase for the cluster test';
const NAMESPACE = 'anthropy-works';

let dir: string;
let pg: DebianPostgres | undefined;
let cluster: TemporalCluster | undefined;
let env: NodeJS.ProcessEnv;
let base: string;
let temporalDatabaseUrl: string;
const processes: TestProcess[] = [];

/** `npm run <name> -- <args>`, exactly as docs/runbook.md gives it. */
const npmRun = (name: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  runCommand('npm', ['run', '--silent', name, '--', ...args], { cwd: REPO_ROOT, env: { ...env, ...extraEnv } });

/** The control-plane worker and the web process, by their production commands. */
async function startProduct(): Promise<void> {
  processes.push(await startProcess('infra/control-plane-worker.ts', env, /control-plane worker polling/, 60_000, [], { inheritEnv: false }));
  processes.push(await startProcess('web/server.ts', env, /web console listening/, 60_000, [], { inheritEnv: false }));
}
async function stopProduct(): Promise<void> {
  for (const p of processes.splice(0).reverse()) await p.stop();
}

async function api<T>(cookie: string, method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/v1${url}`, {
    method,
    headers: { cookie, Origin: base, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Job {
  state: string;
  failureReason: string | null;
  approvalPhrase: string | null;
  result: Record<string, unknown> | null;
}
const jobWhen = (cookie: string, id: string, state: string, withinMs?: number) => jobInState(id, () => api<Job>(cookie, 'GET', `/jobs/${id}`), state, withinMs);

/** Runs `statement` as the role of `url` in its server's `postgres` database (DROP DATABASE cannot run in the one it drops). */
async function asRole(url: string, statement: string): Promise<void> {
  const u = new URL(url);
  u.pathname = '/postgres';
  const sql = postgres(u.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

beforeAll(async () => {
  if (!consoleBuildIsCurrent()) await buildConsole(); // npm test builds it once before Jest
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-cluster-backup-'));
  pg = await startDebianPostgres();
  cluster = await startTemporalCluster({ pg, dir, namespace: NAMESPACE });
  temporalDatabaseUrl = `postgres://${cluster.db.user}:${cluster.db.password}@${pg.host}:${pg.port}/temporal`;
  const app = await pg.createRole('anthropy');
  const port = await freePort();
  base = `http://localhost:${port}`;
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'info',
    DATA_DIR: path.join(dir, 'data'),
    DATABASE_URL: await pg.createDatabase('anthropy', app),
    TEMPORAL_ADDRESS: cluster.address,
    ...cluster.clientTls,
    TEMPORAL_NAMESPACE: NAMESPACE,
    // Configured keys (not generated into the data folder): the two processes start side by side.
    SECRETS_KEY: generateSecretsKey(),
    CONTROL_PLANE_SIGNING_KEY: generateKeyPair().privateKey,
    APPROVAL_GRANT_KEY: crypto.randomBytes(32).toString('hex'),
    PORT: String(port),
    AGENT_DOOR_PORT: String(await freePort()),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  };
  const migrate = await runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'infra/migrate.ts')], { cwd: REPO_ROOT, env });
  expect(migrate.code).toBe(0);
  await startProduct();
}, 180_000);

afterAll(async () => {
  await stopProduct();
  await cluster?.stop();
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('npm run backup and npm run restore with a Temporal cluster on PostgreSQL', () => {
  it('bring back a run waiting for its approval in the cluster, which then completes', async () => {
    let cookie = await signIn(base, ADMIN);
    const orgs = await api<{ items: { id: string; kind: string }[] }>(cookie, 'GET', '/organizations');
    const definition = await api<{ id: string }>(cookie, 'POST', '/workflow-definitions', {
      organizationId: orgs.items.find((o) => o.kind === 'msp')!.id,
      name: 'Look once',
      steps: [
        { id: 'look', name: 'An admin looks', kind: 'wait_for_person', message: 'Look', confirmation: { approvalsNeeded: 1, approverRoles: ['msp_admin'] } },
        { id: 'tell', name: 'Tell', kind: 'notify', message: 'looked at' },
      ],
    });
    const runId = (await api<{ id: string }>(cookie, 'POST', `/workflow-definitions/${definition.id}/runs`, {})).id;
    await jobWhen(cookie, runId, 'waiting_for_approval');

    // Backed up while the cluster and the product run.
    const archive = path.join(dir, 'cluster.awbackup');
    const withCluster = { TEMPORAL_DATABASE_URL: temporalDatabaseUrl, BACKUP_PASSPHRASE: PASSPHRASE };
    const backedUp = await npmRun('backup', ['--out', archive], withCluster);
    expect(backedUp.output).toContain(`Backup written to ${archive}`);
    expect(backedUp.output).toMatch(/Temporal database temporal: \d+ tables, \d+ rows, schema version \d/);
    expect(backedUp.output).toMatch(/Temporal database temporal_visibility: \d+ tables, \d+ rows/);
    expect(backedUp.output).not.toContain("Temporal's history is NOT included");
    expect(backedUp.output).not.toContain(cluster!.db.password);
    expect(backedUp.code).toBe(0);

    // Destroyed: the product and the Temporal server stopped.
    await stopProduct();
    await cluster!.stop();

    // Refused, changing nothing, while the cluster's databases hold its rows.
    const app = await pg!.createRole('restorer');
    const into = { ...withCluster, DATA_DIR: path.join(dir, 'restored'), DATABASE_URL: await pg!.createDatabase('anthropy_restored', app) };
    const refused = await npmRun('restore', [archive], into);
    expect(refused.output).toContain('The Temporal database temporal is not empty');
    expect(refused.code).toBe(2);
    expect(fs.existsSync(into.DATA_DIR)).toBe(false);

    await asRole(temporalDatabaseUrl, 'DROP DATABASE temporal');
    await asRole(temporalDatabaseUrl, 'DROP DATABASE temporal_visibility');
    await asRole(env.DATABASE_URL!, 'DROP DATABASE anthropy');

    const restored = await npmRun('restore', [archive], into);
    expect(restored.output).toContain(`Restored into ${into.DATA_DIR} and DATABASE_URL: the database, the Temporal cluster’s databases`);
    expect(restored.code).toBe(0);

    // Started again on the restored databases: the run is waiting again, and completes once approved.
    env = { ...env, DATA_DIR: into.DATA_DIR, DATABASE_URL: into.DATABASE_URL };
    await cluster!.restart();
    await startProduct();
    cookie = await signIn(base, ADMIN);
    const waiting = await jobWhen(cookie, runId, 'waiting_for_approval');
    await api<Job>(cookie, 'POST', `/jobs/${runId}/approve`, { phrase: waiting.approvalPhrase });
    const done = await jobWhen(cookie, runId, 'completed');
    expect((done.result!.steps as { id: string; approvedBy?: string[] }[]).map((s) => [s.id, s.approvedBy ?? null])).toEqual([
      ['look', [ADMIN.email]],
      ['tell', null],
    ]);
  }, 240_000);
});
