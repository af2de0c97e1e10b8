// The agent's job activity against a real Docker engine: it runs a job signed for this node once, signs
// its result, and refuses (non-retryably) a forged, a misrouted, an expired and a replayed envelope.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startDockerEngine, type RunningDockerEngine } from '../infra/services/docker-engine.ts';
import type { AgentConfig } from './config.ts';
import { createAgentJobActivities, type AgentJobActivities } from './node-jobs.ts';
import { generateKeyPair, keyFingerprint, signJob, verifyResult } from '../protocol/envelope.ts';
import { ReplayStore } from './replay-store.ts';
import { buildNodeImage } from './docker/images.ts';
import { LABELS } from './openclaw/containers.ts';
import { snapshotVolumeOf } from '../protocol/node-actions.ts';

let dir: string;
let engine: RunningDockerEngine;
let store: ReplayStore;
let activities: AgentJobActivities;
const controlPlane = generateKeyPair();
const agent = generateKeyPair();
const nodeId = crypto.randomUUID();

const job = (overrides: Partial<Parameters<typeof signJob>[1]> = {}, key = controlPlane.privateKey) =>
  signJob(key, {
    envelopeId: crypto.randomUUID(),
    jobId: crypto.randomUUID(),
    nodeId,
    agentKey: keyFingerprint(agent.publicKey),
    action: 'inventory.list',
    params: {},
    notAfter: new Date(Date.now() + 60_000),
    ...overrides,
  });
/** Runs the activity as a worker would, inside an activity context (it heartbeats while it works). */
const runJob = (envelope: Parameters<AgentJobActivities['runNodeJob']>[0]) => new MockActivityEnvironment().run(activities.runNodeJob, envelope);
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as ApplicationFailure,
  );

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-node-jobs-'));
  engine = await startDockerEngine({ dir: path.join(dir, 'engine'), name: 'nodejobs' });
  store = ReplayStore.open(path.join(dir, 'state'));
  const config = { nodeId, controlPlanePublicKey: controlPlane.publicKey } as AgentConfig;
  activities = createAgentJobActivities({ config, privateKey: agent.privateKey, store, docker: engine.docker, cacheDir: path.join(dir, 'cache') });
}, 60_000);
afterAll(async () => {
  store?.close();
  await engine?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('runNodeJob', () => {
  it('runs a job signed for this node and signs its result', async () => {
    const envelope = job();
    const result = await runJob(envelope);
    expect(result).toMatchObject({ envelopeId: envelope.envelopeId, nodeId, ok: true, output: { containers: [] } });
    expect(verifyResult(result, { agentPublicKey: agent.publicKey, envelopeId: envelope.envelopeId, nodeId })).toEqual({ ok: true });
    // Replayed: the same envelope again is refused, and nothing runs twice.
    const replay = await refusal(runJob(envelope));
    expect(replay).toMatchObject({ type: 'JobRefused', nonRetryable: true, details: [expect.objectContaining({ refusal: 'replayed' })] });
  });

  it('refuses forged, misrouted and expired envelopes, and unknown actions, without retries', async () => {
    const forged = await refusal(runJob(job({}, generateKeyPair().privateKey)));
    const misrouted = await refusal(runJob(job({ nodeId: crypto.randomUUID() })));
    const expired = await refusal(runJob(job({ issuedAt: new Date(Date.now() - 120_000), notAfter: new Date(Date.now() - 60_000) })));
    const unknown = await refusal(runJob(job({ action: 'format_disk' })));
    expect([forged, misrouted, expired, unknown].map((e) => [e.type, e.nonRetryable, (e.details?.[0] as { refusal: string }).refusal])).toEqual([
      ['JobRefused', true, 'bad_signature'],
      ['JobRefused', true, 'wrong_node'],
      ['JobRefused', true, 'expired'],
      ['JobRefused', true, 'unknown_action'],
    ]);
  });

  it("refuses parameters that do not fit the action's schema before acting, naming the field, and the envelope stays unused", async () => {
    const envelope = job({ action: 'openclaw.logs', params: { containerId: 'not-hex', tail: 10 } });
    const refused = await refusal(runJob(envelope));
    expect(refused).toMatchObject({ type: 'JobRefused', nonRetryable: true, details: [expect.objectContaining({ refusal: 'bad_parameters' })] });
    expect(refused.message).toBe('bad parameters for openclaw.logs: containerId: must be a Docker container id (hex)');
    expect(store.hasExecuted(envelope.envelopeId)).toBe(false);
  });

  it("refuses parameters of another job, another instance's snapshot volume and containers not made for the instance, and the envelope stays unused", async () => {
    const instanceId = crypto.randomUUID();
    const jobId = crypto.randomUUID();
    await buildNodeImage(engine.docker, { tag: 'aw-test-node:binding' });
    // Containers made for another instance, and for this one (neither is started: only their labels count).
    const made = async (forInstance: string) =>
      (await engine.docker.createContainer({ Image: 'aw-test-node:binding', Labels: { [LABELS.instance]: forInstance }, HostConfig: { NetworkMode: 'none' } })).id;
    const [other, own] = [await made(crypto.randomUUID()), await made(instanceId)];
    const rollback = { instanceId, instanceName: 'gw', jobId, previous: { gatewayId: own }, snapshotVolume: snapshotVolumeOf(instanceId, jobId) };
    const cases = [
      job({ jobId, action: 'openclaw.rollback-version', params: { ...rollback, jobId: crypto.randomUUID() } }),
      job({ jobId, action: 'openclaw.rollback-version', params: { ...rollback, snapshotVolume: snapshotVolumeOf(crypto.randomUUID(), jobId) } }),
      job({ jobId, action: 'openclaw.snapshot-state', params: { instanceId, jobId, gatewayId: own, cliId: other } }),
      job({ jobId, action: 'openclaw.finish-upgrade', params: { instanceId, previous: { gatewayId: other }, keepSnapshots: 3 } }),
    ];
    const refused = await Promise.all(cases.map((envelope) => refusal(runJob(envelope))));
    expect(refused.map((e) => [e.type, (e.details?.[0] as { refusal: string }).refusal, e.message])).toEqual([
      ['JobRefused', 'not_this_job', expect.stringMatching(/^the parameters are for job [0-9a-f-]+, not this envelope's job [0-9a-f-]+$/)],
      ['JobRefused', 'not_this_job', expect.stringMatching(/^snapshot volume aw-[0-9a-f-]+-state-snap-[0-9a-f-]+ is not one of instance [0-9a-f-]+'s$/)],
      ['JobRefused', 'not_this_job', `container ${other.slice(0, 12)} was not made for instance ${instanceId}`],
      ['JobRefused', 'not_this_job', `container ${other.slice(0, 12)} was not made for instance ${instanceId}`],
    ]);
    expect(cases.map((e) => store.hasExecuted(e.envelopeId))).toEqual([false, false, false, false]);
    // The instance's own container passes: the step itself then runs (and finds it is no previous container of an upgrade).
    const finish = await refusal(runJob(job({ jobId, action: 'openclaw.finish-upgrade', params: { instanceId, previous: { gatewayId: own }, keepSnapshots: 3 } })));
    expect(finish.message).toMatch(/is not a previous container of an upgrade: it stays$/);
  }, 120_000);
});
