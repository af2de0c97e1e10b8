// Backup, destroy, restore (issue 17), with the commands docs/runbook.md gives: the real start script on a
// temporary data folder; a deployment to the local node waiting for its approval, and a workflow run
// waiting for the second of its two approvals; `npm run backup` while everything runs; everything stopped
// and the data folder deleted; `npm run restore` refusing a non-empty folder and a wrong passphrase
// without changing anything, then restoring into a new folder; `npm start` on it; both approvals given
// through the API, and both complete; `npm run audit:verify` passes on the restored data.
// The deployment is the product's approval-gated job: every such job runs on a node, so it goes to the
// local agent (its Docker engine's data lives in the cache, so the bundle image is built once per machine).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { startTestEngine } from '../jest/docker.ts';
import { waitFor } from '../jest/wait-for.ts';

const ADMIN = { email: 'backup-admin@example.com', password: 'backup-test-password-1' };
const SECOND = { email: 'second-admin@example.com', password: 'backup-test-password-2' };
const PASSPHRASE = 'a long backup passphrase for the test';
let root: string;
let env: NodeJS.ProcessEnv;
let base: string;

interface Started {
  child: ChildProcess;
  output: string[];
  exited: Promise<number>;
}

/** One of the product's scripts (infra/*.ts), as `npm run` starts it through infra/bootstrap/run.sh. */
function script(file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Started {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, file), ...args], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return { child, output, exited };
}

async function run(file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  const s = script(file, args, extraEnv);
  const code = await s.exited;
  return { code, output: s.output.join('') };
}

async function untilRunning(s: Started): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!s.output.join('').includes('Anthropy Works is running')) {
    if (s.child.exitCode !== null) throw new Error(`npm start exited early:\n${s.output.join('')}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${s.output.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(s: Started): Promise<number> {
  if (s.child.exitCode === null) s.child.kill('SIGINT');
  return s.exited;
}

async function signIn(who: { email: string; password: string }): Promise<string> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(who),
  });
  expect(res.status).toBe(302);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

async function api<T>(cookie: string, method: string, url: string, body?: unknown, status = method === 'GET' ? 200 : 201): Promise<T> {
  const res = await fetch(`${base}/api/v1${url}`, {
    method,
    headers: { cookie, Origin: base, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== status) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Job {
  state: string;
  failureReason: string | null;
  approvalPhrase: string | null;
  approvalProgress: { given: number; needed: number } | null;
  result: Record<string, unknown> | null;
}

const jobWhen = (cookie: string, id: string, state: string, withinMs = 60_000) =>
  waitFor(
    `job ${id} to be ${state}`,
    async () => {
      const job = await api<Job>(cookie, 'GET', `/jobs/${id}`);
      if (job.state === 'failed' && state !== 'failed') throw new Error(`job failed: ${job.failureReason}`);
      return job.state === state ? job : undefined;
    },
    withinMs,
  );

const localNodeId = (cookie: string) =>
  waitFor(
    'the local node to be online',
    async () => (await api<{ items: { id: string; name: string; status: string }[] }>(cookie, 'GET', '/nodes')).items.find((n) => n.name === 'local' && n.status === 'online')?.id,
    60_000,
  );

beforeAll(async () => {
  // The embedded PostgreSQL runs as the user "postgres" when the tests run as root: it must enter these.
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-backup-'));
  fs.chmodSync(root, 0o755);
  const port = await freePort();
  base = `http://localhost:${port}`;
  env = {
    ...process.env,
    DATA_DIR: path.join(root, 'data'),
    PORT: String(port),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    EMBEDDED_POSTGRES_PORT: String(await freePort()),
    AGENT_DOOR_PORT: String(await freePort()),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    NODE_HEARTBEAT_SECONDS: '1',
  };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SECRETS_KEY', 'CONTROL_PLANE_SIGNING_KEY', 'APPROVAL_GRANT_KEY', 'BACKUP_PASSPHRASE']) delete env[name];
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('npm run backup and npm run restore', () => {
  it('bring back a deployment waiting for its approval and a run waiting for its second approval, which then complete', async () => {
    const engine = await startTestEngine('backup-restore');
    const withEngine = { DOCKER_HOST: `unix://${engine.socketPath}` };
    const archive = path.join(root, 'product.awbackup');
    try {
      const first = script('infra/start.ts', [], withEngine);
      let deploymentId: string;
      let runId: string;
      let phrase: string;
      try {
        await untilRunning(first);
        const second = await run('infra/admin-create.ts', ['--email', SECOND.email], { ADMIN_PASSWORD: SECOND.password });
        expect(second.code).toBe(0);
        const cookie = await signIn(ADMIN);

        const nodeId = await localNodeId(cookie);
        deploymentId = (await api<{ id: string }>(cookie, 'POST', `/nodes/${nodeId}/deployments`, { instanceName: 'restored-claw', port: await freePort() })).id;
        await jobWhen(cookie, deploymentId, 'waiting_for_approval');

        const orgs = await api<{ items: { id: string; kind: string }[] }>(cookie, 'GET', '/organizations');
        const definition = await api<{ id: string }>(cookie, 'POST', '/workflow-definitions', {
          organizationId: orgs.items.find((o) => o.kind === 'msp')!.id,
          name: 'Two admins look',
          steps: [
            { id: 'look', name: 'Two admins look', kind: 'wait_for_person', message: 'Look twice', confirmation: { approvalsNeeded: 2, approverRoles: ['msp_admin'] } },
            { id: 'tell', name: 'Tell', kind: 'notify', message: 'looked at' },
          ],
        });
        runId = (await api<{ id: string }>(cookie, 'POST', `/workflow-definitions/${definition.id}/runs`, {})).id;
        phrase = (await jobWhen(cookie, runId, 'waiting_for_approval')).approvalPhrase!;
        const once = await api<Job>(cookie, 'POST', `/jobs/${runId}/approve`, { phrase }, 200);
        expect(once.approvalProgress).toMatchObject({ given: 1, needed: 2 });

        // Backed up while everything runs (the dev server keeps writing its SQLite file).
        const backedUp = await run('infra/backup.ts', ['--out', archive], { BACKUP_PASSPHRASE: PASSPHRASE });
        expect(backedUp).toMatchObject({ code: 0, output: expect.stringContaining(`Backup written to ${archive}`) });
        expect(backedUp.output).not.toContain(PASSPHRASE);
        expect(backedUp.output).not.toContain('NOT included');
      } finally {
        expect(await stop(first)).toBe(0);
      }
      // The keys are in the archive, encrypted: not one of them appears in it as is.
      const bytes = fs.readFileSync(archive);
      for (const key of fs.readdirSync(path.join(env.DATA_DIR!, 'secrets'))) {
        expect(bytes.includes(fs.readFileSync(path.join(env.DATA_DIR!, 'secrets', key)).subarray(0, 24))).toBe(false);
      }
      fs.rmSync(env.DATA_DIR!, { recursive: true });

      // Refused, changing nothing: a folder that holds anything, then a wrong passphrase.
      const occupied = path.join(root, 'occupied');
      fs.mkdirSync(occupied);
      fs.writeFileSync(path.join(occupied, 'notes.txt'), 'mine');
      const intoOccupied = await run('infra/restore.ts', [archive], { DATA_DIR: occupied, BACKUP_PASSPHRASE: PASSPHRASE });
      expect(intoOccupied.code).toBe(2);
      expect(intoOccupied.output).toContain(`The data folder ${occupied} is not empty (it holds notes.txt)`);
      expect(fs.readdirSync(occupied)).toEqual(['notes.txt']);
      const wrong = await run('infra/restore.ts', [archive], { BACKUP_PASSPHRASE: 'not the passphrase it was made with' });
      expect(wrong.code).toBe(2);
      expect(wrong.output).toContain('The passphrase does not open this backup archive');
      expect(fs.existsSync(env.DATA_DIR!)).toBe(false);

      const restored = await run('infra/restore.ts', [archive], { BACKUP_PASSPHRASE: PASSPHRASE });
      expect(restored).toMatchObject({ code: 0, output: expect.stringContaining(`Restored into ${env.DATA_DIR}`) });
      expect(fs.readdirSync(env.DATA_DIR!).sort()).toEqual(['agent', 'postgres', 'secrets', 'temporal']);

      const again = script('infra/start.ts', [], withEngine);
      try {
        await untilRunning(again);
        expect(again.output.join('')).not.toContain('Created the first MSP admin');
        expect(again.output.join('')).not.toContain('Enrolled the local agent'); // its identity came back too
        const cookie = await signIn(ADMIN); // the same password: the people came back

        expect(await jobWhen(cookie, runId, 'waiting_for_approval')).toMatchObject({ approvalProgress: { given: 1, needed: 2 } });
        await api<Job>(await signIn(SECOND), 'POST', `/jobs/${runId}/approve`, { phrase }, 200);
        const looked = await jobWhen(cookie, runId, 'completed');
        expect((looked.result!.steps as { id: string; approvedBy?: string[] }[]).map((s) => [s.id, s.approvedBy ?? null])).toEqual([
          ['look', [ADMIN.email, SECOND.email]],
          ['tell', null],
        ]);

        const deployment = await jobWhen(cookie, deploymentId, 'waiting_for_approval');
        await api<Job>(cookie, 'POST', `/jobs/${deploymentId}/approve`, { phrase: deployment.approvalPhrase }, 200);
        expect((await jobWhen(cookie, deploymentId, 'completed', 300_000)).result).toMatchObject({ secondsToHealthy: expect.any(Number) });
      } finally {
        expect(await stop(again)).toBe(0);
      }

      const verified = await run('infra/audit-verify.ts', []);
      expect(verified).toMatchObject({ code: 0, output: expect.stringMatching(/Audit chain intact: \d+ events checked/) });
    } finally {
      await engine.stop();
    }
  }, 900_000);
});
