// Least privilege for the agent's processes (issue 10, item 5): the agent the test harness runs, as
// `npm start` runs its local one, holds none of the control plane's secrets in its environment, though
// this process holds them all; nor does the `npm install` of the OpenClaw bundle that it spawns for a
// bundle check (here a probe named npm, first on the agent's PATH, which records what it was given).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { requestBundleCheck } from '../../api/system/bundle-check.ts';
import { jobs, nodes } from '../../db/schema.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { enrollTestAgent, runTestAgent } from '../jest/agents.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { agentEnvironmentLeaks, environOf, NO_LEAKS } from '../jest/environ.ts';
import type { TestProcess } from '../jest/processes.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);

// Besides what this process holds already (the signing key, the secrets key, the database URL), the
// harness is handed more of the control plane's settings for the agent: it must pass none of them on.
const HANDED_TO_THE_HARNESS = { ADMIN_PASSWORD: 'admin-password-never-for-agents', APPROVAL_GRANT_KEY: 'approval-grant-key-never-for-agents' };
const SECRET_NAMES = ['CONTROL_PLANE_SIGNING_KEY', 'SECRETS_KEY', 'DATABASE_URL'];

let stack: AgentStack;
let engine: RunningDockerEngine;
let agent: TestProcess;
let nodeId: string;
let probeOutput: string;

/** Every secret the agent must not see, by name, with its value. */
const secrets = () => ({ ...Object.fromEntries(SECRET_NAMES.map((name) => [name, process.env[name]])), ...HANDED_TO_THE_HARNESS });

beforeAll(async () => {
  for (const name of SECRET_NAMES) expect(process.env[name]).toBeTruthy(); // what the agent must not inherit is really there
  stack = await startAgentStack('agent-environment');
  engine = await stack.addEngine('agent-environment');
  nodeId = (await stack.t.db.insert(nodes).values({ organizationId: stack.w.acme.id, name: 'env-probe' }).returning())[0]!.id;
  const stateDir = path.join(stack.dir, 'agent');
  await enrollTestAgent(stack.w.ctx(stack.w.actors.admin), nodeId, stack.base, stateDir);

  // A cache without the bundle's npm install, and an `npm` first on PATH that records its environment
  // (as its shell was given it) and fails, so the bundle check stops there.
  const probes = path.join(stack.dir, 'probes');
  fs.mkdirSync(probes);
  probeOutput = path.join(stack.dir, 'npm.environ');
  fs.writeFileSync(path.join(probes, 'npm'), `#!/bin/sh\ncat /proc/$$/environ > '${probeOutput}'\necho 'npm probe: not installing' >&2\nexit 1\n`, { mode: 0o755 });
  agent = await runTestAgent(stateDir, engine.socketPath, {
    ...HANDED_TO_THE_HARNESS,
    PATH: `${probes}:${process.env.PATH}`,
    ANTHROPY_CACHE_DIR: path.join(stack.dir, 'empty-cache'),
    NODE_HEARTBEAT_SECONDS: '1',
  });
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await stack?.stop();
});

describe("the agent's environment", () => {
  it('holds only allow-listed variables and no control-plane secret', () => {
    const env = environOf(agent.child.pid!);
    expect(env.get('PATH')).toMatch(/probes:/); // the block read is the agent's own
    expect(agentEnvironmentLeaks(env, secrets())).toEqual(NO_LEAKS);
  });

  it("is all that the npm install it spawns for the bundle gets (with npm's one setting of its own)", async () => {
    const job = await requestBundleCheck(stack.w.ctx(stack.w.actors.admin), nodeId);
    const failed = await waitFor(
      'the bundle check to fail at npm',
      async () => {
        const [row] = await stack.t.db.select().from(jobs).where(eq(jobs.id, job.id));
        return row?.state === 'failed' ? row : undefined;
      },
      90_000,
    );
    expect(failed.failureReason).toMatch(/npm install failed with code 1: npm probe: not installing/);
    const env = environOf(probeOutput);
    expect(env.get('npm_config_engine_strict')).toBe('false');
    expect(env.get('ANTHROPY_CACHE_DIR')).toBe(path.join(stack.dir, 'empty-cache'));
    expect(agentEnvironmentLeaks(env, secrets(), ['npm_config_engine_strict'])).toEqual(NO_LEAKS);
  }, 120_000);
});
