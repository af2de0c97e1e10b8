// Issue 19's "done when" for a change of version, end to end on real parts: six real OpenClaw instances,
// three on each of two nodes (each node its own Docker engine and a real enrolled agent), deployed at
// 2026.9.5 by the product's own deployment jobs and each given a file in its state volume; then one
// rollout to 2026.9.6 with a canary of one, batches of two and a second approval after the canary:
//   - it pauses after the canary for the second approval (nothing else has moved);
//   - the second batch fails by itself on a real fault: one instance's tool policy was given back by hand
//     on its node after capabilities were applied (drift), so the new version passes /healthz, /readyz and
//     `openclaw gateway health` but not the gate's tool-policy check; that instance is rolled back to
//     2026.9.5 with its snapshot's state, and the rollout stops by its threshold (one failure per batch);
//   - the fix is the product's own: capabilities applied again; a resume through the API runs the rest;
//   - mid-batch the control-plane worker is killed and the Temporal server restarted; the batch finishes,
//     each instance changed by exactly one job;
//   - a second rollout over what the first left behind (the mended instance), run beside it, ends the
//     fleet on 2026.9.6: every gateway on the new image, with its file and its token.
// A downgrade rollout (2026.9.6 → 2026.9.5) cannot be the scenario: 2026.9.5 refuses a state database
// 2026.9.6 has written (schema 18 against its 17), so every downgrade of an upgraded instance rolls back.
// This file runs its own Temporal server (restarted mid-batch) and its own two engines, whose images are
// built once per machine (both versions, before the agents start).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq, inArray } from 'drizzle-orm';
import { bundleVersion } from '../../agent-worker/openclaw/bundle.ts';
import { LABELS } from '../../agent-worker/openclaw/containers.ts';
import { MANAGED_CONFIG_PATH } from '../../agent-worker/openclaw/gateway-config.ts';
import { execIn } from '../../agent-worker/openclaw/health.ts';
import { ensureBundleImage } from '../../agent-worker/openclaw/image.ts';
import { controlRollout, requestRollout } from '../../api/fleet/service.ts';
import { requestCapabilityApply } from '../../api/instances/capabilities.ts';
import { requestDeployment } from '../../api/instances/service.ts';
import { approveJob } from '../../api/jobs/service.ts';
import { instances, jobs, rolloutControls } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import type { ToolPolicy } from '../../protocol/tool-policy.ts';
import { startAgentStack, type AgentStack, type StackNode } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { jobEnded, jobUntil, jobWaitingForApproval, rolloutChildren } from '../jest/job-waits.ts';
import { killProcess, startOwnTemporal, type OwnTemporal } from '../jest/own-temporal.ts';
import type { Tenants } from '../jest/tenants.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);

const FROM = '2026.9.5';
const TO = '2026.9.6';
const MARKER = '/home/node/.openclaw/fleet-marker.txt';
const NO_RUNTIME: ToolPolicy = { profile: 'coding', deny: ['group:runtime'], exec: { security: 'deny', ask: 'always' } };

let temporal: OwnTemporal;
let stack: AgentStack;
let w: Tenants;
const fleet: { name: string; node: StackNode; id: string; token: string }[] = [];

const jobRow = async (id: string) => (await stack.t.db.select().from(jobs).where(eq(jobs.id, id)))[0]!;
const until = (id: string, test: (job: Awaited<ReturnType<typeof jobRow>>) => boolean, what: string, withinMs = 240_000) => jobUntil(stack.t.db, id, test, what, withinMs);
const childrenOf = (rolloutId: string) => rolloutChildren(stack.t.db, rolloutId);
const rows = () =>
  stack.t.db
    .select()
    .from(instances)
    .where(
      inArray(
        instances.id,
        fleet.map((i) => i.id),
      ),
    );
const member = (name: string) => fleet.find((i) => i.name === name)!;
const rowOf = async (name: string) => (await rows()).find((r) => r.id === member(name).id)!;
/** The gateway's token, compared here, never printed. */
const tokenOf = async (engine: RunningDockerEngine, containerId: string) =>
  ((await engine.docker.getContainer(containerId).inspect()).Config.Env ?? []).find((e) => e.startsWith('OPENCLAW_GATEWAY_TOKEN=')) ?? '';
const readMarker = async (engine: RunningDockerEngine, containerId: string) =>
  (
    await execIn(engine.docker, containerId, [
      'node',
      '-e',
      `const fs = require('fs'); process.stdout.write(fs.existsSync(${JSON.stringify(MARKER)}) ? fs.readFileSync(${JSON.stringify(MARKER)}, 'utf8') : '<missing>')`,
    ])
  ).output;

/** Applies the tool policy to `name` through its approval-gated job; returns the ended job. */
async function applyPolicy(name: string, summary: string) {
  const job = await requestCapabilityApply(w.ctx(w.actors.operator), member(name).id, NO_RUNTIME, summary);
  await jobWaitingForApproval(stack.t.db, job.id);
  await approveJob(w.ctx(w.actors.admin), job.id, { phrase: job.approvalPhrase! });
  return jobEnded(stack.t.db, job.id, 180_000);
}

/** Both versions' images on the engine before its agent starts: built once per machine, found by label after. */
const withImages = async (engine: RunningDockerEngine) => {
  for (const version of [FROM, TO]) await ensureBundleImage(engine.docker, { cacheDir: loadConfig().cacheDir, version });
};

beforeAll(async () => {
  const startedAt = Date.now();
  temporal = await startOwnTemporal('fleet-upgrade');
  stack = await startAgentStack('fleet-upgrade-rollout');
  w = stack.w;
  const [nodeA, nodeB] = await Promise.all([
    stack.addNode({ name: 'edge-a', organizationId: w.acme.id, engine: 'fleet-upgrade-a', prepare: withImages }),
    stack.addNode({ name: 'edge-b', organizationId: w.acme.id, engine: 'fleet-upgrade-b', prepare: withImages }),
  ]);
  console.log(`stack and images: ${Math.round((Date.now() - startedAt) / 1000)} s`);

  // Six deployments at the older version, approved one by one as an operator would, running together.
  const ports = new Set<number>();
  while (ports.size < 6) ports.add(await freePort());
  const planned = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'].map((n, i) => ({ name: `claw-${n}`, node: n.startsWith('a') ? nodeA : nodeB, port: [...ports][i]! }));
  const deployments = await Promise.all(
    planned.map(async (p) => {
      const job = await requestDeployment(w.ctx(w.actors.operator), { nodeId: p.node.nodeId, instanceName: p.name, port: p.port, bundleVersion: FROM });
      await jobWaitingForApproval(stack.t.db, job.id);
      await approveJob(w.ctx(w.actors.admin), job.id, { phrase: `deploy openclaw to ${p.node.name}` });
      const ended = await jobEnded(stack.t.db, job.id, 420_000);
      console.log(`${p.name} deployed (${ended.state}): ${Math.round((Date.now() - startedAt) / 1000)} s`);
      // claw-a3 (the second batch) has capabilities applied: the fault is a drift from them (see the test).
      if (p.name === 'claw-a3' && ended.state === 'completed') fleet.push({ name: p.name, node: p.node, id: ended.instanceId!, token: '' });
      return { ...p, job: ended, applied: p.name === 'claw-a3' && ended.state === 'completed' ? await applyPolicy('claw-a3', 'pack Support desk: no shell') : undefined };
    }),
  );
  for (const d of deployments) {
    if (d.job.state !== 'completed') throw new Error(`the deployment of ${d.name} ended ${d.job.state}: ${d.job.failureReason}`);
    if (d.applied && d.applied.state !== 'completed') throw new Error(`applying capabilities to ${d.name} ended ${d.applied.state}: ${d.applied.failureReason}`);
    if (!fleet.some((f) => f.id === d.job.instanceId)) fleet.push({ name: d.name, node: d.node, id: d.job.instanceId!, token: '' });
  }
  fleet.sort((x, y) => x.name.localeCompare(y.name));
  // A file of each instance's own in its state volume, and its token, to find after the change.
  for (const row of await rows()) {
    const i = fleet.find((f) => f.id === row.id)!;
    const written = await execIn(i.node.engine.docker, row.containerIds[0]!, ['node', '-e', `require('fs').writeFileSync(${JSON.stringify(MARKER)}, ${JSON.stringify(i.name)})`]);
    if (written.exitCode !== 0) throw new Error(`could not write into ${i.name}'s state: ${written.output}`);
    i.token = await tokenOf(i.node.engine, row.containerIds[0]!);
  }
  console.log(`six instances deployed at ${FROM}: ${Math.round((Date.now() - startedAt) / 1000)} s`);
}, 900_000);

afterAll(async () => {
  await stack?.stop();
  await temporal?.stop();
});

describe('a rollout changing six instances on two nodes to another version', () => {
  it('pauses after its canary, stops itself on a failed batch, resumes after the fix, survives a worker kill and a Temporal restart, and ends the fleet on the new version with its state', async () => {
    const startedAt = Date.now();
    const elapsed = () => `${Math.round((Date.now() - startedAt) / 1000)} s`;
    expect((await rows()).map((r) => r.bundleVersion)).toEqual(Array(6).fill(FROM));

    // The fault, in claw-a3 (the second batch): its capabilities applied (beforeAll), then the runtime given back by hand on its node.
    const appliedHash = (await rowOf('claw-a3')).appliedToolsHash;
    expect(appliedHash).toMatch(/^sha256:/);
    const a3 = member('claw-a3');
    const edit = `const fs = require('fs'); const f = process.argv[1]; const c = JSON.parse(fs.readFileSync(f, 'utf8')); delete c.tools.deny; fs.writeFileSync(f, JSON.stringify(c));`;
    expect((await execIn(a3.node.engine.docker, (await rowOf('claw-a3')).containerIds[0]!, ['node', '-e', edit, MANAGED_CONFIG_PATH])).exitCode).toBe(0);
    console.log(`policy drifted: ${elapsed()}`);

    // One rollout over the organization: a canary of one, batches of two, a second approval after the canary.
    const operator = w.ctx(w.actors.operator);
    const rollout = await requestRollout(operator, {
      action: 'upgrade',
      organizationId: w.acme.id,
      toVersion: TO,
      canarySize: 1,
      batchSize: 2,
      maxFailuresPerBatch: 1,
      secondApproval: true,
    });
    expect(rollout).toMatchObject({
      type: 'fleet_rollout',
      approvalPhrase: `change 6 instances to ${TO}`,
      params: expect.objectContaining({ count: 6, options: { toVersion: TO } }),
    });
    expect((rollout.params.targets as { name: string }[]).map((t) => t.name)).toEqual(['claw-a1', 'claw-a2', 'claw-a3', 'claw-b1', 'claw-b2', 'claw-b3']);
    await until(rollout.id, (j) => j.state === 'waiting_for_approval', 'the rollout to wait for its approval', 60_000);
    await approveJob(w.ctx(w.actors.admin), rollout.id, { phrase: `change 6 instances to ${TO}` });

    // The canary alone, then the second approval: nothing else has moved.
    const atCanary = await until(rollout.id, (j) => j.step === 'canary approval' || ['failed', 'completed'].includes(j.state), 'the canary approval');
    console.log(`canary done, waiting for the second approval: ${elapsed()}`);
    expect(atCanary).toMatchObject({ state: 'waiting_for_approval', step: 'canary approval', approvalPhrase: `continue change 6 instances to ${TO}` });
    expect(atCanary.result).toMatchObject({ completed: 1, failed: 0, pending: 5 });
    const canaryJobs = await childrenOf(rollout.id);
    expect(canaryJobs.map((c) => [c.type, c.instanceId, c.state])).toEqual([['upgrade_openclaw', member('claw-a1').id, 'completed']]);
    expect((await rows()).filter((r) => r.bundleVersion === TO).map((r) => r.id)).toEqual([member('claw-a1').id]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await childrenOf(rollout.id)).toHaveLength(1);
    await approveJob(w.ctx(w.actors.admin), rollout.id, { phrase: `continue change 6 instances to ${TO}` });

    // The second batch: claw-a2 passes; claw-a3's new version fails the gate's tool-policy check and is rolled back.
    const stopped = await until(rollout.id, (j) => j.step === 'stopped' || ['failed', 'completed'].includes(j.state), 'the rollout to stop itself');
    console.log(`second batch failed, rollout stopped: ${elapsed()}`);
    expect(stopped.state).toBe('running');
    expect(stopped.result).toMatchObject({ completed: 2, failed: 1, pending: 3, stopped: 'batch 2 had 1 failure(s) (the limit is 1)' });
    const [held] = await stack.t.db.select().from(rolloutControls).where(eq(rolloutControls.jobId, rollout.id));
    expect(held).toMatchObject({ control: 'pause', changedBy: null });
    const failedJob = (await childrenOf(rollout.id)).find((c) => c.instanceId === a3.id)!;
    expect(failedJob.state).toBe('failed');
    expect(failedJob.failureReason).toMatch(
      new RegExp(
        `^the upgrade to ${TO.replaceAll('.', '\\.')} failed: the gateway's tool policy sha256:\\w+ is not the one applied \\(${appliedHash}\\); rolled back to ${FROM.replaceAll('.', '\\.')} with the state of .+, healthy again$`,
      ),
    );
    // Rolled back with its state: its own containers, its version, its file, its token; the hand edit too (the snapshot's state).
    const a3Row = await rowOf('claw-a3');
    expect(a3Row.bundleVersion).toBe(FROM);
    const a3Gateway = await a3.node.engine.docker.getContainer(a3Row.containerIds[0]!).inspect();
    expect(a3Gateway).toMatchObject({ State: { Running: true }, Name: '/claw-a3-openclaw-gateway', Config: { Labels: expect.objectContaining({ [LABELS.bundleVersion]: FROM }) } });
    expect(await readMarker(a3.node.engine, a3Row.containerIds[0]!)).toBe('claw-a3');
    expect(await tokenOf(a3.node.engine, a3Row.containerIds[0]!)).toBe(a3.token);
    // Held: nothing on the second node has started, and nothing does without a person's resume.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await childrenOf(rollout.id)).map((c) => c.instanceId).sort()).toEqual([member('claw-a1').id, member('claw-a2').id, a3.id].sort());
    expect((await jobRow(rollout.id)).step).toBe('stopped');

    // The fix: the capabilities applied again (the product's way to mend a drift), then a resume through the API.
    const mended = await applyPolicy('claw-a3', 'pack Support desk: no shell (again)');
    expect(mended.state).toBe('completed');
    expect(mended.result).toMatchObject({ hash: appliedHash });
    console.log(`policy mended: ${elapsed()}`);
    await controlRollout(operator, rollout.id, 'resume');
    // A resume does not retry a failed target (ADR 0030): the instance it left behind goes by a rollout of its
    // own, started beside the resumed one (the machine has two cores: the two overlap their waits).
    const rest = await requestRollout(operator, { action: 'upgrade', instanceIds: [a3.id], toVersion: TO, canarySize: 0, batchSize: 2 });
    expect(rest).toMatchObject({ approvalPhrase: `change 1 instance to ${TO}`, params: expect.objectContaining({ count: 1 }) });
    await until(rest.id, (j) => j.state === 'waiting_for_approval', 'the second rollout to wait for its approval', 60_000);
    await approveJob(w.ctx(w.actors.admin), rest.id, { phrase: `change 1 instance to ${TO}` });

    // Mid-batch (the third: claw-b1 and claw-b2 changing machines), the worker is killed and Temporal restarted.
    await waitFor(
      'the third batch to be changing its machines',
      async () => {
        const batch = (await childrenOf(rollout.id)).filter((c) => c.nodeId === member('claw-b1').node.nodeId);
        return batch.length === 2 && batch.some((c) => ['switch', 'health gate'].includes(c.step ?? '')) ? true : undefined;
      },
      120_000,
    );
    console.log(`third batch under way, killing the worker and restarting Temporal: ${elapsed()}`);
    await killProcess(stack.controlPlane.worker);
    await stack.controlPlane.closeClients();
    await temporal.restart(); // same port, same database file
    stack.controlPlane = await stack.startControlPlane();

    const ended = (id: string, what: string) => until(id, (j) => ['completed', 'failed', 'cancelled', 'expired'].includes(j.state), what, 300_000);
    const [done, restDone] = await Promise.all([ended(rollout.id, 'the rollout to end'), ended(rest.id, 'the second rollout to end')]);
    console.log(`both rollouts ended: ${elapsed()}`);
    expect(done.state).toBe('completed');
    expect(done.result).toMatchObject({ total: 6, completed: 5, failed: 1, stopped: null });
    expect(restDone.state).toBe('completed');
    expect(restDone.result).toMatchObject({ total: 1, completed: 1, failed: 0 });
    // Each instance changed by exactly one job of the first rollout across the kill and the restart, a3 once more by the second.
    const children = await childrenOf(rollout.id);
    expect(children.map((c) => c.instanceId).sort()).toEqual(fleet.map((i) => i.id).sort());
    expect(children.filter((c) => c.state === 'completed')).toHaveLength(5);
    expect((await childrenOf(rest.id)).map((c) => [c.instanceId, c.state])).toEqual([[a3.id, 'completed']]);

    // The whole fleet on the new version: each gateway on the new image, with its file, its token, and a3 its policy.
    const image = bundleVersion(TO).image;
    for (const row of await rows()) {
      const i = fleet.find((f) => f.id === row.id)!;
      expect([i.name, row.bundleVersion]).toEqual([i.name, TO]);
      const gateway = await i.node.engine.docker.getContainer(row.containerIds[0]!).inspect();
      expect([i.name, gateway.State.Running, gateway.Config.Image, gateway.Config.Labels?.[LABELS.bundleVersion]]).toEqual([i.name, true, image, TO]);
      expect(await readMarker(i.node.engine, row.containerIds[0]!)).toBe(i.name);
      expect(await tokenOf(i.node.engine, row.containerIds[0]!)).toBe(i.token);
    }
    expect((await rowOf('claw-a3')).appliedToolsHash).toBe(appliedHash);
  }, 1_200_000);
});
