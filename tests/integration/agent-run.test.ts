// The agent end to end on one machine: the real web server and control-plane worker, a private Docker
// engine running a customer container and a real OpenClaw gateway started by hand, `agent-worker enroll`
// with a token from the console's service, then `agent-worker run`: the node turns online within an
// interval, its containers appear, the gateway is recorded as a discovered instance; stopping the agent
// turns the node stale, then offline.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { buildNodeImage } from '../../agent-worker/docker/images.ts';
import { requestInventoryRefresh } from '../../api/agents/inventory-refresh.ts';
import { createEnrollmentToken } from '../../api/agents/service.ts';
import { getTemporalClient } from '../../api/temporal-client.ts';
import { instances, nodeContainers, nodes } from '../../db/schema.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';
import { startHandStartedGateway, type HandStartedGateway } from '../jest/openclaw-gateway.ts';
import { startProcess } from '../jest/processes.ts';
import { runCommand } from '../jest/run-command.ts';
import type { Tenants } from '../jest/tenants.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let w: Tenants;
let dir: string;
let engine: RunningDockerEngine;
let claw: HandStartedGateway;
let base: string;
const HEARTBEATS = { NODE_HEARTBEAT_SECONDS: '1', NODE_STALE_AFTER_MISSED: '2', NODE_OFFLINE_AFTER_MISSED: '4' };

const statusIs = (id: string, status: string) => async () => ((await t.db.select({ s: nodes.status }).from(nodes).where(eq(nodes.id, id)))[0]!.s === status ? true : undefined);

beforeAll(async () => {
  stack = await startAgentStack('agent-run', HEARTBEATS);
  ({ t, w, dir, base } = stack);
  // The agent is enrolled and run by the test itself: the engine comes bare, with a customer container
  // and a real OpenClaw gateway started by hand as upstream's compose file runs it (gateway and helper).
  engine = await stack.addEngine('agent-run', async (e) => {
    const image = 'aw-test-node:agent-run';
    await buildNodeImage(e.docker, { tag: image });
    const container = await e.docker.createContainer({
      Image: image,
      name: 'customer-app',
      Cmd: ['/usr/local/bin/node', '-e', 'setInterval(() => {}, 1000)'],
      Labels: { app: 'customer' },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    claw = await startHandStartedGateway(e.docker, 'acme-claw');
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('agent-worker run', () => {
  it('enrolls, turns the node online with its containers, and lets it go stale then offline when stopped', async () => {
    const node = (await t.db.insert(nodes).values({ organizationId: w.msp.id, name: 'local' }).returning())[0]!;
    const { token } = await createEnrollmentToken(w.ctx(w.actors.admin), node.id);
    const stateDir = path.join(dir, 'agent');
    const cli = (args: string[]) =>
      runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'agent-worker/cli.ts'), ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...HEARTBEATS },
      });
    const enrolled = await cli(['enroll', '--server', base, '--token', token, '--state-dir', stateDir]);
    expect(enrolled.code).toBe(0);

    const agent = await startProcess('agent-worker/cli.ts', { ...HEARTBEATS }, /agent running/, 60_000, [
      'run',
      '--state-dir',
      stateDir,
      '--docker-socket',
      engine.socketPath,
      '--heartbeat-seconds',
      '1',
    ]);
    try {
      await waitFor('the node to turn online', statusIs(node.id, 'online'), 5_000);
      const containers = await waitFor(
        'the inventory',
        async () => {
          const rows = await t.db.select().from(nodeContainers).where(eq(nodeContainers.nodeId, node.id));
          return rows.length ? rows : undefined;
        },
        5_000,
      );
      expect(containers.map((c) => c.name).sort()).toEqual(['acme-claw-openclaw-cli', 'acme-claw-openclaw-gateway', 'customer-app']);
      expect(containers.find((c) => c.name === 'customer-app')).toMatchObject({ state: 'running', labels: expect.objectContaining({ app: 'customer' }) });
      // Discovery on the agent found the OpenClaw pair; the console's record is a discovered instance.
      const discovered = await t.db.select().from(instances).where(eq(instances.nodeId, node.id));
      expect(discovered).toEqual([expect.objectContaining({ name: 'acme-claw', state: 'discovered', organizationId: w.msp.id })]);
      expect(discovered[0]!.containerIds).toEqual([(await claw.gateway.inspect()).Id, (await claw.cli.inspect()).Id]);
      expect(discovered[0]!.reasons.join(' ')).toMatch(/anthropy-works\/openclaw/);
      // The gateway's token sits in its environment; environment values never leave the machine.
      const [row0] = await t.db.select().from(nodes).where(eq(nodes.id, node.id));
      expect(JSON.stringify([containers, discovered, row0])).not.toContain(claw.token);
      const [row] = await t.db.select().from(nodes).where(eq(nodes.id, node.id));
      expect(row!.lastReport).toMatchObject({ hostname: os.hostname(), dockerVersion: expect.stringMatching(/^\d+\./) });
      const status = await cli(['status', '--state-dir', stateDir]);
      expect(status.stdout).toMatch(/Node status:\s+online/);
      // "Refresh inventory" from the node page: a signed job on the node's queue, answered by this agent.
      const refresh = await requestInventoryRefresh(w.ctx(w.actors.admin), node.id);
      expect(refresh.temporalUrl).toContain(encodeURIComponent(refresh.workflowId));
      expect(await (await getTemporalClient()).workflow.getHandle(refresh.workflowId).result()).toEqual({ containers: 3 });
    } finally {
      await agent.stop();
    }
    await waitFor('the node to turn stale', statusIs(node.id, 'stale'), 6_000);
    await waitFor('the node to turn offline', statusIs(node.id, 'offline'), 6_000);
  }, 120_000);

  it('refuses an inventory refresh for a node without an enrolled agent, starting nothing', async () => {
    const node = (await t.db.insert(nodes).values({ organizationId: w.msp.id, name: 'not-yet' }).returning())[0]!;
    await expect(requestInventoryRefresh(w.ctx(w.actors.admin), node.id)).rejects.toMatchObject({
      status: 409,
      message: 'Node not-yet has no enrolled agent yet: run the enrollment command on the machine first.',
    });
  });

  it('refuses to run without a Docker engine, in one sentence', async () => {
    const res = await runCommand(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        path.join(REPO_ROOT, 'agent-worker/cli.ts'),
        'run',
        '--state-dir',
        path.join(dir, 'agent'),
        '--docker-socket',
        path.join(dir, 'no-such.sock'),
      ],
      { cwd: REPO_ROOT, env: process.env },
    );
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe(`agent-worker run: No Docker engine answers at ${path.join(dir, 'no-such.sock')}: start Docker, or pass --docker-socket.`);
  });
});
