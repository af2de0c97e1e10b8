// An approval-gated deployment of the real OpenClaw gateway through the real control plane and a real
// agent: preflight, the typed approval (wrong phrase or role refused with a clear message and nothing
// recorded; an invalid signal recorded and ignored), then the hardened pair deployed and healthy, and
// the instance managed. Rejection and expiry end the job without touching the machine. A hand-started
// gateway is taken over with its own phrase, and nothing about its containers changes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { LABELS } from '../../agent-worker/openclaw/containers.ts';
import { getInstanceLogs } from '../../api/instances/logs.ts';
import { setApprovalPolicy } from '../../api/organizations/service.ts';
import { requestAdoption, requestDeployment, requestHealthCheck, requestInstanceChange, requestRestart } from '../../api/instances/service.ts';
import { issueGrant } from '../../api/jobs/approval-grant.ts';
import { approveJob, cancelJob, getJob, getJobActivities, rejectJob } from '../../api/jobs/service.ts';
import { getNodeInventory } from '../../api/nodes/inventory.ts';
import { approveUpdate } from '../../workflows/approval.ts';
import { latestBundleChecks, requestBundleCheck } from '../../api/system/bundle-check.ts';
import { auditEvents, instances, jobs, nodes } from '../../db/schema.ts';
import { freePort } from '../../infra/ports.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue, type TestControlPlane } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';
import { startHandStartedGateway } from '../jest/openclaw-gateway.ts';
import { failure, type Tenants } from '../jest/tenants.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let w: Tenants;
let engine: RunningDockerEngine;
let controlPlane: TestControlPlane;
let nodeId: string;

const stateOf = (jobId: string, state: string, withinMs = 60_000) =>
  waitFor(
    `job ${jobId} to be ${state}`,
    async () => {
      const [job] = await t.db.select().from(jobs).where(eq(jobs.id, jobId));
      if (job?.state === 'failed' && state !== 'failed') throw new Error(`job failed: ${job.failureReason}`);
      return job?.state === state ? job : undefined;
    },
    withinMs,
  );
const gateways = () => engine.docker.listContainers({ all: true, filters: { label: [`${LABELS.role}=gateway`] } });

beforeAll(async () => {
  stack = await startAgentStack('deploy-openclaw', { NODE_HEARTBEAT_SECONDS: '1' });
  ({ t, w, controlPlane } = stack);
  ({ engine, nodeId } = await stack.addNode({ name: 'acme-edge', organizationId: w.acme.id, engine: 'deploy-openclaw' }));
}, 120_000);

afterAll(() => stack?.stop());

describe('deploying OpenClaw with a typed approval', () => {
  it('waits for the exact phrase from an allowed person, then deploys a healthy gateway and records a managed instance', async () => {
    const operator = w.ctx(w.actors.operator);
    const job = await requestDeployment(operator, { nodeId, instanceName: 'acme-claw', port: await freePort() });
    expect(job).toMatchObject({ state: 'preflight', approvalPhrase: 'deploy openclaw to acme-edge', nodeName: 'acme-edge' });
    await stateOf(job.id, 'waiting_for_approval');
    expect(await gateways()).toEqual([]); // nothing on the machine before the approval

    // A wrong phrase: refused on its field, nothing recorded in the job or the run.
    const wrong = (await failure(approveJob(w.ctx(w.actors.admin), job.id, { phrase: 'deploy openclaw' }))) as { status: number; fieldErrors: Record<string, string> };
    expect(wrong).toMatchObject({ status: 400, fieldErrors: { phrase: 'The phrase does not match: type exactly "deploy openclaw to acme-edge".' } });
    // A company admin is refused by the console's rules, and by the workflow's validator when going around them.
    expect(await failure(approveJob(w.ctx(w.actors.acmeAdmin), job.id, { phrase: 'deploy openclaw to acme-edge' }))).toMatchObject({ status: 403 });
    const handle = controlPlane.client.workflow.getHandle(job.workflowId);
    const cause = async (p: Promise<unknown>) => {
      const err = await failure(p);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      return (err as WorkflowUpdateFailedError).cause?.message;
    };
    // Around the console (a raw Temporal client, ADR 0010): a claimed approver is not a grant; a grant for a
    // company admin is refused by role.
    const claim = { phrase: 'deploy openclaw to acme-edge', approver: { userId: w.actors.admin.userId, email: 'boss@msp', role: 'msp_admin' } };
    expect(await cause(handle.executeUpdate(approveUpdate, { args: [claim as never] }))).toBe('No approval grant was given (ask the console for one).');
    const companyGrant = issueGrant(w.ctx(w.actors.acmeAdmin), job, 'approve', { phrase: 'deploy openclaw to acme-edge' });
    expect(await cause(handle.executeUpdate(approveUpdate, { args: [{ grant: companyGrant }] }))).toBe(
      'A company admin may not approve this; it needs one of: msp_admin, msp_operator.',
    );
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toEqual([]);
    // The temporal CLI's signal with the right phrase and a made-up approver: recorded as ignored, audited, nothing approved.
    await handle.signal('approve', claim);
    const ignored = await waitFor('the ignored signal', async () => {
      const [row] = await t.db.select().from(jobs).where(eq(jobs.id, job.id));
      return row!.approvals.length ? row!.approvals : undefined;
    });
    expect(ignored).toEqual([
      expect.objectContaining({ via: 'signal', outcome: 'ignored', by: 'unknown (unverified)', reason: 'No approval grant was given (ask the console for one).' }),
    ]);
    const [audited] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetId, job.id), eq(auditEvents.action, 'job.approval.ignored')));
    expect(audited).toMatchObject({ outcome: 'denied' });
    expect((await getJob(operator, job.id)).state).toBe('waiting_for_approval');

    const approvedAt = Date.now();
    const approved = await approveJob(w.ctx(w.actors.admin), job.id, { phrase: 'deploy openclaw to acme-edge' });
    expect(approved.state).toBe('running');
    const done = await stateOf(job.id, 'completed', 300_000);
    const secondsToHealthy = (Date.now() - approvedAt) / 1000;
    console.log(`approval to healthy gateway: ${secondsToHealthy.toFixed(1)} s`);
    expect(done.result).toMatchObject({ version: '2026.9.6', secondsToHealthy: expect.any(Number) });
    expect(done.approvals.map((a) => [a.outcome, a.by])).toEqual([
      ['ignored', 'unknown (unverified)'],
      ['approved', w.actors.admin.email],
    ]);
    const [instance] = await t.db.select().from(instances).where(eq(instances.id, job.instanceId!));
    expect(instance).toMatchObject({
      name: 'acme-claw',
      state: 'managed',
      organizationId: w.acme.id,
      bundleVersion: '2026.9.6',
      health: expect.objectContaining({ healthy: true }),
    });
    expect(await gateways()).toHaveLength(1);
    // On its own network, not the machine's (ADR 0010): the node page has nothing to warn about.
    const [gateway] = await gateways();
    expect(gateway!.HostConfig.NetworkMode).toBe('acme-claw-openclaw');
    const onNodePage = await waitFor('the deployed containers in the inventory', async () => {
      const found = (await getNodeInventory(operator, nodeId)).instances.find((i) => i.name === 'acme-claw');
      return found?.state === 'managed' ? found : undefined;
    });
    expect(onNodePage.hostNetwork).toBe(false);
    // The run, activity by activity (from its Temporal history): each node step once, with its own timeouts.
    const run = await getJobActivities(operator, job.id);
    const activity = (name: string) => run.activities.find((a) => a.name === name);
    expect(run.history).toBe('available');
    expect(activity('openclaw.deploy on the node')).toEqual({
      name: 'openclaw.deploy on the node',
      where: 'node',
      calls: 1,
      attempts: 1,
      maxAttemptsPerCall: 1,
      last: 'completed',
      timeouts: expect.objectContaining({ scheduleToStart: 300, startToClose: 900, heartbeat: 20 }),
    });
    expect(activity('openclaw.preflight on the node')).toMatchObject({ calls: 1, attempts: 1, last: 'completed', timeouts: expect.objectContaining({ startToClose: 60 }) });
    // Preflight and health: the deploy's envelope was signed by the approval's own check (ADR 0032).
    expect(activity('signNodeJob')).toMatchObject({
      where: 'control plane',
      calls: 2,
      attempts: 2,
      maxAttemptsPerCall: 5,
      last: 'completed',
      timeouts: expect.objectContaining({ startToClose: 30 }),
    });
    const actions = (await t.db.select().from(auditEvents).where(eq(auditEvents.targetId, job.id))).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['job.request', 'job.waiting_for_approval', 'job.approval.ignored', 'job.approval.approved', 'job.running', 'job.completed']));
  }, 420_000);

  it('ends rejected, or expired when nobody approves in time, without touching the machine', async () => {
    const before = (await gateways()).length;
    // Where the organization forbids it, the requester may not approve their own request.
    await setApprovalPolicy(w.ctx(w.actors.admin), w.acme.id, { forbidSelfApproval: true });
    const own = await requestDeployment(w.ctx(w.actors.admin), { nodeId, instanceName: 'four-eyes', port: await freePort() });
    await stateOf(own.id, 'waiting_for_approval');
    expect(await failure(approveJob(w.ctx(w.actors.admin), own.id, { phrase: 'deploy openclaw to acme-edge' }))).toMatchObject({
      status: 409,
      message: 'This organization does not let the requester approve their own request.',
    });
    expect((await cancelJob(w.ctx(w.actors.admin), own.id, {})).state).toBe('cancelled');
    await setApprovalPolicy(w.ctx(w.actors.admin), w.acme.id, { forbidSelfApproval: false });

    const rejected = await requestDeployment(w.ctx(w.actors.operator), { nodeId, instanceName: 'declined', port: await freePort() });
    await stateOf(rejected.id, 'waiting_for_approval');
    expect((await rejectJob(w.ctx(w.actors.admin), rejected.id, { reason: 'not this week' })).state).toBe('rejected');

    process.env.APPROVAL_TIMEOUT_HOURS = String(3 / 3600);
    try {
      const expiring = await requestDeployment(w.ctx(w.actors.operator), { nodeId, instanceName: 'forgotten', port: await freePort() });
      const expired = await stateOf(expiring.id, 'expired', 60_000);
      expect(expired.failureReason).toBe('nobody approved within 3 s');
      expect(await failure(approveJob(w.ctx(w.actors.admin), expiring.id, { phrase: 'deploy openclaw to acme-edge' }))).toMatchObject({ status: 409 });
    } finally {
      delete process.env.APPROVAL_TIMEOUT_HOURS;
    }
    expect((await gateways()).length).toBe(before);
  }, 120_000);

  it('adopts a hand-started gateway as it runs: same containers, same start times, same configuration', async () => {
    const claw = await startHandStartedGateway(engine.docker, 'found-claw');
    // Both containers: a heartbeat between the gateway's start and the helper's reports the gateway alone.
    const discovered = await waitFor(
      'the gateway and its helper to be discovered',
      async () => {
        const [row] = await t.db
          .select()
          .from(instances)
          .where(and(eq(instances.nodeId, nodeId), eq(instances.name, 'found-claw')));
        return row?.containerIds.length === 2 ? row : undefined;
      },
      30_000,
    );
    const snapshot = async () =>
      Promise.all(
        [claw.gateway, claw.cli].map(async (c) => {
          const i = await c.inspect();
          return { id: i.Id, startedAt: i.State.StartedAt, restarts: i.RestartCount, config: i.Config, hostConfig: i.HostConfig, mounts: i.Mounts };
        }),
      );
    const before = await snapshot();

    const job = await requestAdoption(w.ctx(w.actors.operator), discovered.id);
    expect(job).toMatchObject({ type: 'adopt_openclaw', approvalPhrase: 'adopt found-claw on acme-edge' });
    await stateOf(job.id, 'waiting_for_approval');
    expect(await failure(approveJob(w.ctx(w.actors.admin), job.id, { phrase: 'adopt it' }))).toMatchObject({ status: 400, fieldErrors: { phrase: expect.any(String) } });
    await approveJob(w.ctx(w.actors.admin), job.id, { phrase: 'adopt found-claw on acme-edge' });
    await stateOf(job.id, 'completed');

    const [managed] = await t.db.select().from(instances).where(eq(instances.id, discovered.id));
    expect(managed).toMatchObject({ state: 'managed', name: 'found-claw', containerIds: before.map((c) => c.id), port: 18789, bundleVersion: '2026.9.6' });
    // Its health was measured on the node as the health check does, so the node page shows it at once.
    expect(managed!.health).toMatchObject({ gateway: { id: before[0]!.id, state: 'running' }, cli: { id: before[1]!.id, state: 'running' }, healthy: expect.any(Boolean) });
    expect(await snapshot()).toEqual(before);
    // Left on the network it ran on (none, here), which the takeover reports.
    expect((await getJob(w.ctx(w.actors.operator), job.id)).result).toMatchObject({ containers: [{ networkMode: 'none' }, { networkMode: `container:${before[0]!.id}` }] });
    // Later heartbeats do not bring it back as a discovery.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await t.db.select().from(instances).where(eq(instances.nodeId, nodeId))).filter((i) => i.containerIds.includes(before[0]!.id))).toEqual([
      expect.objectContaining({ id: discovered.id, state: 'managed' }),
    ]);
  }, 180_000);

  it("checks a managed instance's health, restarts its gateway only after the typed approval (reporting the downtime), and reads its logs", async () => {
    const [instance] = await t.db
      .select()
      .from(instances)
      .where(and(eq(instances.nodeId, nodeId), eq(instances.name, 'acme-claw')));
    const check = await requestHealthCheck(w.ctx(w.actors.operator), instance!.id);
    expect(check.approvalPhrase).toBeNull();
    const checked = await stateOf(check.id, 'completed');
    expect(checked.result).toMatchObject({ health: { healthy: true, gateway: { state: 'running' }, cli: { state: 'running' } } });

    const [gatewayBefore] = await gateways();
    const restart = await requestRestart(w.ctx(w.actors.operator), instance!.id);
    expect(restart.approvalPhrase).toBe('restart acme-claw on acme-edge');
    await stateOf(restart.id, 'waiting_for_approval');
    const startedBefore = (await engine.docker.getContainer(gatewayBefore!.Id).inspect()).State.StartedAt;
    await approveJob(w.ctx(w.actors.admin), restart.id, { phrase: 'restart acme-claw on acme-edge' });
    const done = await stateOf(restart.id, 'completed', 180_000);
    expect(done.result).toMatchObject({ downtimeSeconds: expect.any(Number), after: { healthy: true } });
    console.log(`gateway restart downtime: ${String(done.result!.downtimeSeconds)} s`);
    expect((await engine.docker.getContainer(gatewayBefore!.Id).inspect()).State.StartedAt).not.toBe(startedBefore);
    const [after] = await t.db.select().from(instances).where(eq(instances.id, instance!.id));
    expect(after!.health).toMatchObject({ healthy: true });

    // Its logs, read on the node: the gateway's lines since the restart, never its token.
    const logs = await getInstanceLogs(w.ctx(w.actors.operator), instance!.id, { container: 'gateway', tail: '100' });
    expect(logs.lines.filter((l) => l.text.includes('[gateway]')).length).toBeGreaterThan(0);
    const token = (await engine.docker.getContainer(gatewayBefore!.Id).inspect()).Config.Env!.find((e) => e.startsWith('OPENCLAW_GATEWAY_TOKEN='))!.split('=')[1]!;
    expect(JSON.stringify(logs)).not.toContain(token);
    expect(await failure(getInstanceLogs(w.ctx(w.actors.operator), instance!.id, { tail: '5000' }))).toMatchObject({ status: 400, fieldErrors: { tail: 'tail must be 1-2000' } });
  }, 240_000);

  it('checks the bundle on the node: image, version, size, and a throw-away gateway that answers and is removed', async () => {
    const before = (await engine.docker.listContainers({ all: true })).length;
    const job = await requestBundleCheck(w.ctx(w.actors.admin), nodeId);
    const done = await stateOf(job.id, 'completed', 180_000);
    expect(done.result).toMatchObject({ version: '2026.9.6', image: 'anthropy-works/openclaw:2026.9.6-r3', gatewayAnswered: true, sizeBytes: expect.any(Number) });
    expect((await engine.docker.listContainers({ all: true })).length).toBe(before);
    expect((await latestBundleChecks(w.ctx(w.actors.admin))).map((j) => j.id)).toEqual([job.id]);
  }, 240_000);

  it('names the field of a bad request and changes nothing', async () => {
    const count = async () => (await t.db.select().from(jobs)).length;
    const before = await count();
    expect(await failure(requestDeployment(w.ctx(w.actors.operator), { nodeId, instanceName: 'Bad Name!' }))).toMatchObject({
      status: 400,
      fieldErrors: { instanceName: expect.stringMatching(/^instanceName must be/) },
    });
    expect(await failure(requestDeployment(w.ctx(w.actors.operator), { nodeId, instanceName: 'ok', port: 80 }))).toMatchObject({
      status: 400,
      fieldErrors: { port: 'port must be 1024-65535' },
    });
    expect(await failure(requestDeployment(w.ctx(w.actors.operator), { nodeId, instanceName: 'acme-claw' }))).toMatchObject({
      status: 409,
      fieldErrors: { instanceName: expect.stringContaining('already exists') },
    });
    expect(await failure(requestDeployment(w.ctx(w.actors.globexAdmin), { nodeId, instanceName: 'sneaky' }))).toMatchObject({ status: 404 });
    expect(await failure(requestDeployment(w.ctx(w.actors.operator), { nodeId, instanceName: 'ok', organizationId: 'acme' }))).toMatchObject({
      status: 400,
      fieldErrors: { organizationId: 'organizationId must be a UUID' },
    });
    expect(await failure(requestDeployment(w.ctx(w.actors.operator), { nodeId, instanceName: 'ok', organizationId: crypto.randomUUID() }))).toMatchObject({
      status: 400,
      fieldErrors: { organizationId: 'organizationId is not an organization' },
    });
    // A customer's machine hosts only that customer's instances.
    expect(await failure(requestDeployment(w.ctx(w.actors.operator), { nodeId, instanceName: 'ok', organizationId: w.globex.id }))).toMatchObject({
      status: 409,
      fieldErrors: { organizationId: "Node acme-edge is Acme's machine: it hosts only Acme's instances." },
    });
    expect(await count()).toBe(before);
  });

  it("hosts a customer's instance on a shared-infrastructure node: the job is the customer's, under its approval policy", async () => {
    const [shared] = await t.db.insert(nodes).values({ organizationId: w.msp.id, name: 'msp-host', agentPublicKey: 'unused', enrolledAt: new Date() }).returning();
    await setApprovalPolicy(w.ctx(w.actors.admin), w.globex.id, { forbidSelfApproval: true });
    try {
      const job = await requestDeployment(w.ctx(w.actors.operator), { nodeId: shared!.id, instanceName: 'globex-claw', port: await freePort(), organizationId: w.globex.id });
      expect(job).toMatchObject({
        organizationId: w.globex.id,
        organizationName: 'Globex',
        nodeName: 'msp-host',
        params: { instanceName: 'globex-claw', organizationName: 'Globex' },
      });
      // The customer's admin sees the job of their instance; the other customer does not.
      expect((await getJob(w.ctx(w.actors.globexAdmin), job.id)).id).toBe(job.id);
      expect(await failure(getJob(w.ctx(w.actors.acmeAdmin), job.id))).toMatchObject({ status: 404 });
      const run = await controlPlane.client.workflow.getHandle(job.workflowId).fetchHistory();
      const [input] = await controlPlane.codec.decode(run.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!);
      expect(JSON.parse(Buffer.from(input!.data!).toString())).toMatchObject({ forbidSelfApproval: true });
      await cancelJob(w.ctx(w.actors.operator), job.id, {});
    } finally {
      await setApprovalPolicy(w.ctx(w.actors.admin), w.globex.id, { forbidSelfApproval: false });
    }
  });

  it('stops, starts and removes a managed instance, each after its own phrase; remove keeps the data unless asked', async () => {
    const [instance] = await t.db
      .select()
      .from(instances)
      .where(and(eq(instances.nodeId, nodeId), eq(instances.name, 'acme-claw')));
    const change = async (what: 'stop' | 'start' | 'remove', phrase: string) => {
      const job = await requestInstanceChange(w.ctx(w.actors.operator), instance!.id, what);
      expect(job.approvalPhrase).toBe(phrase);
      await stateOf(job.id, 'waiting_for_approval');
      await approveJob(w.ctx(w.actors.admin), job.id, { phrase });
      return stateOf(job.id, 'completed', 180_000);
    };
    const [gatewayId, cliId] = instance!.containerIds as [string, string];
    expect((await change('stop', 'stop acme-claw on acme-edge')).result).toMatchObject({ after: { gateway: { state: 'exited' }, cli: { state: 'exited' } } });
    expect((await change('start', 'start acme-claw on acme-edge')).result).toMatchObject({ after: { healthy: true } });
    const volumes = (await engine.docker.getContainer(gatewayId).inspect()).Mounts.map((m) => m.Name!);
    const removed = await change('remove', 'remove acme-claw on acme-edge');
    expect(removed.result).toMatchObject({ removed: [cliId, gatewayId], volumesRemoved: [], networksRemoved: ['acme-claw-openclaw'] });
    expect((await engine.docker.listNetworks()).map((n) => n.Name)).not.toContain('acme-claw-openclaw');
    expect(await t.db.select().from(instances).where(eq(instances.id, instance!.id))).toEqual([]);
    const left = (await engine.docker.listVolumes()).Volumes.map((v) => v.Name);
    expect(left).toEqual(expect.arrayContaining(volumes));
  }, 300_000);
});
