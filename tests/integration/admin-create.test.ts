// `npm run admin:create` as a person runs it: the real script as a child process, against a fresh
// database (DATABASE_URL) and against the embedded PostgreSQL of a data folder (running or not). Also the
// first admin that infra/migrate.ts creates for a Compose deployment from ADMIN_EMAIL/ADMIN_PASSWORD.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { verifyPassword } from '../../db/users.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort, isPortFree } from '../../infra/ports.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../infra/services/postgres.ts';
import { runCommand, type CommandResult } from '../jest/run-command.ts';
import { freshDatabase, type TestDatabase } from '../jest/db.ts';

function runScript(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'DATA_DIR', 'EMBEDDED_POSTGRES_PORT']) delete base[key];
  return runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, script), ...args], { cwd: REPO_ROOT, env: { ...base, ...env } });
}

const adminCreate = (args: string[], env: NodeJS.ProcessEnv) => runScript('infra/admin-create.ts', args, env);

const occurrences = (haystack: string, needle: string) => haystack.split(needle).length - 1;
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

async function counts(sql: postgres.Sql) {
  const [row] = await sql<{ users: number; audit: number; orgs: number }[]>`
    select (select count(*)::int from users) as users, (select count(*)::int from audit_events) as audit,
           (select count(*)::int from organizations) as orgs`;
  return row!;
}

async function userRow(sql: postgres.Sql, email: string) {
  const [row] = await sql<{ id: string; email: string; role: string; password_hash: string; org_kind: string }[]>`
    select u.id, u.email, u.role, u.password_hash, o.kind as org_kind
    from users u join organizations o on o.id = u.organization_id where u.email = ${email}`;
  return row;
}

describe('npm run admin:create with DATABASE_URL', () => {
  let test: TestDatabase;
  let sql: postgres.Sql;
  const EMAIL = 'second.admin@example.com';

  beforeAll(async () => {
    test = await freshDatabase();
    sql = test.db.$client;
  });
  afterAll(() => test.close());

  it('creates an MSP admin with a generated password, printed exactly once, stored only as an Argon2id hash', async () => {
    const res = await adminCreate(['--email', 'Second.Admin@Example.com'], { DATABASE_URL: test.url });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const match = /^\s*Password:\s+(\S+)\s*$/m.exec(res.stdout);
    expect(match).not.toBeNull();
    const password = match![1]!;
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect(occurrences(res.output, password)).toBe(1);

    const user = await userRow(sql, EMAIL);
    expect(user).toMatchObject({ email: EMAIL, role: 'msp_admin', org_kind: 'msp' });
    expect(user!.password_hash).toMatch(/^\$argon2id\$/);
    expect(user!.password_hash).not.toContain(password);
    expect(await verifyPassword(user!.password_hash, password)).toBe(true);
    const [audit] = await sql<{ action: string; outcome: string }[]>`select action, outcome from audit_events where target_id = ${user!.id}`;
    expect(audit).toEqual({ action: 'user.create', outcome: 'success' });
  });

  it('refuses an email that already exists with exit code 2, naming the email, and writes nothing', async () => {
    const before = await counts(sql);
    const res = await adminCreate(['--email', 'SECOND.ADMIN@example.com'], { DATABASE_URL: test.url });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(EMAIL);
    expect(res.stderr).toMatch(/already exists/);
    expect(res.output).not.toMatch(STACK_FRAME);
    expect(res.stdout).not.toMatch(/Password:/);
    expect(await counts(sql)).toEqual(before);
  });

  it('refuses a malformed email with exit code 2, naming --email, before touching the database', async () => {
    const before = await counts(sql);
    const res = await adminCreate(['--email', 'not-an-email'], { DATABASE_URL: test.url });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--email "not-an-email" is not a valid email address/);
    expect(res.output).not.toMatch(STACK_FRAME);
    expect(res.stdout).not.toMatch(/migrations/);
    expect(await counts(sql)).toEqual(before);
  });

  it('refuses an ADMIN_PASSWORD under 12 characters with exit code 2, naming ADMIN_PASSWORD, without echoing it', async () => {
    const before = await counts(sql);
    const res = await adminCreate(['--email', 'third@example.com'], { DATABASE_URL: test.url, ADMIN_PASSWORD: 'short-pw-11' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/ADMIN_PASSWORD must have at least 12 characters/);
    expect(res.output).not.toContain('short-pw-11');
    expect(res.output).not.toMatch(STACK_FRAME);
    expect(await counts(sql)).toEqual(before);
  });

  it('takes the password from ADMIN_PASSWORD and the email from ADMIN_EMAIL, and prints neither password', async () => {
    const password = 'a-chosen-password-42';
    const res = await adminCreate([], { DATABASE_URL: test.url, ADMIN_EMAIL: 'fourth@example.com', ADMIN_PASSWORD: password });
    expect(res.code).toBe(0);
    expect(res.output).not.toContain(password);
    expect(res.stdout).not.toMatch(/Password:/);
    expect(res.stdout).toContain('fourth@example.com');
    const user = await userRow(sql, 'fourth@example.com');
    expect(user?.role).toBe('msp_admin');
    expect(await verifyPassword(user!.password_hash, password)).toBe(true);
  });

  it('prints its usage for --help, and refuses an unknown option with exit code 2, writing nothing', async () => {
    const before = await counts(sql);
    const help = await adminCreate(['--help'], { DATABASE_URL: test.url });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run admin:create -- \[--email <address>\]/);
    expect(help.stdout).toContain('ADMIN_PASSWORD');
    const unknown = await adminCreate(['--emial', 'x@example.com'], { DATABASE_URL: test.url });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--emial/);
    expect(unknown.output).not.toMatch(STACK_FRAME);
    expect(await counts(sql)).toEqual(before);
  });

  it('says in one sentence, exit code 1, when the database cannot be reached', async () => {
    const port = await freePort();
    const res = await adminCreate(['--email', 'fifth@example.com'], { DATABASE_URL: `postgres://anthropy:topsecret@127.0.0.1:${port}/anthropy` });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/Database migrations failed .*DATABASE_URL/);
    expect(res.output).not.toContain('topsecret');
    expect(res.output).not.toMatch(STACK_FRAME);
  });
});

describe('npm run admin:create without DATABASE_URL: the embedded PostgreSQL of the data folder', () => {
  let dataDir: string;
  let port: number;
  let pg: RunningPostgres | undefined;
  const env = () => ({ DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(port), ADMIN_PASSWORD: 'embedded-admin-password' });
  const startOurs = () => startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), port, secretsDir: path.join(dataDir, 'secrets') });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-admin-create-'));
    fs.chmodSync(dataDir, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
    port = await freePort();
  });
  afterAll(async () => {
    await pg?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts it for the moment when `npm start` is not running it, and stops it again', async () => {
    const res = await adminCreate(['--email', 'embedded-one@example.com'], env());
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Starting the embedded PostgreSQL');
    expect(res.stdout).toContain('Stopping the embedded PostgreSQL');
    expect(await isPortFree(port)).toBe(true);
  }, 180_000);

  it('uses the one `npm start` is running, leaving it running', async () => {
    pg = await startOurs();
    const res = await adminCreate(['--email', 'embedded-two@example.com'], env());
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`using the embedded PostgreSQL already running on port ${port}`);
    expect(res.stdout).not.toContain('Starting the embedded PostgreSQL');
    // Both admins are in the data folder's database, which is still up.
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ email: string; role: string }[]>`select email, role from users order by email`;
      expect(rows).toEqual([
        { email: 'embedded-one@example.com', role: 'msp_admin' },
        { email: 'embedded-two@example.com', role: 'msp_admin' },
      ]);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }, 180_000);
});

describe('infra/migrate.ts: the first admin of a Compose deployment', () => {
  let test: TestDatabase;
  let sql: postgres.Sql;
  const migrate = (env: NodeJS.ProcessEnv) => runScript('infra/migrate.ts', [], { DATABASE_URL: test.url, ...env });

  beforeAll(async () => {
    test = await freshDatabase();
    sql = test.db.$client;
  });
  afterAll(() => test.close());

  it('creates nobody unless both ADMIN_EMAIL and ADMIN_PASSWORD are set', async () => {
    expect((await migrate({ ADMIN_EMAIL: 'first@example.com' })).code).toBe(0);
    expect((await migrate({ ADMIN_PASSWORD: 'first-admin-password' })).code).toBe(0);
    expect((await migrate({ ADMIN_EMAIL: 'first@example.com', ADMIN_PASSWORD: '' })).code).toBe(0);
    expect((await counts(sql)).users).toBe(0);
  });

  it('refuses an ADMIN_PASSWORD under 12 characters, naming it, and creates nobody', async () => {
    const res = await migrate({ ADMIN_EMAIL: 'first@example.com', ADMIN_PASSWORD: 'short-pw-11' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('ADMIN_PASSWORD');
    expect(res.output).not.toContain('short-pw-11');
    expect((await counts(sql)).users).toBe(0);
  });

  it('creates the first MSP admin from ADMIN_EMAIL and ADMIN_PASSWORD without printing the password', async () => {
    const password = 'first-admin-password';
    const res = await migrate({ ADMIN_EMAIL: 'first@example.com', ADMIN_PASSWORD: password });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Created the first MSP admin first@example.com');
    expect(res.output).not.toContain(password);
    const user = await userRow(sql, 'first@example.com');
    expect(user).toMatchObject({ role: 'msp_admin', org_kind: 'msp' });
    expect(await verifyPassword(user!.password_hash, password)).toBe(true);
  });

  it('creates nobody else once people exist', async () => {
    const res = await migrate({ ADMIN_EMAIL: 'other@example.com', ADMIN_PASSWORD: 'other-admin-password' });
    expect(res.code).toBe(0);
    expect(res.output).not.toContain('other-admin-password');
    expect((await counts(sql)).users).toBe(1);
    expect(await userRow(sql, 'other@example.com')).toBeUndefined();
  });
});
