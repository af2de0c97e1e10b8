// The apply-capabilities job in Temporal's time-skipping test server, the control plane's activities and
// the node's agent mocked: the current policy is read and shown to the approver, nothing is written
// before the typed approval, and the applied hash is recorded with the effective tools after it; with
// nobody approving, a day later the job has expired and the gateway was never touched.
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Worker } from '@temporalio/worker';
import type { JobActivities } from '../activities/jobs.ts';
import type { NodeDispatchActivities } from '../activities/node-jobs.ts';
import type { AppliedToolsRecord, ToolPolicyActivities } from '../activities/tool-policy.ts';
import type { JobEnvelope, NodeAgentActivities } from '../protocol/envelope.ts';
import type { ToolPolicy } from '../protocol/tool-policy.ts';
import { MOCKED_JOB_ACTIVITIES, mockAgentResult, mockJobRecord, mockNodeDispatch } from '../tests/jest/workflow-mocks.ts';
import { approveGrantFor, operatorRequestTerms } from '../tests/jest/test-grants.ts';
import { historyEvent, useTimeSkipping } from '../tests/jest/time-skipping.ts';
import { applyCapabilities, type ApplyCapabilitiesInput } from './apply-capabilities.ts';
import { approveUpdate } from './approval.ts';
import { nodeTaskQueue } from './task-queues.ts';

type Activities = JobActivities & ToolPolicyActivities & NodeDispatchActivities;
const ts = useTimeSkipping<Activities>(fileURLToPath(new URL('./apply-capabilities.ts', import.meta.url)), [...MOCKED_JOB_ACTIVITIES, 'recordToolPolicyApplied']);

const NODE = '2d0c8a1f-9c77-4d5a-8f70-4b3e5a6c7d8e';
const seed = crypto.randomBytes(32).toString('hex');
const admin = { userId: 'u-admin', email: 'admin@example.com', role: 'msp_admin' };
const policy: ToolPolicy = { profile: 'coding', deny: ['group:runtime'] };
const phrase = 'apply capabilities to acme-tools on edge-01';
const effective = (allowed: string[], denied: string[]) => ({ profile: 'coding', allowed, denied });

/** The node's agent: what it was asked to run, in order, and its answers. */
const ran: JobEnvelope[] = [];
const agent: NodeAgentActivities = {
  async runNodeJob(envelope) {
    ran.push(envelope);
    const output =
      envelope.action === 'openclaw.read_tool_policy'
        ? { configPath: '/home/node/.openclaw/openclaw.json', hash: 'sha256:before', policy: {}, tools: {}, effective: effective(['exec', 'read'], []) }
        : {
            configPath: '/home/node/.openclaw/openclaw.json',
            hash: 'sha256:after',
            policy,
            tools: policy,
            effective: effective(['read'], ['exec']),
            changed: true,
            reload: 'hot',
            writtenAt: '2026-11-30T12:00:00.000Z',
          };
    return mockAgentResult(envelope, output);
  },
};

/** Runs `test` with the mock agent polling the node's queue (stopped before the file's server goes). */
async function withAgent(test: () => Promise<void>): Promise<void> {
  ran.length = 0;
  const worker = await Worker.create({ connection: ts.env.nativeConnection, taskQueue: nodeTaskQueue(NODE), activities: agent });
  await worker.runUntil(test());
}

function mocks() {
  const { updates, activities: record } = mockJobRecord();
  const recorded: AppliedToolsRecord[] = [];
  const activities: Partial<Activities> = {
    ...record,
    async recordToolPolicyApplied(r) {
      recorded.push(r);
    },
    ...mockNodeDispatch(),
  };
  return { updates, recorded, activities };
}

const input = (): ApplyCapabilitiesInput => ({
  jobId: `job-${crypto.randomUUID()}`,
  nodeId: NODE,
  instanceId: 'i-1',
  gatewayId: 'a'.repeat(64),
  cliId: 'b'.repeat(64),
  port: 18789,
  nodeWaitSeconds: 300,
  ...operatorRequestTerms(seed, phrase),
  toolPolicy: policy,
  summary: 'pack Support desk: no shell',
  healthTimeoutSeconds: 180,
});

const grantFor = (workflowId: string) => approveGrantFor(seed, workflowId, phrase, admin);

describe('applyCapabilities (time-skipping)', () => {
  it('reads the current policy for the approver, applies only after the approval, and records the applied hash', () => {
    const m = mocks();
    return ts.run(m.activities, () =>
      withAgent(async () => {
        const args = input();
        const handle = await ts.env.client.workflow.start(applyCapabilities, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
        const asked = await m.updates.when((u) => u.state === 'waiting_for_approval');
        expect(asked.result).toEqual({ summary: args.summary, desired: policy, before: { hash: 'sha256:before', policy: {}, denied: [] } });
        await historyEvent(handle, (e) => e.timerStartedEventAttributes);
        expect(ran.map((e) => e.action)).toEqual(['openclaw.read_tool_policy']);

        await handle.executeUpdate(approveUpdate, { args: [{ grant: grantFor(handle.workflowId) }] });
        await expect(handle.result()).resolves.toEqual({ state: 'completed', hash: 'sha256:after', allowed: ['read'], denied: ['exec'] });
        expect(ran.map((e) => e.action)).toEqual(['openclaw.read_tool_policy', 'openclaw.apply_tool_policy']);
        expect(ran[1]!.params).toEqual({ gatewayId: args.gatewayId, cliId: args.cliId, port: 18789, policy, timeoutSeconds: 180 });
        expect(m.recorded).toEqual([
          { jobId: args.jobId, instanceId: 'i-1', hash: 'sha256:after', tools: policy, writtenAt: '2026-11-30T12:00:00.000Z', allowed: ['read'], denied: ['exec'] },
        ]);
        expect(m.updates.calls.at(-1)).toMatchObject({ state: 'completed', result: { hash: 'sha256:after', allowed: ['read'], denied: ['exec'], reload: 'hot', changed: true } });
      }),
    );
  });

  it('expires after a day with nobody approving, and never writes to the gateway', () => {
    const m = mocks();
    return ts.run(m.activities, () =>
      withAgent(async () => {
        const args = input();
        const handle = await ts.env.client.workflow.start(applyCapabilities, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
        await expect(handle.result()).resolves.toEqual({ state: 'ended without approval' });
        expect(m.updates.calls.at(-1)).toMatchObject({ state: 'expired' });
        expect(ran.map((e) => e.action)).toEqual(['openclaw.read_tool_policy']);
        expect(m.recorded).toEqual([]);
      }),
    );
  });
});
