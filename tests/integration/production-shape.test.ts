// The production shape on this machine (issue 17), with the runbook's commands (docs/runbook.md,
// "Production shape"): Debian's PostgreSQL server; a Temporal cluster on it (the pinned server built from
// Go source, its schema applied by temporal-sql-tool, the product's own namespace); the product's database
// on the same server, migrated by `node infra/migrate.ts`; two web processes behind a load balancer, two
// control-plane workers and the agent door, each the product's own start command in its own process; and
// an agent enrolled through the balancer, reaching Temporal through the door. A deployment is requested
// and approved across it: signed in on web A, approved on web B (nothing in process memory that the other
// replica would miss); one worker and one web process are killed (SIGKILL) while the agent deploys, and
// the run completes on the survivors, read through the surviving web process.
// Every process runs with APP_ENV=production: mTLS to Temporal (the PKI of infra/tls-certs.ts), an https://
// PUBLIC_URL (the balancer terminates TLS with a private CA's certificate, which the agent trusts through
// NODE_EXTRA_CA_CERTS), keys configured, the first admin's address and password given.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { agentEnvironment } from '../../agent-worker/child-env.ts';
import { LABELS } from '../../agent-worker/openclaw/containers.ts';
import { buildConsole, consoleBuildIsCurrent } from '../../infra/build-console.ts';
import { loadConfig, REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { generateSecretsKey } from '../../infra/secret-box.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { issueCertificate } from '../../infra/tls/x509.ts';
import { ensureTemporalCli } from '../../infra/toolchain/temporal-cli.ts';
import { grantPublicKey } from '../../protocol/approval-grant.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { signIn } from '../bench/sign-in.ts';
import { runTestAgent } from '../jest/agents.ts';
import { startDebianPostgres, type DebianPostgres } from '../jest/debian-postgres.ts';
import { startTestEngine } from '../jest/docker.ts';
import { killProcess } from '../jest/own-temporal.ts';
import { startProcess, type TestProcess } from '../jest/processes.ts';
import { runCommand } from '../jest/run-command.ts';
import { startTcpBalancer, type TcpBalancer } from '../jest/tcp-balancer.ts';
import { startTemporalCluster, type TemporalCluster } from '../jest/temporal-cluster.ts';
import { waitFor } from '../jest/wait-for.ts';

const ADMIN = { email: 'ops@msp.example', password: 'production-shape-password-1' };
const NAMESPACE = 'anthropy-works';

let dir: string;
let pg: DebianPostgres | undefined;
let cluster: TemporalCluster | undefined;
let balancer: TcpBalancer | undefined;
let engine: RunningDockerEngine | undefined;
let env: NodeJS.ProcessEnv;
let publicUrl: string;
/** The private CA of the balancer's certificate (what an agent is told to trust with NODE_EXTRA_CA_CERTS). */
let balancerCaFile: string;
const processes: Record<string, TestProcess> = {};
const webUrl: Record<'webA' | 'webB', string> = { webA: '', webB: '' };
const workerHealth: Record<'workerA' | 'workerB', number> = { workerA: 0, workerB: 0 };

type Job = {
  id: string;
  state: string;
  instanceId: string | null;
  approvalPhrase: string | null;
  approvals: { by: string; outcome: string }[];
  result: Record<string, unknown> | null;
  failureReason: string | null;
};

/** A JSON call with the session cookie, as the console's API takes it (Origin: the public URL, the CSRF check). */
async function api(base: string, cookie: string, method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}/api/v1${route}`, {
    method,
    headers: { cookie, Origin: publicUrl, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A GET through the balancer (https, its private CA), as an agent or a browser goes. */
const viaBalancer = (route: string, cookie: string) =>
  new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
    const req = https.get(`${publicUrl}/api/v1${route}`, { ca: fs.readFileSync(balancerCaFile), headers: { cookie } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) as Record<string, unknown> }));
    });
    req.on('error', reject);
  });

const jobVia = async (base: string, cookie: string, id: string) => (await api(base, cookie, 'GET', `/jobs/${id}`)).json as unknown as Job;
const jobWhen = (base: string, cookie: string, id: string, state: string, withinMs: number) =>
  waitFor(
    `job ${id} to be ${state}`,
    async () => {
      const job = await jobVia(base, cookie, id);
      if (job.state === 'failed' && state !== 'failed') throw new Error(`job failed: ${job.failureReason}`);
      return job.state === state ? job : undefined;
    },
    withinMs,
  );

/** One of the product's processes by its production command (`node <script>`), with the shared settings and its own. */
async function start(name: string, script: string, ready: RegExp, own: NodeJS.ProcessEnv = {}): Promise<TestProcess> {
  processes[name] = await startProcess(script, { ...env, ...own }, ready, 60_000, [], { inheritEnv: false });
  return processes[name];
}

beforeAll(async () => {
  if (!consoleBuildIsCurrent()) await buildConsole(); // npm test builds it once before Jest
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-production-shape-'));
  pg = await startDebianPostgres();
  cluster = await startTemporalCluster({ pg, dir, namespace: NAMESPACE });
  const app = await pg.createRole('anthropy');
  const databaseUrl = await pg.createDatabase('anthropy', app);

  const grantKey = crypto.randomBytes(32).toString('hex');
  const ports = { webA: await freePort(), webB: await freePort(), door: await freePort() };
  webUrl.webA = `http://127.0.0.1:${ports.webA}`;
  webUrl.webB = `http://127.0.0.1:${ports.webB}`;
  const ca = issueCertificate({ commonName: 'Production-shape test CA', days: 1, kind: 'ca' });
  balancerCaFile = path.join(dir, 'balancer-ca.pem');
  fs.writeFileSync(balancerCaFile, ca.cert);
  balancer = await startTcpBalancer([ports.webA, ports.webB], issueCertificate({ commonName: '127.0.0.1', days: 1, kind: { server: ['127.0.0.1', 'localhost'] }, issuer: ca }));
  publicUrl = `https://127.0.0.1:${balancer.port}`;
  // The runbook's production settings, shared by every process (each key as a secret store would give it).
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    APP_ENV: 'production',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATA_DIR: path.join(dir, 'data'), // not the runbook's: only so that nothing could land in the clone's .data
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: cluster.address,
    ...cluster.clientTls,
    TEMPORAL_NAMESPACE: NAMESPACE,
    SECRETS_KEY: generateSecretsKey(),
    CONTROL_PLANE_SIGNING_KEY: generateKeyPair().privateKey,
    PUBLIC_URL: publicUrl,
    HOST: '127.0.0.1',
    AGENT_DOOR_PORT: String(ports.door),
    // APP_ENV=production asks every process for them, not only the one that creates the first admin.
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  };

  const migrate = await runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'infra/migrate.ts')], {
    cwd: REPO_ROOT,
    env,
  });
  expect(migrate.output).toContain(`Created the first MSP admin ${ADMIN.email}`);
  expect(migrate.code).toBe(0);

  workerHealth.workerA = await freePort();
  workerHealth.workerB = await freePort();
  // Only the web processes hold the grant key; the workers and the door get its public half.
  const worker = { APPROVAL_GRANT_PUBLIC_KEY: grantPublicKey(grantKey) };
  await start('workerA', 'infra/control-plane-worker.ts', /control-plane worker polling/, { ...worker, WORKER_HEALTH_PORT: String(workerHealth.workerA) });
  await start('workerB', 'infra/control-plane-worker.ts', /control-plane worker polling/, { ...worker, WORKER_HEALTH_PORT: String(workerHealth.workerB) });
  await start('webA', 'web/server.ts', /web console listening/, { APPROVAL_GRANT_KEY: grantKey, PORT: String(ports.webA) });
  await start('webB', 'web/server.ts', /web console listening/, { APPROVAL_GRANT_KEY: grantKey, PORT: String(ports.webB) });
  await start('door', 'infra/agent-door/main.ts', /agent door listening/, worker);
}, 240_000);

afterAll(async () => {
  for (const p of Object.values(processes).reverse()) await p.stop();
  await engine?.stop();
  await balancer?.stop();
  await cluster?.stop();
  await pg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the production shape', () => {
  it('runs Temporal on PostgreSQL with its own schema tool, and each web process and worker is ready on it', async () => {
    expect(cluster!.schemaOutput).toContain("Temporal's databases are at this release's schema.");
    // mTLS: a client without the app's certificate is turned away by the frontend.
    const cli = await ensureTemporalCli(loadConfig().cacheDir);
    const list = (tls: string[]) =>
      runCommand(cli, ['workflow', 'list', '--address', cluster!.address, '--namespace', NAMESPACE, ...tls], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
    const serverOnly = ['--tls-ca-path', env.TEMPORAL_TLS_CA_FILE!, '--tls-server-name', env.TEMPORAL_TLS_SERVER_NAME!];
    expect((await list(serverOnly)).code).not.toBe(0);
    expect((await list([...serverOnly, '--tls-cert-path', env.TEMPORAL_TLS_CERT_FILE!, '--tls-key-path', env.TEMPORAL_TLS_KEY_FILE!])).code).toBe(0);
    for (const p of Object.values(processes)) expect(p.output.join('\n')).not.toMatch(/APP_ENV=production refuses/);
    // The runbook's Verify commands, against each replica.
    for (const base of Object.values(webUrl)) {
      const ready = await fetch(`${base}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, temporal: { ok: true }, migrations: { ok: true } } });
      expect(ready.status).toBe(200);
    }
    for (const port of Object.values(workerHealth)) {
      const ready = await waitFor('the worker to be among its queue pollers', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        return res.status === 200 ? res : undefined;
      });
      expect(ready.status).toBe(200);
    }
  });

  it('deploys with an approval given on the other web process, and completes after a worker and a web process are killed mid-run', async () => {
    const { webA, webB } = webUrl;
    const cookie = await signIn(webA, ADMIN);
    expect(cookie).toMatch(/^aw_session=/);

    // A customer, its machine and the machine's agent, enrolled through the load balancer with the console's command.
    const org = await api(webA, cookie, 'POST', '/organizations', { name: 'Production Shape Co' });
    expect(org.status).toBe(201);
    const node = await api(webA, cookie, 'POST', '/nodes', { organizationId: org.json.id, name: 'prod-edge' });
    expect(node.status).toBe(201);
    const nodeId = node.json.id as string;
    const enrollment = await api(webA, cookie, 'POST', `/nodes/${nodeId}/enrollment-tokens`, {});
    expect(enrollment.status).toBe(201);
    expect(enrollment.json.command).toContain(`--server ${publicUrl}`);
    engine = await startTestEngine('production-shape');
    const stateDir = path.join(dir, 'agent');
    const enrolled = await runCommand(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        path.join(REPO_ROOT, 'agent-worker/cli.ts'),
        ...['enroll', '--server', publicUrl, '--token', enrollment.json.token as string, '--control-plane-key', enrollment.json.controlPlaneKeyFingerprint as string],
        ...['--state-dir', stateDir],
      ],
      { cwd: REPO_ROOT, env: agentEnvironment({ NODE_EXTRA_CA_CERTS: balancerCaFile }) },
    );
    expect(enrolled.code).toBe(0);
    processes.agent = await runTestAgent(stateDir, engine.socketPath, { NODE_EXTRA_CA_CERTS: balancerCaFile });

    // Requested on web A; approved on web B with web A's session (sessions, grants and jobs live in PostgreSQL).
    const requested = await api(webA, cookie, 'POST', `/nodes/${nodeId}/deployments`, { instanceName: 'prod-claw', port: await freePort() });
    expect(requested.status).toBe(201);
    const jobId = requested.json.id as string;
    const waiting = await jobWhen(webB, cookie, jobId, 'waiting_for_approval', 90_000);
    expect(waiting.approvalPhrase).toBe('deploy openclaw to prod-edge');
    const approved = await api(webB, cookie, 'POST', `/jobs/${jobId}/approve`, { phrase: waiting.approvalPhrase });
    expect(approved.status).toBe(200);
    expect(approved.json.state).toBe('running');

    // Mid-run: once the agent creates the instance's containers, SIGKILL worker A and web A.
    await waitFor(
      'the deployment to reach the machine',
      async () => ((await engine!.docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${waiting.instanceId}`] } })).length ? true : undefined),
      150_000,
    );
    await killProcess(processes.workerA!);
    await killProcess(processes.webA!);
    expect(processes.workerA!.child.signalCode).toBe('SIGKILL');
    expect(processes.webA!.child.signalCode).toBe('SIGKILL');
    const workerBLinesBefore = processes.workerB!.output.length;
    expect((await jobVia(webB, cookie, jobId)).state).toBe('running'); // killed mid-run, not after
    expect((await fetch(`${webA}/healthz`).catch(() => undefined))?.status).toBeUndefined(); // web A is gone

    // The run completes on the survivors; web B (and the balancer, now web B alone) says so.
    const done = await jobWhen(webB, cookie, jobId, 'completed', 150_000);
    expect(done.result).toMatchObject({ version: expect.any(String), secondsToHealthy: expect.any(Number) });
    expect(done.approvals.map((a) => [a.outcome, a.by])).toEqual([['approved', ADMIN.email]]);
    expect((await viaBalancer(`/jobs/${jobId}`, cookie)).json.state).toBe('completed');
    // Worker B recorded the completion: it took the run over from the killed worker.
    const recorded = processes.workerB!.output.slice(workerBLinesBefore).some((line) => {
      const entry = JSON.parse(line.startsWith('{') ? line : '{}') as { msg?: string; jobId?: string; to?: string };
      return entry.msg === 'job state' && entry.jobId === jobId && entry.to === 'completed';
    });
    expect(recorded).toBe(true);
    const gateways = await engine.docker.listContainers({ filters: { label: [`${LABELS.instance}=${waiting.instanceId}`, `${LABELS.role}=gateway`] } });
    expect(gateways).toHaveLength(1);
    expect(gateways[0]!.State).toBe('running');
  }, 300_000);
});
