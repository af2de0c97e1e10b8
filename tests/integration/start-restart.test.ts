// `npm start` as a user runs it: the real start script, twice on the same data folder. The admin, the
// password, the workflow runs and the local agent's enrollment survive the restart (that agent runs
// without the control plane's secrets in its environment); so does a deployment
// to the local node that waits for its approval when the product is stopped, and completes once approved
// in the console after the next start, and also when npm start crashed instead of stopping: killed
// alone (its services, PostgreSQL, Temporal and its Docker engine live on), then with every process it
// started (a power cut). A port in use stops it with one clear sentence.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import Dockerode from 'dockerode';
import { LABELS } from '../../agent-worker/openclaw/containers.ts';
import { loadConfig } from '../../infra/config.ts';
import { descendantsOf, findProcesses, isAlive, killAll, readPid } from '../../infra/pids.ts';
import { freePort } from '../../infra/ports.ts';
import { engineExecRoot } from '../../infra/services/docker-engine.ts';
import { startTestEngine } from '../jest/docker.ts';
import { agentEnvironmentLeaks, environOf, NO_LEAKS } from '../jest/environ.ts';
import { signIn as signInAs } from '../bench/sign-in.ts';
import { freeStartPorts, startStartScript, stopStartScript, untilRunning, type StartedScript } from '../jest/start-script.ts';
import { waitFor } from '../jest/wait-for.ts';

const ADMIN = { email: 'restart-admin@example.com', password: 'restart-test-password-1' };
let dataDir: string;
let env: NodeJS.ProcessEnv;
let base: string;
let temporalAddress: string;

const startScript = (extraEnv: NodeJS.ProcessEnv = {}) => startStartScript({ ...env, ...extraEnv });
const stop = stopStartScript;

const signIn = async () => {
  const cookie = await signInAs(base, ADMIN);
  expect(cookie).toMatch(/^aw_session=[a-z2-7]+\.[a-z2-7]+$/);
  return cookie;
};

const systemPage = (cookie: string) => fetch(`${base}/system`, { headers: { cookie } }).then((r) => r.text());

/** The local node as the API shows it, once its status is `status`. */
async function localNodeWhen(cookie: string, status: string) {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${base}/api/v1/nodes`, { headers: { cookie } });
    const local = ((await res.json()) as { items: { id: string; name: string; status: string; enrolledAt: string | null }[] }).items.find((n) => n.name === 'local');
    if (local?.status === status) return local;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the local node did not turn ${status}`);
}

/** A job as the API shows it, once it is in `state` (a failure ends the wait with its reason). */
async function jobWhen(cookie: string, id: string, state: string, withinMs = 60_000) {
  return waitFor(
    `job ${id} to be ${state}`,
    async () => {
      const job = (await fetch(`${base}/api/v1/jobs/${id}`, { headers: { cookie } }).then((r) => r.json())) as {
        state: string;
        failureReason: string | null;
        approvalPhrase: string | null;
        result: Record<string, unknown> | null;
      };
      if (job.state === 'failed' && state !== 'failed') throw new Error(`job failed: ${job.failureReason}`);
      return job.state === state ? job : undefined;
    },
    withinMs,
  );
}

/** Requests a deployment to the local node, as the console's API does, and waits until it waits for its approval. */
async function requestLocalDeployment(cookie: string): Promise<string> {
  const local = await localNodeWhen(cookie, 'online');
  const requested = await fetch(`${base}/api/v1/nodes/${local.id}/deployments`, {
    method: 'POST',
    headers: { cookie, Origin: base, 'Content-Type': 'application/json' },
    body: JSON.stringify({ instanceName: 'local-claw', port: await freePort() }),
  });
  expect(requested.status).toBe(201);
  const jobId = ((await requested.json()) as { id: string }).id;
  await jobWhen(cookie, jobId, 'waiting_for_approval');
  return jobId;
}

/** Approves a waiting deployment on the job's page in the console, as a browser submits its form, and waits until it completes. */
async function approveUntilCompleted(cookie: string, jobId: string) {
  expect((await jobWhen(cookie, jobId, 'waiting_for_approval')).approvalPhrase).toBe('deploy openclaw to local');
  const approved = await fetch(`${base}/jobs/${jobId}`, {
    method: 'POST',
    headers: { cookie, Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ intent: 'approve', phrase: 'deploy openclaw to local' }),
  });
  expect(approved.status).toBe(200);
  const done = await jobWhen(cookie, jobId, 'completed', 300_000);
  expect(done.result).toMatchObject({ version: '2026.9.6', secondsToHealthy: expect.any(Number) });
}

const gatewaysOf = (docker: Dockerode, jobId: string) => docker.listContainers({ filters: { label: [`${LABELS.role}=gateway`, `${LABELS.job}=${jobId}`] } });

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-start-'));
  fs.chmodSync(dataDir, 0o755);
  const ports = await freeStartPorts();
  base = `http://localhost:${ports.PORT}`;
  temporalAddress = `127.0.0.1:${ports.TEMPORAL_PORT}`;
  env = { ...process.env, DATA_DIR: dataDir, ...ports, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, NODE_HEARTBEAT_SECONDS: '1' };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('keeps the admin and the workflow runs across a restart, and stops cleanly on Ctrl-C', async () => {
    const first = startScript();
    await untilRunning(first);
    expect(first.output.join('')).toContain(`Created the first MSP admin ${ADMIN.email}`);
    const cookie = await signIn();
    const started = await fetch(`${base}/system`, { method: 'POST', headers: { cookie, Origin: base } });
    expect(started.status).toBe(200);
    let page = '';
    for (let i = 0; i < 50 && !page.includes('>passed<'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      page = await systemPage(cookie);
    }
    expect(page).toContain('>passed<');
    const workflowId = page.match(/workflows\/(readiness-check-[0-9a-f-]+)\//)![1]!;
    // This machine has Docker (the test harness installs it): the start script enrolled a local agent.
    expect(first.output.join('')).toContain('Enrolled the local agent as node "local"');
    const local = await localNodeWhen(cookie, 'online');
    // The local agent runs with the agent's allow-listed environment: none of the control plane's keys,
    // its database URL or the admin's password, all of which the web process next to it holds.
    const runDir = path.join(dataDir, 'run');
    const web = environOf(readPid(path.join(runDir, 'web.pid'))!);
    const secrets = Object.fromEntries(['CONTROL_PLANE_SIGNING_KEY', 'SECRETS_KEY', 'DATABASE_URL', 'ADMIN_PASSWORD'].map((name) => [name, web.get(name)]));
    expect(Object.values(secrets).every(Boolean)).toBe(true);
    expect(agentEnvironmentLeaks(environOf(readPid(path.join(runDir, 'agent.pid'))!), secrets)).toEqual(NO_LEAKS);
    expect(await stop(first)).toBe(0);
    expect(first.output.join('')).toContain('Stopped.');

    const second = startScript();
    try {
      await untilRunning(second);
      expect(second.output.join('')).not.toContain('Created the first MSP admin');
      const again = await signIn(); // same password: the admin survived
      expect(await systemPage(again)).toContain(workflowId);
      const client = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
      const run = await client.workflow.getHandle(workflowId).describe();
      expect(run.status.name).toBe('COMPLETED'); // the history survived in the dev server's SQLite file
      await client.connection.close();
      // The same agent came back with its key: no second enrollment, and the same node online again.
      expect(second.output.join('')).not.toContain('Enrolled the local agent');
      expect(second.output.join('')).toContain('Local agent running for node "local"');
      expect(await localNodeWhen(again, 'online')).toEqual({ ...local, status: 'online', lastSeenAt: expect.any(String), updatedAt: expect.any(String) });
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 180_000);

  it('completes a deployment to the local node that was waiting for its approval when npm start was stopped', async () => {
    // An engine whose data lives in the cache, so the bundle image is built once per machine (a private
    // engine in the fresh data folder would build it on every run); the start script uses DOCKER_HOST first.
    const engine = await startTestEngine('start-restart');
    const withEngine = { DOCKER_HOST: `unix://${engine.socketPath}` };
    try {
      const first = startScript(withEngine);
      let jobId: string;
      try {
        await untilRunning(first);
        jobId = await requestLocalDeployment(await signIn());
      } finally {
        expect(await stop(first)).toBe(0);
      }

      const second = startScript(withEngine);
      try {
        await untilRunning(second);
        await approveUntilCompleted(await signIn(), jobId);
        expect(await gatewaysOf(engine.docker, jobId)).toHaveLength(1);
      } finally {
        expect(await stop(second)).toBe(0);
      }
    } finally {
      await engine.stop();
    }
  }, 480_000);

  it('comes back after a crash, of the start script alone and then of every process it started, and completes the waiting deployment', async () => {
    // A data folder of its own, and npm start's own private engine (no DOCKER_HOST), whose data root is
    // the cached one of the engine above, so that the bundle image is built once per machine.
    const crashDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-crash-'));
    fs.chmodSync(crashDir, 0o755);
    const engineDir = path.join(crashDir, 'docker');
    const cachedDataRoot = path.join(loadConfig().cacheDir, 'test-engines', 'start-restart', 'data');
    fs.mkdirSync(cachedDataRoot, { recursive: true });
    fs.mkdirSync(engineDir);
    fs.symlinkSync(cachedDataRoot, path.join(engineDir, 'data'));
    const execRoot = engineExecRoot('local', engineDir);
    const docker = new Dockerode({ socketPath: path.join(execRoot, 'docker.sock') });
    const crashEnv = { DATA_DIR: crashDir, DOCKER_HOST: '' };
    /** The product's processes: the start script's tree, and every process naming the data folder or the engine's exec root (dockerd, containerd, the agent, PostgreSQL, Temporal), with theirs. */
    const productProcesses = (startPid?: number) => {
      const roots = [...(startPid ? [startPid] : []), ...findProcesses((cmdline) => cmdline.some((arg) => arg.includes(crashDir) || arg.includes(execRoot)))];
      return [...new Set([...roots, ...descendantsOf(roots)])];
    };
    // The engine keeps its containers across stops (they are the node's): none may stay in the cached data
    // root, nor the deployed instance's network.
    const removeContainersAndStop = async (s: StartedScript) => {
      for (const c of await docker.listContainers({ all: true }).catch(() => [])) await docker.getContainer(c.Id).remove({ force: true, v: true });
      await docker.pruneNetworks().catch(() => {});
      expect(await stop(s)).toBe(0);
    };
    let last: StartedScript | undefined;
    try {
      const first = (last = startScript(crashEnv));
      await untilRunning(first);
      expect(first.output.join('')).toContain('Started a private Docker engine for the local agent');
      const jobId = await requestLocalDeployment(await signIn());
      const dockerd = readPid(path.join(engineDir, 'docker.pid'))!;

      // The OOM killer takes the start script alone: its services, PostgreSQL, Temporal and dockerd live on.
      first.child.kill('SIGKILL');
      await first.exited;
      const orphans = productProcesses();
      expect(orphans).toContain(dockerd);
      const second = (last = startScript(crashEnv));
      await untilRunning(second);
      let output = second.output.join('');
      expect(output).toContain('Stopped the Temporal dev server an earlier start left running');
      expect(output).toContain('Stopped the embedded PostgreSQL an earlier start left running');
      expect(output).toContain(`Reusing the private Docker engine "local" an earlier start left running (pid ${dockerd})`);
      const engineProcesses = [dockerd, ...descendantsOf([dockerd])];
      expect(orphans.filter((pid) => !engineProcesses.includes(pid) && isAlive(pid))).toEqual([]);
      let cookie = await signIn();
      expect((await jobWhen(cookie, jobId, 'waiting_for_approval')).approvalPhrase).toBe('deploy openclaw to local');
      await localNodeWhen(cookie, 'online');

      // A power cut: every process of the product at once, the engine's included.
      const everything = productProcesses(second.child.pid);
      for (const pid of engineProcesses) expect(everything).toContain(pid);
      await killAll(everything);
      await second.exited;
      expect(productProcesses()).toEqual([]);
      expect(fs.existsSync(path.join(crashDir, 'postgres', 'postmaster.pid'))).toBe(true);
      const third = (last = startScript(crashEnv));
      await untilRunning(third);
      output = third.output.join('');
      expect(output).toContain('Removed the stale lock files (postmaster.pid, ');
      expect(output).toContain('Cleaned up after the private Docker engine "local", which did not stop');
      expect(output).toContain('Started a private Docker engine for the local agent');
      cookie = await signIn();
      await approveUntilCompleted(cookie, jobId);
      expect(await gatewaysOf(docker, jobId)).toHaveLength(1);
      await removeContainersAndStop(third);
      // Nothing the killed engine mounted stays mounted (dockerd had bind-mounted its data root onto itself).
      expect(
        fs
          .readFileSync('/proc/self/mountinfo', 'utf8')
          .split('\n')
          .filter((line) => line.includes(fs.realpathSync(cachedDataRoot))),
      ).toEqual([]);
    } finally {
      if (last?.child.exitCode === null) await removeContainersAndStop(last);
      await killAll(productProcesses());
      fs.rmSync(execRoot, { recursive: true, force: true });
      fs.rmSync(crashDir, { recursive: true, force: true });
    }
  }, 900_000);

  it('stops with one clear sentence when the console port is in use', async () => {
    const blocker = net.createServer().listen(Number(new URL(base).port), '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      const s = startScript();
      expect(await s.exited).toBe(1);
      const output = s.output.join('');
      expect(output).toContain(`Port ${new URL(base).port} (web console) is already in use: stop whatever uses it, or set PORT to another port.`);
      expect(output).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      blocker.close();
    }
  }, 60_000);
});
