// Moving a real OpenClaw instance between bundle versions through the real control plane and a real
// agent on a real Docker engine (issue 19): deployed at 2026.9.5, a file written into its state volume,
// then upgraded to 2026.9.6 after the typed approval: the file and the gateway token are still there, the
// snapshot volume beside it, the previous containers gone. Then a test bundle made to fail its health
// gate (it also breaks the configuration it is given, and leaves a marker) is rolled back automatically:
// the job fails with both reasons, the previous containers run healthy again with the snapshot's state
// (the marker gone, the configuration whole), the instance still recorded at 2026.9.6.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { LABELS, volumeNames } from '../../agent-worker/openclaw/containers.ts';
import { execIn } from '../../agent-worker/openclaw/health.ts';
import { ensureBundleImage } from '../../agent-worker/openclaw/image.ts';
import { SNAPSHOT_LABELS } from '../../agent-worker/openclaw/state-copy.ts';
import { requestDeployment } from '../../api/instances/service.ts';
import { requestUpgrade } from '../../api/instances/upgrade.ts';
import { approveJob } from '../../api/jobs/service.ts';
import { listBundleVersions } from '../../api/system/bundle-versions.ts';
import { instances } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';
import type { Tenants } from '../jest/tenants.ts';
import { jobEnded, jobWaitingForApproval } from '../jest/job-waits.ts';

ownControlPlaneQueue(import.meta.url);
// The test bundle versions are offered to this file's requests (this process) and its agent (the stack's env).
process.env.OPENCLAW_TEST_BUNDLES = '1';

let stack: AgentStack;
let t: TestDatabase;
let w: Tenants;
let engine: RunningDockerEngine;
let nodeId: string;

const MARKER = '/home/node/.openclaw/upgrade-marker.txt';

const ended = (jobId: string, withinMs: number) => jobEnded(t.db, jobId, withinMs);
const waiting = (jobId: string) => jobWaitingForApproval(t.db, jobId);
const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
/** The token in a gateway's environment: compared here, never printed. */
const tokenOf = async (containerId: string) => ((await engine.docker.getContainer(containerId).inspect()).Config.Env ?? []).find((e) => e.startsWith('OPENCLAW_GATEWAY_TOKEN='));
const readFile = async (containerId: string, file: string) =>
  execIn(engine.docker, containerId, [
    'node',
    '-e',
    `process.stdout.write(require('fs').existsSync(${JSON.stringify(file)}) ? require('fs').readFileSync(${JSON.stringify(file)}, 'utf8') : '<missing>')`,
  ]);

beforeAll(async () => {
  stack = await startAgentStack('upgrade-openclaw', { NODE_HEARTBEAT_SECONDS: '1', OPENCLAW_TEST_BUNDLES: '1' });
  ({ t, w } = stack);
  ({ engine, nodeId } = await stack.addNode({ name: 'acme-edge', organizationId: w.acme.id, engine: 'upgrade-openclaw' }));
}, 120_000);

afterAll(() => stack?.stop());

describe('upgrading one OpenClaw instance', () => {
  let instanceId: string;

  it('deploys the chosen older version, then upgrades it with its state and its token', async () => {
    const operator = w.ctx(w.actors.operator);
    const deployJob = await requestDeployment(operator, { nodeId, instanceName: 'acme-claw', port: await freePort(), bundleVersion: '2026.9.5' });
    await waiting(deployJob.id);
    await approveJob(w.ctx(w.actors.admin), deployJob.id, { phrase: 'deploy openclaw to acme-edge' });
    const deployed = await ended(deployJob.id, 600_000);
    expect(deployed).toMatchObject({ state: 'completed', result: expect.objectContaining({ version: '2026.9.5' }) });
    instanceId = deployJob.instanceId!;
    const before = await instanceRow(instanceId);
    expect(before.bundleVersion).toBe('2026.9.5');
    const [oldGateway] = before.containerIds;
    const written = await execIn(engine.docker, oldGateway!, ['node', '-e', `require('fs').writeFileSync(${JSON.stringify(MARKER)}, 'written before the upgrade')`]);
    expect(written.exitCode).toBe(0);
    const token = await tokenOf(oldGateway!);
    expect(token).toBeDefined();

    const job = await requestUpgrade(operator, instanceId, { toVersion: '2026.9.6', keepSnapshots: 1 });
    expect(job.approvalPhrase).toBe('upgrade acme-claw on acme-edge to 2026.9.6');
    await waiting(job.id);
    // Nothing changed before the approval: the same gateway runs.
    expect((await engine.docker.getContainer(oldGateway!).inspect()).State.Running).toBe(true);
    await approveJob(w.ctx(w.actors.admin), job.id, { phrase: 'upgrade acme-claw on acme-edge to 2026.9.6' });
    const done = await ended(job.id, 600_000);
    expect(done.failureReason).toBeNull();
    expect(done.state).toBe('completed');
    const result = done.result as { version: string; snapshot: { volume: string; sizeBytes: number; takenAt: string }; finished: { removed: string[] } };
    expect(result.version).toBe('2026.9.6');
    expect(result.snapshot.sizeBytes).toBeGreaterThan(0);

    const after = await instanceRow(instanceId);
    expect(after.bundleVersion).toBe('2026.9.6');
    expect(after.containerIds[0]).not.toBe(oldGateway);
    const gateway = await engine.docker.getContainer(after.containerIds[0]!).inspect();
    expect(gateway.Config.Image).toBe('anthropy-works/openclaw:2026.9.6-r3');
    expect(gateway.Config.Labels?.[LABELS.bundleVersion]).toBe('2026.9.6');
    expect((await readFile(after.containerIds[0]!, MARKER)).output).toBe('written before the upgrade');
    expect(await tokenOf(after.containerIds[0]!)).toBe(token);
    // The previous containers are gone; the snapshot stays beside the state volume, with its time.
    expect(result.finished.removed).toEqual(expect.arrayContaining(before.containerIds));
    await expect(engine.docker.getContainer(oldGateway!).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const snapshot = await engine.docker.getVolume(result.snapshot.volume).inspect();
    expect(snapshot.Labels).toMatchObject({ [SNAPSHOT_LABELS.of]: volumeNames(instanceId).state, [SNAPSHOT_LABELS.at]: result.snapshot.takenAt });

    // A deployment finds a version's image by its label, without walking the install (about 38,700 files):
    // the second call in a process (the first hashes the Node binary once) takes a few milliseconds.
    await ensureBundleImage(engine.docker, { cacheDir: loadConfig().cacheDir, version: '2026.9.6' });
    const startedAt = performance.now();
    const found = await ensureBundleImage(engine.docker, { cacheDir: loadConfig().cacheDir, version: '2026.9.6' });
    const ms = performance.now() - startedAt;
    console.log(`ensureBundleImage with the image present: ${ms.toFixed(0)} ms`);
    expect(found.id).toBe(gateway.Image);
    expect(ms).toBeLessThan(400);

    // The System page's list: the instance runs the newest version now.
    const versions = (await listBundleVersions(w.ctx(w.actors.admin))).items;
    expect(versions.find((v) => v.version === '2026.9.6')?.instances.map((i) => i.instanceName)).toEqual(['acme-claw']);
    expect(versions.find((v) => v.version === '2026.9.5')?.instances).toEqual([]);
  }, 1_200_000);

  it('rolls a version that fails its health gate back automatically, with the state restored', async () => {
    const before = await instanceRow(instanceId);
    const [gatewayId] = before.containerIds;
    const token = await tokenOf(gatewayId!);
    const job = await requestUpgrade(w.ctx(w.actors.operator), instanceId, { toVersion: '2026.9.5-unhealthy', healthTimeoutSeconds: 30 });
    await waiting(job.id);
    await approveJob(w.ctx(w.actors.admin), job.id, { phrase: job.approvalPhrase! });
    const done = await ended(job.id, 600_000);
    expect(done.state).toBe('failed');
    expect(done.failureReason).toMatch(/^the upgrade to 2026\.9\.5-unhealthy failed: .+; rolled back to 2026\.9\.6 with the state of .+, healthy again$/);

    // The previous containers run again (same ids, same token), healthy, with the snapshot's state.
    const after = await instanceRow(instanceId);
    expect(after.bundleVersion).toBe('2026.9.6');
    expect(after.containerIds).toEqual(before.containerIds);
    expect(after.health).toMatchObject({ healthy: true });
    const gateway = await engine.docker.getContainer(gatewayId!).inspect();
    expect(gateway.State.Running).toBe(true);
    expect(gateway.Name).toBe('/acme-claw-openclaw-gateway');
    expect(await tokenOf(gatewayId!)).toBe(token);
    expect((await readFile(gatewayId!, MARKER)).output).toBe('written before the upgrade');
    expect((await readFile(gatewayId!, '/home/node/.openclaw/test-bundle-was-here')).output).toBe('<missing>');
    // The test bundle's containers are gone; the instance keeps its last snapshots.
    const ours = await engine.docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${instanceId}`] } });
    expect(ours.map((c) => c.Id).sort()).toEqual([...before.containerIds].sort());
  }, 900_000);
});
