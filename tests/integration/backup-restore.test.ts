// Backup, destroy, restore (issue 17), with the commands docs/runbook.md gives: the real start script on a
// temporary data folder; a deployment to the local node waiting for its approval, and a workflow run
// waiting for the second of its two approvals; `npm run backup` while everything runs; everything stopped
// and the data folder deleted; `npm run restore` refusing a non-empty folder and a wrong passphrase
// without changing anything, then restoring into a new folder; `npm start` on it; both approvals given
// through the API, and both complete; `npm run audit:verify` passes on the restored data. The same archive
// then goes into an empty database given by DATABASE_URL, which is refused once it is not empty; a
// backup with SECRETS_KEY set by environment leaves that key out and says so.
// The deployment is the product's approval-gated job: every such job runs on a node, so it goes to the
// local agent (its Docker engine's data lives in the cache, so the bundle image is built once per machine).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { startTestEngine } from '../jest/docker.ts';
import { emptyDatabase } from '../jest/db.ts';
import { jobInState, runWaitingForSecondApproval, type JobAnswer } from '../jest/job-state.ts';
import { runCommand } from '../jest/run-command.ts';
import { apiCaller } from '../bench/product.ts';
import { signIn as signInAs } from '../bench/sign-in.ts';
import { freeStartPorts, startStartScript, stopStartScript as stop, untilRunning } from '../jest/start-script.ts';
import { waitFor } from '../jest/wait-for.ts';

const ADMIN = { email: 'backup-admin@example.com', password: 'backup-test-password-1' };
const SECOND = { email: 'second-admin@example.com', password: 'backup-test-password-2' };
const PASSPHRASE = 'a long backup passphrase for the test';
let root: string;
let env: NodeJS.ProcessEnv;
let base: string;
let archive: string;
/** The Jest run's PostgreSQL server (tests/jest/global-setup.ts), for the restore into DATABASE_URL. */
let serverUrl: string;

const startScript = (extraEnv: NodeJS.ProcessEnv) => startStartScript({ ...env, ...extraEnv });

/** `npm run <name> -- <args>`, exactly as docs/runbook.md gives it. */
async function npmRun(name: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const { code, output } = await runCommand('npm', ['run', '--silent', name, '--', ...args], { cwd: REPO_ROOT, env: { ...env, ...extraEnv } });
  return { code, output };
}

const signIn = (who: { email: string; password: string }) => signInAs(base, who);

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

type Job = JobAnswer;

const jobWhen = (cookie: string, id: string, state: string, withinMs?: number) => jobInState(id, () => api<Job>(cookie, 'GET', `/jobs/${id}`), state, withinMs);

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
  serverUrl = process.env.DATABASE_URL!;
  archive = path.join(root, 'product.awbackup');
  const ports = await freeStartPorts();
  base = `http://localhost:${ports.PORT}`;
  env = { ...process.env, DATA_DIR: path.join(root, 'data'), ...ports, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, NODE_HEARTBEAT_SECONDS: '1' };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SECRETS_KEY', 'CONTROL_PLANE_SIGNING_KEY', 'APPROVAL_GRANT_KEY', 'BACKUP_PASSPHRASE']) delete env[name];
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('npm run backup and npm run restore', () => {
  it('bring back a deployment waiting for its approval and a run waiting for its second approval, which then complete', async () => {
    const engine = await startTestEngine('backup-restore');
    const withEngine = { DOCKER_HOST: `unix://${engine.socketPath}` };
    try {
      const first = startScript(withEngine);
      let deploymentId: string;
      let runId: string;
      let phrase: string;
      try {
        await untilRunning(first, 120_000);
        const second = await npmRun('admin:create', ['--email', SECOND.email], { ADMIN_PASSWORD: SECOND.password });
        expect(second.code).toBe(0);
        const cookie = await signIn(ADMIN);

        const nodeId = await localNodeId(cookie);
        deploymentId = (await api<{ id: string }>(cookie, 'POST', `/nodes/${nodeId}/deployments`, { instanceName: 'restored-claw', port: await freePort() })).id;
        await jobWhen(cookie, deploymentId, 'waiting_for_approval');

        ({ runId, phrase } = await runWaitingForSecondApproval(apiCaller(base, cookie)));

        // Backed up while everything runs (the dev server keeps writing its SQLite file).
        const backedUp = await npmRun('backup', ['--out', archive], { BACKUP_PASSPHRASE: PASSPHRASE });
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
      const intoOccupied = await npmRun('restore', [archive], { DATA_DIR: occupied, BACKUP_PASSPHRASE: PASSPHRASE });
      expect(intoOccupied.code).toBe(2);
      expect(intoOccupied.output).toContain(`The data folder ${occupied} is not empty (it holds notes.txt)`);
      expect(fs.readdirSync(occupied)).toEqual(['notes.txt']);
      const wrong = await npmRun('restore', [archive], { BACKUP_PASSPHRASE: 'not the passphrase it was made with' });
      expect(wrong.code).toBe(2);
      expect(wrong.output).toContain('The passphrase does not open this backup archive');
      expect(fs.existsSync(env.DATA_DIR!)).toBe(false);

      const restored = await npmRun('restore', [archive], { BACKUP_PASSPHRASE: PASSPHRASE });
      expect(restored).toMatchObject({ code: 0, output: expect.stringContaining(`Restored into ${env.DATA_DIR}`) });
      expect(fs.readdirSync(env.DATA_DIR!).sort()).toEqual(['agent', 'postgres', 'secrets', 'temporal']);

      const again = startScript(withEngine);
      try {
        await untilRunning(again, 120_000);
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

      const verified = await npmRun('audit:verify', []);
      expect(verified).toMatchObject({ code: 0, output: expect.stringMatching(/Audit chain intact: \d+ events checked/) });
    } finally {
      await engine.stop();
    }
  }, 900_000);

  it('restores the same archive into an empty database given by DATABASE_URL, refuses it once it is not empty, and leaves out a key configured by environment', async () => {
    const url = await emptyDatabase(serverUrl);
    const into = { DATABASE_URL: url.toString(), DATA_DIR: path.join(root, 'beside-database'), BACKUP_PASSPHRASE: PASSPHRASE };

    const restored = await npmRun('restore', [archive], into);
    expect(restored).toMatchObject({ code: 0, output: expect.stringContaining(`Restored into ${into.DATA_DIR} and DATABASE_URL`) });
    expect(fs.readdirSync(into.DATA_DIR).sort()).toEqual(['agent', 'secrets', 'temporal']);
    expect(await npmRun('audit:verify', [], into)).toMatchObject({ code: 0, output: expect.stringMatching(/Audit chain intact: \d+ events checked/) });

    const again = await npmRun('restore', [archive], { ...into, DATA_DIR: path.join(root, 'another') });
    expect(again.code).toBe(2);
    expect(again.output).toContain('The database DATABASE_URL is not empty');
    expect(fs.existsSync(path.join(root, 'another'))).toBe(false);

    // A key configured by environment is not in the data folder's archive, and both commands say so.
    const withKey = { ...into, SECRETS_KEY: fs.readFileSync(path.join(into.DATA_DIR, 'secrets', 'secrets.key'), 'utf8').trim() };
    const configured = path.join(root, 'configured-key.awbackup');
    expect(await npmRun('backup', ['--out', configured], withKey)).toMatchObject({ code: 0, output: expect.stringContaining('SECRETS_KEY is NOT included') });
    const elsewhere = { ...withKey, DATABASE_URL: (await emptyDatabase(serverUrl)).toString(), DATA_DIR: path.join(root, 'configured-key') };
    expect(await npmRun('restore', [configured], elsewhere)).toMatchObject({ code: 0, output: expect.stringContaining('SECRETS_KEY is NOT in the archive') });
    expect(fs.readdirSync(path.join(elsewhere.DATA_DIR, 'secrets'))).not.toContain('secrets.key');
  }, 120_000);
});
