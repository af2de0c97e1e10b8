// Backup, destroy, restore with a Temporal cluster on PostgreSQL (issue 17), with the commands
// docs/runbook.md gives ("Back up and restore", a Temporal cluster): Debian's PostgreSQL and the Temporal
// cluster of the production-shape test (tests/jest/temporal-cluster.ts, mTLS), the product's database on
// the same server, a control-plane worker and a web process by their own start commands; a workflow run
// waiting for the second of its two approvals; `npm run backup` with TEMPORAL_DATABASE_URL while
// everything runs; everything stopped; `npm run restore` refusing the cluster's databases while they are
// not empty (naming both) and changing nothing; the cluster's databases, the product's and the data folder
// destroyed; `npm run restore` failing on the product's database after loading the cluster's (which it
// empties again), then into the empty ones (setup-schema.sh, then the rows); the Temporal server, the
// worker and the web process started again; the run is waiting for its second approval again, the second
// admin gives it and it completes; `npm run audit:verify` passes on the restored database.
// A deployment waiting for its approval (a job on a node, through an agent) is brought back by the same
// archive code with the dev server: tests/integration/backup-restore.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildConsole, consoleBuildIsCurrent } from '../../infra/build-console.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { generateSecretsKey } from '../../infra/secret-box.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { apiCaller } from '../bench/product.ts';
import { signIn } from '../bench/sign-in.ts';
import { startDebianPostgres, type DebianPostgres } from '../jest/debian-postgres.ts';
import { startProcess, type TestProcess } from '../jest/processes.ts';
import { jobInState, runWaitingForSecondApproval, type JobAnswer } from '../jest/job-state.ts';
import { runCommand } from '../jest/run-command.ts';
import { startTemporalCluster, type TemporalCluster } from '../jest/temporal-cluster.ts';

const ADMIN = { email: 'cluster-backup@example.com', password: 'cluster-backup-password-1' };
const SECOND = { email: 'cluster-backup-second@example.com', password: 'cluster-backup-password-2' };
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

const api = <T>(cookie: string, method: string, url: string, body?: unknown) => apiCaller(base, cookie)<T>(method, url, body);

type Job = JobAnswer;
const jobWhen = (cookie: string, id: string, state: string, withinMs?: number) => jobInState(id, () => api<Job>(cookie, 'GET', `/jobs/${id}`), state, withinMs);

/**
 * `psql -c …` as the role of `url` in its server's `postgres` database (DROP DATABASE cannot run in the one
 * it drops), the password in PGPASSWORD rather than on the command line: docs/runbook.md's command.
 */
async function psql(url: string, statements: string[]): Promise<void> {
  const u = new URL(url);
  const pgEnv = { PGHOST: u.hostname, PGPORT: u.port, PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: 'postgres' };
  const res = await runCommand('psql', ['-v', 'ON_ERROR_STOP=1', ...statements.flatMap((s) => ['-c', s])], { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...pgEnv } });
  if (res.code !== 0) throw new Error(`psql ${statements.join('; ')}: ${res.output}`);
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
  it('bring back a run waiting for its second approval in the cluster, which then completes, and the audit chain verifies', async () => {
    expect((await npmRun('admin:create', ['--email', SECOND.email], { ADMIN_PASSWORD: SECOND.password })).code).toBe(0);
    let cookie = await signIn(base, ADMIN);
    const { runId, phrase } = await runWaitingForSecondApproval(apiCaller(base, cookie));

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
    // Encrypted: neither the product's keys nor the database roles' passwords appear in it as they are.
    const bytes = fs.readFileSync(archive);
    for (const secret of [env.SECRETS_KEY!, env.APPROVAL_GRANT_KEY!, cluster!.db.password, new URL(env.DATABASE_URL!).password, PASSPHRASE])
      expect(bytes.includes(secret)).toBe(false);

    // Destroyed: the product and the Temporal server stopped, then (below) their databases and the data folder.
    await stopProduct();
    await cluster!.stop();

    // Refused, changing nothing, while the cluster's databases hold its rows.
    const app = await pg!.createRole('restorer');
    const into = { ...withCluster, DATA_DIR: path.join(dir, 'restored'), DATABASE_URL: await pg!.createDatabase('anthropy_restored', app) };
    const refused = await npmRun('restore', [archive], into);
    expect(refused.output).toMatch(/The Temporal database temporal is not empty \(it has rows in [^)]+\); the Temporal database temporal_visibility is not empty/);
    expect(refused.output).toContain('Nothing was changed.');
    expect(refused.code).toBe(2);
    expect(fs.existsSync(into.DATA_DIR)).toBe(false);

    await psql(temporalDatabaseUrl, ['DROP DATABASE temporal', 'DROP DATABASE temporal_visibility']);
    await psql(env.DATABASE_URL!, ['DROP DATABASE anthropy']);
    fs.rmSync(env.DATA_DIR!, { recursive: true, force: true });

    // A restore that fails after loading the cluster's databases (the product's database is another role's,
    // where this one may not create the schema) leaves them as setup-schema.sh made them: the next accepts them.
    const forbidden = { ...into, DATABASE_URL: `postgres://${app.name}:${app.password}@${pg!.host}:${pg!.port}/anthropy_forbidden` };
    await pg!.createDatabase('anthropy_forbidden', await pg!.createRole('bystander'));
    const failed = await npmRun('restore', [archive], forbidden);
    expect(failed.output).toMatch(/✓ +Setting up the Temporal cluster’s databases \(setup-schema\.sh\) and loading them/);
    expect(failed.output).toContain('permission denied');
    expect(failed.code).toBe(1);
    expect(failed.output).not.toContain(cluster!.db.password);
    expect(fs.existsSync(into.DATA_DIR)).toBe(false);

    const restored = await npmRun('restore', [archive], into);
    expect(restored.output).toContain(`Restored into ${into.DATA_DIR} and DATABASE_URL: the database, the Temporal cluster’s databases`);
    expect(restored.code).toBe(0);
    for (const secret of [cluster!.db.password, PASSPHRASE]) expect(restored.output).not.toContain(secret);

    // Started again on the restored databases: the run is waiting again, and completes once approved.
    env = { ...env, DATA_DIR: into.DATA_DIR, DATABASE_URL: into.DATABASE_URL };
    await cluster!.restart();
    await startProduct();
    cookie = await signIn(base, ADMIN);
    expect(await jobWhen(cookie, runId, 'waiting_for_approval')).toMatchObject({ approvalProgress: { given: 1, needed: 2 } });
    await api<Job>(await signIn(base, SECOND), 'POST', `/jobs/${runId}/approve`, { phrase });
    const done = await jobWhen(cookie, runId, 'completed');
    expect((done.result!.steps as { id: string; approvedBy?: string[] }[]).map((s) => [s.id, s.approvedBy ?? null])).toEqual([
      ['look', [ADMIN.email, SECOND.email]],
      ['tell', null],
    ]);

    const verified = await npmRun('audit:verify', []);
    expect(verified).toMatchObject({ code: 0, output: expect.stringMatching(/Audit chain intact: \d+ events checked/) });
  }, 240_000);
});
