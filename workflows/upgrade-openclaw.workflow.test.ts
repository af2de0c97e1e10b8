// The upgrade of one instance in Temporal's time-skipping test server, the control plane's activities
// and the node's agent mocked (the agent answers per action, as the real one's outputs look): nothing
// changes before the typed approval; a passed health gate records the new containers and version and
// prunes; a failed gate (or a tool policy not in force) rolls back to the previous containers and the
// snapshot, checks their health, and fails the job with both reasons; a rollout's child (no approval
// terms of its own) does not wait; a failed preflight changes nothing.
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { JobActivities } from '../activities/jobs.ts';
import type { NodeDispatchActivities } from '../activities/node-jobs.ts';
import type { UpgradeActivities, UpgradedInstance } from '../activities/upgrades.ts';
import type { JobEnvelope, NodeAgentActivities } from '../protocol/envelope.ts';
import { MOCKED_JOB_ACTIVITIES, mockAgentResult, mockJobRecord, mockNodeDispatch } from '../tests/jest/workflow-mocks.ts';
import { approveGrantFor, operatorRequestTerms } from '../tests/jest/test-grants.ts';
import { historyEvent, useTimeSkipping } from '../tests/jest/time-skipping.ts';
import { approveUpdate } from './approval.ts';
import { nodeTaskQueue } from './task-queues.ts';
import { upgradeOpenclaw, type UpgradeOpenClawInput } from './upgrade-openclaw.ts';

type Activities = JobActivities & UpgradeActivities & NodeDispatchActivities;
const ts = useTimeSkipping<Activities>(fileURLToPath(new URL('./upgrade-openclaw.ts', import.meta.url)), [
  ...MOCKED_JOB_ACTIVITIES,
  'recordInstanceHealth',
  'upgradeTarget',
  'recordInstanceUpgraded',
]);

const NODE = '6b1f0e52-3c1d-4f0a-9a51-0f6f3d2c9e11';
const INSTANCE = '0c9e6f3e-1b7e-4d55-8a2c-5d0f7e8a9b10';
const seed = crypto.randomBytes(32).toString('hex');
const admin = { userId: 'u-admin', email: 'admin@example.com', role: 'msp_admin' };
const phrase = 'upgrade acme-claw on edge-01 to 2026.9.6';
const [OLD_GW, OLD_CLI, NEW_GW, NEW_CLI] = ['a', 'b', 'c', 'd'].map((c) => c.repeat(64)) as [string, string, string, string];

const healthy = {
  gateway: { id: 'x', state: 'running', health: null },
  cli: { id: 'y', state: 'running', health: null },
  healthz: { ok: true, body: {} },
  readyz: { ok: true, body: {} },
  cliCheck: { ok: true, output: 'ok' },
  healthy: true,
};
const tools = (hash: string, denied: string[]) => ({
  configPath: '/home/node/.openclaw/openclaw.json',
  hash,
  policy: {},
  tools: {},
  effective: { profile: 'coding', allowed: ['read'], denied },
});
const snapshot = { volume: `aw-${INSTANCE}-state-snap-job`, of: `aw-${INSTANCE}-state`, sizeBytes: 4096, files: 3, takenAt: '2026-12-01T02:00:00.000Z' };

interface AgentScript {
  /** The new containers never become healthy. */
  newUnhealthy?: boolean;
  /** The new version's gateway reads another tool policy. */
  toolsAfter?: ReturnType<typeof tools>;
  preflightFails?: boolean;
}

/** The node's agent: what it was asked to run, in order, and its answers. */
const ran: JobEnvelope[] = [];
const agentFor = (script: AgentScript): NodeAgentActivities => ({
  async runNodeJob(envelope) {
    ran.push(envelope);
    const p = envelope.params as { gatewayId?: string };
    const outputs: Record<string, () => unknown> = {
      'openclaw.upgrade-preflight': () => ({
        checks: [
          { name: 'docker', ok: true, detail: 'Docker answers' },
          { name: 'disk', ok: !script.preflightFails, detail: script.preflightFails ? '0.1 GiB free for Docker (3.0 GiB needed)' : '40 GiB free' },
        ],
        fromVersion: '2026.9.5',
        health: healthy,
      }),
      'openclaw.read_tool_policy': () => (p.gatewayId === NEW_GW && script.toolsAfter ? script.toolsAfter : tools('sha256:policy', ['exec'])),
      'openclaw.snapshot-state': () => snapshot,
      'openclaw.switch-version': () => ({
        containers: [
          { id: NEW_GW, name: 'acme-claw-openclaw-gateway', role: 'gateway' },
          { id: NEW_CLI, name: 'acme-claw-openclaw-cli', role: 'cli' },
        ],
        image: 'anthropy-works/openclaw:2026.9.6-r3',
        version: '2026.9.6',
        port: 18789,
        created: ['gateway', 'cli'],
      }),
      'openclaw.wait-healthy': () => {
        if (p.gatewayId === NEW_GW && script.newUnhealthy) throw ApplicationFailure.nonRetryable('the gateway was not healthy within 180 s: /healthz did not succeed', 'Error');
        return { ...healthy, seconds: 4.2 };
      },
      'openclaw.rollback-version': () => ({ removed: [NEW_GW, NEW_CLI], restoredFrom: snapshot.volume }),
      'openclaw.finish-upgrade': () => ({ removed: [OLD_CLI, OLD_GW], snapshotsPruned: ['aw-old-snap'], snapshotsKept: [{ volume: snapshot.volume, takenAt: snapshot.takenAt }] }),
    };
    const output = outputs[envelope.action]!();
    return mockAgentResult(envelope, output);
  },
});

async function withAgent(script: AgentScript, test: () => Promise<void>): Promise<void> {
  ran.length = 0;
  const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue: nodeTaskQueue(NODE), activities: agentFor(script) });
  await worker.runUntil(test());
}

function mocks() {
  const { updates, activities: record } = mockJobRecord();
  const upgraded: UpgradedInstance[] = [];
  const healthRecorded: unknown[] = [];
  const activities: Partial<Activities> = {
    ...record,
    async recordInstanceHealth(h) {
      healthRecorded.push(h);
    },
    async upgradeTarget() {
      return { instanceName: 'acme-claw', gatewayId: OLD_GW, cliId: OLD_CLI, port: 18789, fromVersion: '2026.9.5', appliedToolsHash: 'sha256:policy' };
    },
    async recordInstanceUpgraded(u) {
      upgraded.push(u);
    },
    ...mockNodeDispatch(),
  };
  return { updates, upgraded, healthRecorded, activities };
}

const input = (approval = true): UpgradeOpenClawInput => ({
  jobId: `job-${crypto.randomUUID()}`,
  instanceId: INSTANCE,
  nodeId: NODE,
  toVersion: '2026.9.6',
  keepSnapshots: 2,
  ...(approval ? operatorRequestTerms(seed, phrase) : {}),
});

const grantFor = (workflowId: string) => approveGrantFor(seed, workflowId, phrase, admin);

/** Starts the run and approves it once it waits. */
async function startApproved(args: UpgradeOpenClawInput, m: ReturnType<typeof mocks>) {
  const handle = await ts.env.client.workflow.start(upgradeOpenclaw, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
  await m.updates.when((u) => u.state === 'waiting_for_approval');
  await historyEvent(handle, (e) => e.timerStartedEventAttributes);
  expect(ran.map((e) => e.action)).toEqual(['openclaw.upgrade-preflight', 'openclaw.read_tool_policy']);
  await handle.executeUpdate(approveUpdate, { args: [{ grant: grantFor(handle.workflowId) }] });
  return handle;
}

describe('upgradeOpenclaw (time-skipping)', () => {
  it('changes nothing before the approval; after it snapshots, switches, passes the health gate, records the new containers and prunes', () => {
    const m = mocks();
    return ts.run(m.activities, () =>
      withAgent({}, async () => {
        const args = input();
        const handle = await startApproved(args, m);
        await expect(handle.result()).resolves.toEqual({ state: 'completed', fromVersion: '2026.9.5', toVersion: '2026.9.6', containers: [NEW_GW, NEW_CLI], snapshot });
        expect(ran.map((e) => e.action)).toEqual([
          'openclaw.upgrade-preflight',
          'openclaw.read_tool_policy',
          'openclaw.snapshot-state',
          'openclaw.switch-version',
          'openclaw.wait-healthy',
          'openclaw.read_tool_policy',
          'openclaw.finish-upgrade',
        ]);
        const switched = ran.find((e) => e.action === 'openclaw.switch-version')!;
        expect(switched.params).toEqual({
          instanceId: INSTANCE,
          instanceName: 'acme-claw',
          port: 18789,
          jobId: args.jobId,
          toVersion: '2026.9.6',
          previous: { gatewayId: OLD_GW, cliId: OLD_CLI },
        });
        expect(ran.find((e) => e.action === 'openclaw.finish-upgrade')!.params).toEqual({
          instanceId: INSTANCE,
          previous: { gatewayId: OLD_GW, cliId: OLD_CLI },
          keepSnapshots: 2,
        });
        expect(m.upgraded).toEqual([expect.objectContaining({ containerIds: [NEW_GW, NEW_CLI], bundleVersion: '2026.9.6', fromVersion: '2026.9.5', snapshot })]);
        expect(m.updates.calls.at(-1)).toMatchObject({ state: 'completed', result: { version: '2026.9.6', snapshot } });
      }),
    );
  });

  it('rolls back automatically when the new version fails its health gate, and fails the job with both reasons', () => {
    const m = mocks();
    return ts.run(m.activities, () =>
      withAgent({ newUnhealthy: true }, async () => {
        const args = input();
        const handle = await startApproved(args, m);
        await expect(handle.result()).rejects.toThrow();
        const actions = ran.map((e) => e.action);
        expect(actions.slice(2)).toEqual(['openclaw.snapshot-state', 'openclaw.switch-version', 'openclaw.wait-healthy', 'openclaw.rollback-version', 'openclaw.wait-healthy']);
        expect(ran.find((e) => e.action === 'openclaw.rollback-version')!.params).toEqual({
          instanceId: INSTANCE,
          instanceName: 'acme-claw',
          jobId: args.jobId,
          previous: { gatewayId: OLD_GW, cliId: OLD_CLI },
          snapshotVolume: snapshot.volume,
        });
        // Health after the rollback is the previous containers'.
        expect((ran.at(-1)!.params as { gatewayId: string }).gatewayId).toBe(OLD_GW);
        expect(m.upgraded).toEqual([]);
        expect(m.healthRecorded).toHaveLength(1);
        const failed = m.updates.calls.at(-1)!;
        expect(failed.state).toBe('failed');
        expect(failed.failureReason).toMatch(
          /^the upgrade to 2026\.9\.6 failed: openclaw\.wait-healthy failed on the node: the gateway was not healthy within 180 s.*; rolled back to 2026\.9\.5 with the state of 2026-12-01T02:00:00\.000Z, healthy again$/,
        );
      }),
    );
  });

  it('rolls back when the new version does not keep the tool policy in force', () => {
    const m = mocks();
    return ts.run(m.activities, () =>
      withAgent({ toolsAfter: tools('sha256:policy', []) }, async () => {
        const handle = await startApproved(input(), m);
        await expect(handle.result()).rejects.toThrow();
        expect(ran.map((e) => e.action)).toContain('openclaw.rollback-version');
        expect(m.upgraded).toEqual([]);
        expect(m.updates.calls.at(-1)!.failureReason).toMatch(/the new version lets a session call exec, which the tool policy denied; rolled back/);
      }),
    );
  });

  it("runs without waiting when a rollout's approval covers it (no approval terms of its own)", () => {
    const m = mocks();
    return ts.run(m.activities, () =>
      withAgent({}, async () => {
        const args = input(false);
        const handle = await ts.env.client.workflow.start(upgradeOpenclaw, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
        await expect(handle.result()).resolves.toMatchObject({ state: 'completed', toVersion: '2026.9.6' });
        expect(m.updates.calls.some((u) => u.state === 'waiting_for_approval')).toBe(false);
      }),
    );
  });

  it("runs without waiting when it carries approval terms but a rollout's approval covers it (coveredBy)", () => {
    const m = mocks();
    return ts.run(m.activities, () =>
      withAgent({}, async () => {
        const args = { ...input(true), coveredBy: `rollout-${crypto.randomUUID()}` };
        const handle = await ts.env.client.workflow.start(upgradeOpenclaw, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
        await expect(handle.result()).resolves.toMatchObject({ state: 'completed', toVersion: '2026.9.6' });
        expect(m.updates.calls.some((u) => u.state === 'waiting_for_approval')).toBe(false);
      }),
    );
  });

  it('ends at a failed preflight with its reason, before any approval or change', () => {
    const m = mocks();
    return ts.run(m.activities, () =>
      withAgent({ preflightFails: true }, async () => {
        const args = input();
        const handle = await ts.env.client.workflow.start(upgradeOpenclaw, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
        await expect(handle.result()).rejects.toThrow();
        expect(ran.map((e) => e.action)).toEqual(['openclaw.upgrade-preflight']);
        expect(m.updates.calls.at(-1)).toMatchObject({ state: 'failed', failureReason: 'preflight failed: 0.1 GiB free for Docker (3.0 GiB needed)' });
      }),
    );
  });
});
