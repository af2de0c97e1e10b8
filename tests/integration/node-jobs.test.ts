// Node jobs end to end: the control plane signs an inventory job, only the node's own queue runs it,
// and the result is believed only if the node's registered agent signed it. A rogue worker polling that
// queue with another key gets the job but its result is refused (and audited); a node whose agent does
// not pick the job up fails with "node offline".
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { statePaths, writePrivateFile } from '../../agent-worker/config.ts';
import { buildNodeImage } from '../../agent-worker/docker/images.ts';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { createEnrollmentToken } from '../../api/agents/service.ts';
import { auditEvents, nodes } from '../../db/schema.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { startDockerEngine, type RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import type { refreshNodeInventory } from '../../workflows/refresh-node-inventory.ts';
import { ownControlPlaneQueue, startControlPlane, type TestControlPlane } from '../jest/control-plane.ts';
import { freshDatabase, type TestDatabase } from '../jest/db.ts';
import { startProcess, type TestProcess } from '../jest/processes.ts';
import { runCommand } from '../jest/run-command.ts';
import { seedTenants, type Tenants } from '../jest/tenants.ts';

const QUEUE = ownControlPlaneQueue(import.meta.url);

let t: TestDatabase;
let w: Tenants;
let dir: string;
let engine: RunningDockerEngine;
let web: TestProcess;
let controlPlane: TestControlPlane;
let client: Client;
let base: string;
let nodeId: string;
let stateDir: string;

const refresh = (id: string, offlineAfterSeconds = 20) => client.workflow.execute<typeof refreshNodeInventory>('refreshNodeInventory', {
  taskQueue: QUEUE, workflowId: `refresh-inventory-${id}-${Date.now()}`, args: [{ nodeId: id, offlineAfterSeconds }], workflowExecutionTimeout: '2 minutes',
});
const agent = (state: string) => startProcess('agent-worker/cli.ts', { NODE_HEARTBEAT_SECONDS: '5' }, /agent running/, 60_000,
  ['run', '--state-dir', state, '--docker-socket', engine.socketPath]);
const failureOf = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the run to fail'); }, (e: unknown) => e as WorkflowFailedError);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-node-jobs-'));
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  w = await seedTenants(t.db);
  engine = await startDockerEngine({ dir: path.join(dir, 'engine'), name: 'nodejobsint' });
  await buildNodeImage(engine.docker, { tag: 'aw-test-node:jobs' });
  const app = await engine.docker.createContainer({ Image: 'aw-test-node:jobs', name: 'billing', Cmd: ['/usr/local/bin/node', '-e', 'setInterval(() => {}, 1000)'], HostConfig: { NetworkMode: 'none' } });
  await app.start();
  const port = await freePort();
  base = `http://localhost:${port}`;
  controlPlane = await startControlPlane({ DATABASE_URL: t.url });
  client = controlPlane.client;
  web = await startProcess('web/server.ts', { DATABASE_URL: t.url, PORT: String(port), PUBLIC_URL: base }, /web console listening/);
  nodeId = (await t.db.insert(nodes).values({ organizationId: w.acme.id, name: 'edge' }).returning())[0]!.id;
  const { token } = await createEnrollmentToken(w.ctx(w.actors.admin), nodeId);
  stateDir = path.join(dir, 'agent');
  const enrolled = await runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'agent-worker/cli.ts'), 'enroll', '--server', base, '--token', token, '--state-dir', stateDir], { cwd: REPO_ROOT, env: process.env });
  expect(enrolled.code).toBe(0);
}, 120_000);

afterAll(async () => {
  await web?.stop();
  await controlPlane?.stop();
  await engine?.stop();
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const events = (outcome: 'success' | 'denied') => t.db.select().from(auditEvents)
  .where(and(eq(auditEvents.action, 'node.job.inventory.list'), eq(auditEvents.targetId, nodeId), eq(auditEvents.outcome, outcome)));

describe('node jobs', () => {
  it('runs an inventory job on the node\'s agent and believes its signed result', async () => {
    const real = await agent(stateDir);
    try {
      expect(await refresh(nodeId)).toEqual({ containers: 1 });
      expect(await events('success')).toHaveLength(1);
    } finally {
      await real.stop();
    }
  }, 60_000);

  it('refuses the result of a rogue worker on that node\'s queue, and records the refusal', async () => {
    // Same node id and queue, but a key the control plane never registered.
    const rogueDir = path.join(dir, 'rogue');
    fs.cpSync(stateDir, rogueDir, { recursive: true });
    writePrivateFile(statePaths(rogueDir).privateKey, generateKeyPair().privateKey);
    const rogue = await agent(rogueDir);
    try {
      const err = await failureOf(refresh(nodeId));
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(String(err.cause?.message)).toMatch(/^result refused: the result of envelope [0-9a-f-]+ is not signed by node [0-9a-f-]+'s registered agent key$/);
      expect((await events('denied')).map((e) => e.reason)).toEqual([expect.stringMatching(/^result refused: /)]);
    } finally {
      await rogue.stop();
    }
  }, 60_000);

  it('fails with "node offline" when no agent picks the job up in time', async () => {
    const err = await failureOf(refresh(nodeId, 2));
    expect(String(err.cause?.message)).toBe('node offline: no agent picked up the job within 2 s');
  }, 60_000);
});
