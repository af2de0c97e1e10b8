// Health and metrics (issue 17) on the real stack, with a PostgreSQL and a Temporal server of the file's own
// so that the test can stop them: the web process's /healthz and /readyz (200, then 503 naming the check
// when the database, Temporal or a migration is missing), its /metrics behind METRICS_TOKEN with the
// product's series matching the records, the control-plane worker's SDK metrics and readiness, and
// `agent-worker status` through the agent door (0 with the door up, 1 with it down; another node's queue refused).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { agentEnvironment } from '../../agent-worker/child-env.ts';
import { readPrivateKey, readTemporalCredential } from '../../agent-worker/config.ts';
import { getJob } from '../../api/jobs/service.ts';
import { PolicyBlockedError } from '../../api/errors.ts';
import { enforcePolicy } from '../../api/policy/service.ts';
import { createDefinition } from '../../api/workflow-definitions/service.ts';
import { startWorkflowRun } from '../../api/workflow-runs/service.ts';
import { journal } from '../../db/migration-status.ts';
import { jobs, nodes } from '../../db/schema.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../infra/services/postgres.ts';
import { signedFetch } from '../../protocol/request-signing.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { enrollTestAgent, minimalHeartbeat } from '../jest/agents.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { startOwnTemporal, type OwnTemporal } from '../jest/own-temporal.ts';
import { runCommand } from '../jest/run-command.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);
const METRICS_TOKEN = crypto.randomBytes(24).toString('hex');

let dir: string;
let pg: RunningPostgres;
let pgPort: number;
let sharedDatabaseUrl: string | undefined;
let temporal: OwnTemporal;
let stack: AgentStack;
let workerMetrics: string;
let workerHealth: string;
/** Two enrolled agents that do not run: their state folders are the test's to use. */
let b: { id: string; stateDir: string };
let c: { id: string; stateDir: string };

const startPg = () => startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: pgPort, secretsDir: path.join(dir, 'secrets') });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-health-metrics-'));
  fs.chmodSync(dir, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
  pgPort = await freePort();
  pg = await startPg();
  sharedDatabaseUrl = process.env.DATABASE_URL;
  process.env.DATABASE_URL = pg.url; // the file's database is made on this server (tests/jest/db.ts)
  temporal = await startOwnTemporal('health-metrics');
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  workerMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
  workerHealth = `http://127.0.0.1:${healthPort}`;
  stack = await startAgentStack('health-metrics', { METRICS_TOKEN, WORKER_METRICS_PORT: String(metricsPort), WORKER_HEALTH_PORT: String(healthPort) });
  const { w } = stack;
  const enrolled = async (name: string) => {
    const [row] = await stack.t.db.insert(nodes).values({ organizationId: w.acme.id, name }).returning();
    const stateDir = path.join(stack.dir, `agent-${name}`);
    await enrollTestAgent(w.ctx(w.actors.admin), row!.id, stack.base, stateDir);
    return { id: row!.id, stateDir };
  };
  b = await enrolled('health-b');
  c = await enrolled('health-c');
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await temporal?.stop();
  await pg?.stop();
  process.env.DATABASE_URL = sharedDatabaseUrl;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, text: await res.text() };
};
const getJson = async (url: string) => {
  const { status, text } = await get(url);
  return { status, body: JSON.parse(text) as Record<string, unknown> & { checks?: Record<string, { ok: boolean; reason?: string }> } };
};
const scrape = async () => {
  const res = await get(`${stack.base}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
  expect(res.status).toBe(200);
  return res.text;
};

/** The values of the series `name` whose labels include `labels`. */
function valuesOf(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => has[k] === v)) values.push(Number(m[3]));
  }
  return values;
}
/** The value of the one such series (undefined when there is none). */
const valueOf = (text: string, name: string, labels: Record<string, string> = {}) => {
  const values = valuesOf(text, name, labels);
  expect(values.length).toBeLessThanOrEqual(1);
  return values[0];
};

const jsonLine = (line: string): Record<string, unknown> => {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return {};
  }
};

const agentStatus = (stateDir: string) =>
  runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'agent-worker/cli.ts'), 'status', '--state-dir', stateDir], {
    cwd: REPO_ROOT,
    env: agentEnvironment(),
  });

describe('the web process', () => {
  it('answers /healthz without asking anything, and /readyz once the database, Temporal and the migrations are in order', async () => {
    expect(await getJson(`${stack.base}/healthz`)).toEqual({ status: 200, body: { status: 'alive' } });
    expect(await getJson(`${stack.base}/readyz`)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: { ok: true }, temporal: { ok: true }, migrations: { ok: true } } },
    });
  });

  it('answers /readyz 503 naming the migration the database lacks, and 200 again once it is applied', async () => {
    const last = journal().at(-1)!;
    const [row] = await stack.t.db.execute<{ id: number; hash: string; created_at: string }>(
      sql`delete from drizzle.__drizzle_migrations where created_at = ${last.when} returning id, hash, created_at`,
    );
    expect(row).toBeDefined();
    try {
      const { status, body } = await getJson(`${stack.base}/readyz`);
      expect(status).toBe(503);
      expect(body.checks).toEqual({ database: { ok: true }, temporal: { ok: true }, migrations: { ok: false, reason: expect.stringContaining(last.tag) } });
    } finally {
      await stack.t.db.execute(sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${row!.id}, ${row!.hash}, ${row!.created_at})`);
    }
    expect((await getJson(`${stack.base}/readyz`)).status).toBe(200);
  });

  it('serves /metrics only with METRICS_TOKEN, with the process metrics', async () => {
    expect((await get(`${stack.base}/metrics`)).status).toBe(401);
    expect((await get(`${stack.base}/metrics`, { authorization: 'Bearer not-the-token-at-all' })).status).toBe(401);
    const text = await scrape();
    expect(valueOf(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(valueOf(text, 'anthropy_product_metrics_up')).toBe(1);
  });

  it('counts jobs and workflow runs by state, approvals waiting and the oldest one’s age, nodes by status and policy blocks by rule, from the records', async () => {
    const { w } = stack;
    const admin = w.ctx(w.actors.admin);
    // A real workflow run, waiting at its step for a person.
    const definition = await createDefinition(w.ctx(w.actors.acmeAdmin), {
      organizationId: w.acme.id,
      name: 'Look first',
      steps: [{ id: 'look', name: 'Look', kind: 'wait_for_person', message: 'look' }],
    });
    const run = await startWorkflowRun(admin, definition.id, {});
    await waitFor('the run to wait for its approval', async () => ((await getJob(admin, run.id)).state === 'waiting_for_approval' ? true : undefined), 60_000);
    const [waitingRun] = await stack.t.db.select().from(jobs).where(eq(jobs.id, run.id));
    expect(waitingRun!.approvalRequestedAt).toBeInstanceOf(Date);
    // The worker's log names the job, its organization and its run.
    const stateLine = stack.controlPlane.worker.output.map(jsonLine).find((l) => l.msg === 'job state' && l.jobId === run.id);
    expect(stateLine).toMatchObject({ organizationId: w.acme.id, workflowId: waitingRun!.workflowId });
    // Records as earlier runs left them: a deployment waiting ten minutes, a failed health check.
    const record = (type: string, state: (typeof jobs.$inferInsert)['state'], extra: Partial<typeof jobs.$inferInsert> = {}) =>
      stack.t.db.insert(jobs).values({ type, state, organizationId: w.acme.id, workflowId: `metrics-${crypto.randomUUID()}`, ...extra });
    await record('deploy_openclaw', 'waiting_for_approval', { approvalRequestedAt: new Date(Date.now() - 600_000) });
    await record('health_check', 'failed');
    await stack.t.db.insert(nodes).values([
      { organizationId: w.acme.id, name: 'm-online', status: 'online' },
      { organizationId: w.acme.id, name: 'm-stale', status: 'stale' },
      { organizationId: w.acme.id, name: 'm-offline-1', status: 'offline' },
      { organizationId: w.acme.id, name: 'm-offline-2', status: 'offline' },
    ]);
    // Two requests the policy engine blocks, each audited with its rule.
    for (let i = 0; i < 2; i++) {
      await expect(enforcePolicy(admin, { organizationId: w.acme.id, capabilityKey: 'no_such_capability', action: 'run' })).rejects.toBeInstanceOf(PolicyBlockedError);
    }

    const text = await scrape();
    expect(valuesOf(text, 'anthropy_approvals_waiting')).toHaveLength(2);
    expect(valueOf(text, 'anthropy_approvals_waiting', { type: 'workflow_run' })).toBe(1);
    expect(valueOf(text, 'anthropy_approvals_waiting', { type: 'deploy_openclaw' })).toBe(1);
    expect(valueOf(text, 'anthropy_approvals_waiting_oldest_age_seconds', { type: 'workflow_run' })).toBeLessThan(60);
    const oldest = valueOf(text, 'anthropy_approvals_waiting_oldest_age_seconds', { type: 'deploy_openclaw' })!;
    expect(oldest).toBeGreaterThanOrEqual(600);
    expect(oldest).toBeLessThan(700);
    expect(valueOf(text, 'anthropy_workflow_runs', { state: 'waiting_for_approval' })).toBe(1);
    expect(valueOf(text, 'anthropy_workflow_runs', { state: 'completed' })).toBe(0);
    expect(valueOf(text, 'anthropy_jobs', { type: 'workflow_run', state: 'waiting_for_approval' })).toBe(1);
    expect(valueOf(text, 'anthropy_jobs', { type: 'deploy_openclaw', state: 'waiting_for_approval' })).toBe(1);
    expect(valueOf(text, 'anthropy_jobs', { type: 'health_check', state: 'failed' })).toBe(1);
    expect(valueOf(text, 'anthropy_jobs', { type: 'health_check', state: 'completed' })).toBe(0);
    // The two enrolled agents have not reported yet: pending.
    expect(['pending', 'online', 'stale', 'offline', 'revoked'].map((status) => valueOf(text, 'anthropy_nodes', { status }))).toEqual([2, 1, 1, 2, 0]);
    expect(valueOf(text, 'anthropy_policy_blocks_total', { rule: 'capability.unknown' })).toBe(2);
  }, 90_000);

  it('counts the heartbeats it accepts, and those that came after the node had turned stale', async () => {
    const before = await scrape();
    const received = valueOf(before, 'anthropy_node_heartbeats_received_total') ?? 0;
    const late = valueOf(before, 'anthropy_node_heartbeats_late_total') ?? 0;
    const report = minimalHeartbeat('health-b');
    const beat = async () => {
      const res = await signedFetch({ serverUrl: stack.base, nodeId: b.id, privateKey: readPrivateKey(b.stateDir), method: 'POST', path: '/api/v1/agent/heartbeat', body: report });
      expect(res.status).toBe(200);
    };
    await beat();
    let text = await scrape();
    expect([valueOf(text, 'anthropy_node_heartbeats_received_total'), valueOf(text, 'anthropy_node_heartbeats_late_total')]).toEqual([received + 1, late]);
    // Its previous report an hour ago: far beyond NODE_STALE_AFTER_MISSED heartbeats.
    await stack.t.db
      .update(nodes)
      .set({ lastSeenAt: new Date(Date.now() - 3_600_000) })
      .where(eq(nodes.id, b.id));
    await beat();
    text = await scrape();
    expect([valueOf(text, 'anthropy_node_heartbeats_received_total'), valueOf(text, 'anthropy_node_heartbeats_late_total')]).toEqual([received + 2, late + 1]);
    // One grep of the node's id finds its heartbeats in the web process's log.
    expect(stack.web.output.filter((l) => l.includes(b.id)).map((l) => jsonLine(l).msg)).toEqual(expect.arrayContaining(['request', 'late heartbeat']));
  });
});

describe('the control-plane worker', () => {
  it("serves the Temporal SDK's worker metrics on its loopback port, and /readyz once it polls its queue", async () => {
    const ready = await waitFor(
      'the worker to be ready',
      async () => {
        const r = await getJson(`${workerHealth}/readyz`);
        return r.status === 200 ? r.body : undefined;
      },
      30_000,
    );
    expect(ready).toMatchObject({ status: 'ready', state: 'RUNNING', missing: [] });
    expect((await getJson(`${workerHealth}/healthz`)).status).toBe(200);
    const { status, text } = await get(workerMetrics);
    expect(status).toBe(200);
    expect(text).toMatch(/^temporal_worker_start_total\{.*\} 1$/m);
    expect(text).toMatch(/^temporal_num_pollers\{.*poller_type="workflow_task".*\} \d+$/m);
  });
});

describe('when Temporal or the database stops', () => {
  it('answers /readyz 503 naming Temporal, on the web process and the worker, and 200 again once Temporal is back', async () => {
    await temporal.restart(0, async () => {
      const web = await getJson(`${stack.base}/readyz`);
      expect(web.status).toBe(503);
      expect(web.body.checks).toEqual({ database: { ok: true }, temporal: { ok: false, reason: expect.any(String) }, migrations: { ok: true } });
      expect((await getJson(`${stack.base}/healthz`)).status).toBe(200);
      const worker = await getJson(`${workerHealth}/readyz`);
      expect(worker.status).toBe(503);
      expect(worker.body.missing).toEqual(expect.arrayContaining([expect.stringMatching(/Temporal did not describe/)]));
    });
    await waitFor('the web process to be ready again', async () => ((await getJson(`${stack.base}/readyz`)).status === 200 ? true : undefined), 30_000);
    await waitFor('the worker to poll again', async () => ((await getJson(`${workerHealth}/readyz`)).status === 200 ? true : undefined), 60_000);
  }, 120_000);

  it('answers /readyz 503 naming the database while it is down, keeps /metrics up without the product series, and recovers', async () => {
    await pg.stop();
    try {
      const { status, body } = await getJson(`${stack.base}/readyz`);
      expect(status).toBe(503);
      expect(body.checks!.database).toEqual({ ok: false, reason: expect.any(String) });
      expect(body.checks!.temporal).toEqual({ ok: true });
      expect(JSON.stringify(body)).not.toMatch(/postgres:\/\/|password/i);
      expect((await getJson(`${stack.base}/healthz`)).status).toBe(200);
      const text = await scrape();
      expect(valueOf(text, 'anthropy_product_metrics_up')).toBe(0);
      for (const name of ['anthropy_approvals_waiting', 'anthropy_jobs', 'anthropy_nodes', 'anthropy_workflow_runs', 'anthropy_policy_blocks_total'])
        expect(valuesOf(text, name)).toEqual([]);
    } finally {
      pg = await startPg();
    }
    await waitFor('the web process to be ready again', async () => ((await getJson(`${stack.base}/readyz`)).status === 200 ? true : undefined), 30_000);
  }, 120_000);
});

describe('agent-worker status', () => {
  it('exits 0 when the agent door describes its queue, and 1 when the door is down', async () => {
    const up = await agentStatus(b.stateDir);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^Can poll:\s+yes/m);
    await stack.door.stop();
    try {
      const down = await agentStatus(b.stateDir);
      expect(down.code).toBe(1);
      expect(down.stdout).toMatch(/^Can poll:\s+no/m);
      expect(down.stderr).toMatch(/cannot poll node\.\S+: the agent door at \S+ does not answer/);
    } finally {
      stack.door = await stack.startDoor();
    }
    expect((await agentStatus(b.stateDir)).code).toBe(0);
  }, 60_000);

  it("lets an agent's credential describe its own queue through the door, and not another node's", async () => {
    const connection = await Connection.connect({ address: stack.doorAddress, apiKey: readTemporalCredential(b.stateDir), tls: false });
    try {
      const describe = (nodeId: string) => connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: `node.${nodeId}` }, taskQueueType: 2 });
      await expect(describe(b.id)).resolves.toBeDefined();
      await expect(describe(c.id)).rejects.toMatchObject({ code: 7 }); // PERMISSION_DENIED
    } finally {
      await connection.close();
    }
  });
});
