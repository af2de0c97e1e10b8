// Capabilities enforced inside OpenClaw (issue 12), end to end with real parts: a gateway deployed by
// the real control plane and agent on a real Docker engine, a tool policy applied by the approval-gated
// job "apply capabilities to <instance> on <node>", validated by the gateway's own `openclaw config
// validate`, and proved by the running gateway's effective tool list (exec denied). Then the gateway's
// configuration is edited by hand inside its container: the next heartbeat turns the instance drifted,
// with the difference; applying again mends it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq } from 'drizzle-orm';
import { MANAGED_CONFIG_PATH, readFileFrom } from '../../agent-worker/openclaw/gateway-config.ts';
import { execIn } from '../../agent-worker/openclaw/health.ts';
import { applyToolPolicy, readToolPolicy } from '../../agent-worker/openclaw/tool-policy.ts';
import { requestCapabilityApply } from '../../api/instances/capabilities.ts';
import { requestDeployment } from '../../api/instances/service.ts';
import { approveJob } from '../../api/jobs/service.ts';
import { getNodeInventory } from '../../api/nodes/inventory.ts';
import { auditEvents, instances } from '../../db/schema.ts';
import { freePort } from '../../infra/ports.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import type { ToolPolicy } from '../../protocol/tool-policy.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';
import { failure, type Tenants } from '../jest/tenants.ts';
import { jobEnded, jobWaitingForApproval } from '../jest/job-waits.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let w: Tenants;
let engine: RunningDockerEngine;
let nodeId: string;
let instanceId: string;

const NO_RUNTIME: ToolPolicy = { profile: 'coding', deny: ['group:runtime'], exec: { security: 'deny', ask: 'always' } };

const settled = (jobId: string, withinMs: number) => jobEnded(t.db, jobId, withinMs);
const waiting = (jobId: string) => jobWaitingForApproval(t.db, jobId);
const instanceRow = async () => (await t.db.select().from(instances).where(eq(instances.id, instanceId)))[0]!;
const ref = async () => {
  const row = await instanceRow();
  return { gatewayId: row.containerIds[0]!, cliId: row.containerIds[1]!, port: row.port! };
};

/** Applies `policy` through the job, approved by the MSP admin; returns the ended job. */
async function apply(policy: ToolPolicy, summary: string) {
  const job = await requestCapabilityApply(w.ctx(w.actors.operator), instanceId, policy, summary);
  expect(job).toMatchObject({ type: 'apply_capabilities', approvalPhrase: 'apply capabilities to acme-tools on tools-edge', label: 'Apply capabilities' });
  const asked = await waiting(job.id);
  expect(asked.result).toMatchObject({ summary, desired: policy, before: { hash: expect.stringMatching(/^sha256:/) } });
  await approveJob(w.ctx(w.actors.admin), job.id, { phrase: 'apply capabilities to acme-tools on tools-edge' });
  return settled(job.id, 300_000);
}

beforeAll(async () => {
  stack = await startAgentStack('apply-capabilities', { NODE_HEARTBEAT_SECONDS: '1' });
  ({ t, w } = stack);
  ({ engine, nodeId } = await stack.addNode({ name: 'tools-edge', organizationId: w.acme.id, engine: 'apply-capabilities' }));
  const deploy = await requestDeployment(w.ctx(w.actors.operator), { nodeId, instanceName: 'acme-tools', port: await freePort() });
  await waiting(deploy.id);
  await approveJob(w.ctx(w.actors.admin), deploy.id, { phrase: 'deploy openclaw to tools-edge' });
  const deployed = await settled(deploy.id, 420_000);
  if (deployed.state !== 'completed') throw new Error(`the deployment ended ${deployed.state}: ${deployed.failureReason}`);
  instanceId = deployed.instanceId!;
}, 600_000);

afterAll(() => stack?.stop());

describe('applying capabilities to a deployed gateway', () => {
  it('gives a new gateway its configuration in its state volume, reported with each heartbeat and never drifted before an apply', async () => {
    const text = await readFileFrom(engine.docker, (await ref()).gatewayId, MANAGED_CONFIG_PATH);
    expect(JSON.parse(text!)).toEqual({ models: { catalogRefresh: { enabled: false } }, update: { checkOnStart: false }, gateway: { controlUi: { enabled: false } } });
    const row = await waitFor('the first configuration report', async () => ((await instanceRow()).reportedToolsHash ? instanceRow() : undefined), 30_000);
    expect(row).toMatchObject({ appliedToolsHash: null, driftedSince: null, reportedTools: {} });
  });

  it('refuses who may not ask, and a policy OpenClaw would refuse, before any job', async () => {
    expect(await failure(requestCapabilityApply(w.ctx(w.actors.acmeAdmin), instanceId, NO_RUNTIME, 'deny the runtime'))).toMatchObject({ status: 403 });
    expect(await failure(requestCapabilityApply(w.ctx(w.actors.globexAdmin), instanceId, NO_RUNTIME, 'deny the runtime'))).toMatchObject({ status: 404 });
    const both = { allow: ['read'], alsoAllow: ['exec'] } as ToolPolicy;
    expect(await failure(requestCapabilityApply(w.ctx(w.actors.operator), instanceId, both, 'both lists'))).toMatchObject({
      status: 400,
      fieldErrors: { 'toolPolicy.alsoAllow': expect.stringContaining('cannot both be set') },
    });
  });

  it("writes nothing when the gateway's own schema refuses the configuration", async () => {
    const before = await readFileFrom(engine.docker, (await ref()).gatewayId, MANAGED_CONFIG_PATH);
    // Past our schema on purpose (the agent's handler gets checked parameters): OpenClaw's validation must stop it.
    const bogus = { profile: 'everything' } as unknown as ToolPolicy;
    await expect(applyToolPolicy(engine.docker, { ...(await ref()), policy: bogus }, { timeoutMs: 60_000 })).rejects.toThrow(
      /OpenClaw's own validation refused the configuration, so nothing was written: tools\.profile: Invalid input/,
    );
    expect(await readFileFrom(engine.docker, (await ref()).gatewayId, MANAGED_CONFIG_PATH)).toBe(before);
    expect(await readFileFrom(engine.docker, (await ref()).gatewayId, `${MANAGED_CONFIG_PATH}.anthropy-candidate`)).toBeNull();
  }, 120_000);

  it('applies a policy denying the runtime group after its approval: the running gateway no longer offers exec', async () => {
    const before = await readToolPolicy(engine.docker, await ref());
    expect(before.effective.allowed).toContain('read');
    const done = await apply(NO_RUNTIME, 'pack Support desk: no shell');
    expect(done.failureReason).toBeNull();
    expect(done.state).toBe('completed');
    expect(done.result).toMatchObject({ hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), changed: true, reload: expect.stringMatching(/^(hot|restart)$/), profile: 'coding' });
    const allowed = done.result!.allowed as string[];
    expect(allowed).toEqual(expect.arrayContaining(['read', 'write']));
    expect(allowed).not.toContain('exec');
    expect(allowed).not.toContain('process');
    expect(done.result!.denied).toEqual(expect.arrayContaining(['exec', 'process']));
    // Asked again of the running gateway, apart from the job.
    const now = await readToolPolicy(engine.docker, await ref());
    expect(now).toMatchObject({ hash: done.result!.hash, policy: NO_RUNTIME, configPath: MANAGED_CONFIG_PATH });
    expect(now.effective.allowed).not.toContain('exec');
    // The rest of the file is kept.
    expect(JSON.parse((await readFileFrom(engine.docker, (await ref()).gatewayId, MANAGED_CONFIG_PATH))!)).toMatchObject({ update: { checkOnStart: false }, tools: NO_RUNTIME });
    expect(await instanceRow()).toMatchObject({ appliedToolsHash: done.result!.hash, appliedTools: NO_RUNTIME, driftedSince: null });
  }, 400_000);

  it('turns the instance drifted on the next heartbeat after a hand edit of the file, with the difference; applying again mends it', async () => {
    const { gatewayId } = await ref();
    const applied = (await instanceRow()).appliedToolsHash;
    // By hand, inside the container: someone gives the runtime back.
    const edit = `const fs = require('fs'); const f = process.argv[1]; const c = JSON.parse(fs.readFileSync(f, 'utf8')); delete c.tools.deny; fs.writeFileSync(f, JSON.stringify(c));`;
    expect((await execIn(engine.docker, gatewayId, ['node', '-e', edit, MANAGED_CONFIG_PATH])).exitCode).toBe(0);
    const editedAt = Date.now();
    const drifted = await waitFor('the instance to be drifted', async () => ((await instanceRow()).driftedSince ? instanceRow() : undefined), 10_000);
    // The heartbeat comes every second: the drift is noticed within a couple of them.
    expect(Date.now() - editedAt).toBeLessThan(5_000);
    expect(drifted.reportedToolsHash).not.toBe(applied);
    expect(drifted.reportedTools).toEqual({ profile: 'coding', exec: { security: 'deny', ask: 'always' } });
    const shown = (await getNodeInventory(w.ctx(w.actors.operator), nodeId)).instances.find((i) => i.id === instanceId)!;
    expect(shown.toolPolicy).toMatchObject({ drifted: true, driftedSince: drifted.driftedSince!.toISOString(), desired: NO_RUNTIME, actual: { profile: 'coding' } });
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, instanceId), eq(auditEvents.action, 'instance.drifted')));
    expect(event).toMatchObject({ actorType: 'agent', outcome: 'failure' });

    // Re-applying a drifted instance is the same job.
    const mended = await apply(NO_RUNTIME, 'pack Support desk: no shell (again)');
    expect(mended.state).toBe('completed');
    expect(mended.result).toMatchObject({ hash: applied, changed: true });
    expect(mended.result!.allowed).not.toContain('exec');
    await new Promise((r) => setTimeout(r, 3_000)); // a few heartbeats
    expect(await instanceRow()).toMatchObject({ driftedSince: null, reportedToolsHash: applied });
  }, 400_000);
});
