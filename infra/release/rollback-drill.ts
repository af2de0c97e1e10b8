// The roll back, rehearsed: on a database migrated by THIS release, this release starts a workflow run that
// waits for a person; then it stops and the PREVIOUS release's worker and web console start on the same
// database and Temporal namespace, list and read that run, approve it and complete it, run a new one from
// its own API, and run a readiness check; the audit trail the two releases wrote together still verifies,
// and this release's console reads what the previous one finished. Each step is named, so a failure says
// which release did what on which step.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Actor } from '../../api/authz.ts';
import { createOrganization } from '../../api/organizations/service.ts';
import { requestReadinessCheck } from '../../api/system/readiness.ts';
import { createToken } from '../../api/tokens/service.ts';
import { verifyAuditChain } from '../../db/audit.ts';
import { closeDb, createDb, type Db } from '../../db/client.ts';
import type { Role } from '../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../db/users.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { REPO_ROOT } from '../config.ts';
import { freePort } from '../ports.ts';
import { generateSecretsKey } from '../secret-box.ts';
import type { ReleaseTree } from './release-tree.ts';
import { baseEnv, startReleaseProcess, type ReleaseProcess } from './release-process.ts';

export interface DrillOptions {
  previous: ReleaseTree;
  /** An empty database this release's migrations were just applied to. */
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  /** Logs and the data folder of the processes. */
  workDir: string;
  /** One line per finished step. */
  say(line: string): void;
  /**
   * Runs once this release has stopped, before the previous one starts: where a contract step would land
   * if it shipped with the upgrade. The test applies one there to show that the drill catches it.
   */
  afterThisRelease?: (db: Db) => Promise<void>;
}

export interface DrillStep {
  name: string;
  seconds: number;
}

/** A step that failed: names the previous release and the step, with the last log lines of the process that matters. */
export class DrillFailure extends Error {
  readonly tag: string;
  readonly step: string;
  constructor(tag: string, step: string, cause: string, log?: string) {
    super(`release:check failed for ${tag} at step "${step}": ${cause}${log ? `\n--- last log lines ---\n${log}` : ''}`);
    this.tag = tag;
    this.step = step;
  }
}

interface Job {
  id: string;
  state: string;
  approvalPhrase: string | null;
  failureReason: string | null;
  result: { steps?: { id: string; state: string }[] } | null;
  summary: string | null;
}

/** A REST client of one web process with one person's API token. */
function api(base: string, token: string) {
  return async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/api/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /api/v1${route} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const RUN_STEPS = [
  { id: 'hello', name: 'Say hello', kind: 'notify', message: 'release check' },
  { id: 'look', name: 'An MSP admin looks', kind: 'wait_for_person', message: 'Approve to finish the release check' },
  { id: 'bye', name: 'Say goodbye', kind: 'notify', message: 'done' },
];

async function seed(db: Db): Promise<{ admin: Actor; companyAdmin: Actor; organizationId: string; adminToken: string; companyToken: string }> {
  const person = async (role: Role, organizationId: string, email: string): Promise<Actor> => {
    const u = await createUser(db, { email, name: email, password: crypto.randomBytes(18).toString('base64url'), role, organizationId });
    return { kind: 'person', userId: u.id, email, name: email, role, organizationId };
  };
  const msp = await ensureMspOrganization(db);
  const admin = await person('msp_admin', msp.id, 'release-check-admin@example.test');
  const organization = await createOrganization({ db, actor: admin }, { name: 'Release check customer' });
  const companyAdmin = await person('company_admin', organization.id, 'release-check-company@example.test');
  const scopes = ['read', 'operate', 'approve'] as const;
  const adminToken = (await createToken({ db, actor: admin }, { name: 'release check', scopes: [...scopes] })).token;
  const companyToken = (await createToken({ db, actor: companyAdmin }, { name: 'release check', scopes: [...scopes] })).token;
  return { admin, companyAdmin, organizationId: organization.id, adminToken, companyToken };
}

export async function rollbackDrill(opts: DrillOptions): Promise<DrillStep[]> {
  const { previous, say } = opts;
  const tag = previous.tag;
  const done: DrillStep[] = [];
  const running: ReleaseProcess[] = [];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      const value = await fn();
      const seconds = (Date.now() - started) / 1000;
      done.push({ name, seconds });
      say(`${name} (${seconds.toFixed(1)} s)`);
      return value;
    } catch (err) {
      // A process that did not start brings its own log; else the last lines of each running one.
      const logs = (err as { log?: string }).log ?? running.map((p) => `[${p.label}]\n${p.tail(8)}`).join('\n');
      throw new DrillFailure(tag, name, (err as Error).message.split('\n')[0]!, logs || undefined);
    }
  };

  const logDir = path.join(opts.workDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // One environment for both releases: the same keys, database, namespace and queue, as after a roll back.
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    DATA_DIR: path.join(opts.workDir, 'data'),
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_NAMESPACE: opts.namespace,
    CONTROL_PLANE_TASK_QUEUE: `release-check-${crypto.randomBytes(4).toString('hex')}`,
    SECRETS_KEY: generateSecretsKey(),
    CONTROL_PLANE_SIGNING_KEY: generateKeyPair().privateKey,
    APPROVAL_GRANT_KEY: crypto.randomBytes(32).toString('hex'),
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: base,
    AGENT_DOOR_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
  };
  const start = async (label: string, root: string, script: string, ready: RegExp) => {
    const p = await startReleaseProcess({ label, root, script, env, ready, logDir });
    running.push(p);
    return p;
  };
  const stop = async (p: ReleaseProcess) => {
    await p.stop();
    running.splice(running.indexOf(p), 1);
  };
  const worker = (who: string, root: string) => start(`${who} worker`, root, 'infra/control-plane-worker.ts', /control-plane worker polling/);
  const web = (who: string, root: string) => start(`${who} web`, root, 'web/server.ts', /web console listening/);

  // The readiness check is requested the way the console requests it, by this process's services, which
  // read their settings from the environment: release:check owns its process.
  for (const key of [
    'DATABASE_URL',
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'CONTROL_PLANE_TASK_QUEUE',
    'SECRETS_KEY',
    'CONTROL_PLANE_SIGNING_KEY',
    'APPROVAL_GRANT_KEY',
    'DATA_DIR',
  ]) {
    process.env[key] = env[key];
  }
  const db = createDb(opts.databaseUrl, { max: 2 });
  try {
    const people = await step('this release seeds an MSP admin, a customer and their API tokens', () => seed(db));
    const asAdmin = api(base, people.adminToken);
    const asCompany = api(base, people.companyToken);
    const job = (id: string) => asAdmin<Job>('GET', `/jobs/${id}`);
    const waitState = (id: string, states: string[], what: string) => until(what, async () => ((j) => (states.includes(j.state) ? j : undefined))(await job(id)));
    const completeRun = async (id: string, who: string) => {
      const waiting = await waitState(id, ['waiting_for_approval'], `${who}: the run to wait for its approval`);
      await asAdmin('POST', `/jobs/${id}/approve`, { phrase: waiting.approvalPhrase });
      const ended = await waitState(id, ['completed', 'failed', 'cancelled', 'expired'], `${who}: the approved run to end`);
      const steps = (ended.result?.steps ?? []).map((s) => `${s.id}:${s.state}`).join(', ');
      if (ended.state !== 'completed' || steps !== 'hello:completed, look:completed, bye:completed')
        throw new Error(`the run ended ${ended.state}${ended.failureReason ? ` (${ended.failureReason})` : ''} with steps [${steps}]`);
      return ended;
    };

    // This release: the state a roll back finds.
    const thisWorker = await step('this release’s worker starts', () => worker('this release', REPO_ROOT));
    const thisWeb = await step('this release’s web console starts', () => web('this release', REPO_ROOT));
    const definition = await step('this release creates a workflow definition (API)', () =>
      asCompany<{ id: string }>('POST', '/workflow-definitions', { organizationId: people.organizationId, name: 'Release check', steps: RUN_STEPS }),
    );
    const waitingRun = await step('this release starts a run that waits for an approval', async () => {
      const run = await asCompany<Job>('POST', `/workflow-definitions/${definition.id}/runs`, {});
      return waitState(run.id, ['waiting_for_approval'], 'the run to wait for its approval');
    });
    await step('this release stops (web and worker)', async () => {
      await stop(thisWeb);
      await stop(thisWorker);
    });

    if (opts.afterThisRelease) await step('the schema changes (afterThisRelease)', () => opts.afterThisRelease!(db));

    // The roll back: the previous release on this schema.
    await step(`${tag}’s worker starts on this schema`, () => worker(tag, previous.dir));
    await step(`${tag}’s web console starts and is ready (GET /readyz)`, async () => {
      await web(tag, previous.dir);
      const res = await fetch(`${base}/readyz`);
      if (res.status !== 200) throw new Error(`/readyz answered ${res.status}: ${await res.text()}`);
    });
    await step(`${tag} lists and reads the run this release started`, async () => {
      const list = await asAdmin<{ items: Job[] }>('GET', '/jobs?limit=50');
      if (!list.items.some((j) => j.id === waitingRun.id)) throw new Error(`GET /jobs does not list job ${waitingRun.id}`);
      const read = await job(waitingRun.id);
      if (read.state !== 'waiting_for_approval' || read.approvalPhrase !== waitingRun.approvalPhrase) throw new Error(`GET /jobs/${waitingRun.id} says ${read.state}`);
    });
    await step(`${tag} approves that run and its worker completes it`, () => completeRun(waitingRun.id, tag));
    const ownRun = await step(`${tag} starts a new run from its API and completes it after approval`, async () => {
      const run = await asCompany<Job>('POST', `/workflow-definitions/${definition.id}/runs`, {});
      return completeRun(run.id, tag);
    });
    await step(`${tag}’s worker runs a readiness check (a control-plane job with no node)`, async () => {
      const check = await requestReadinessCheck({ db, actor: people.admin });
      const ended = await waitState(check.id, ['completed', 'failed'], 'the readiness check to end');
      if (ended.state !== 'completed') throw new Error(`the readiness check ${ended.state}: ${ended.failureReason ?? ended.summary}`);
    });
    await step(`${tag} lists the audit trail (API) and the chain both releases wrote verifies`, async () => {
      const events = await asAdmin<{ items: { action: string }[] }>('GET', '/audit-events?limit=100');
      if (!events.items.some((e) => e.action === 'job.completed')) throw new Error('GET /audit-events lists no job.completed event');
      const verdict = await verifyAuditChain(db);
      if (!verdict.ok) throw new Error(`the audit chain breaks at event ${verdict.eventId}: ${verdict.problem}`);
    });
    for (const p of [...running].reverse()) await stop(p);

    // And forward again: this release reads what the previous one finished.
    await step('this release’s web console reads the runs the previous release completed', async () => {
      await web('this release again', REPO_ROOT);
      for (const id of [waitingRun.id, ownRun.id]) {
        const read = await job(id);
        if (read.state !== 'completed') throw new Error(`GET /jobs/${id} says ${read.state}`);
      }
    });
    return done;
  } finally {
    for (const p of running.reverse()) await p.stop().catch(() => {});
    await db.$client.end({ timeout: 5 });
    await closeDb();
  }
}
