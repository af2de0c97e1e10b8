// runOnNode in Temporal's time-skipping test server, with the control plane's activities mocked on the
// workflow's queue and a mock agent on the node's queue: fresh envelopes for each retry of an idempotent
// step, one try for an at-most-once step, refusals recorded and never retried, "node offline" after the
// schedule-to-start timeout (five minutes of workflow time in a moment), a refused result.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ApplicationFailure, type WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { NodeDispatchActivities } from '../activities/node-jobs.ts';
import type { JobEnvelope, JobResult, NodeAgentActivities } from '../protocol/envelope.ts';
import type { NodeActionName } from '../protocol/node-actions.ts';
import { bundleWorkflows, startTimeSkipping } from '../tests/jest/time-skipping.ts';
import type { NodeStep, PreSigned, runOnNode } from './node-job.ts';
import { nodeTaskQueue } from './task-queues.ts';

const QUEUE = 'node-job-test';
const NODE = '0b8a6f0e-7a55-4b3e-9d5e-2f1c3e4a5b6c';
const OFFLINE_NODE = '1c9b7f1f-8b66-4c4f-8e6f-3a2d4f5b6c7d';
const GATEWAY = 'a'.repeat(64);

let env: TestWorkflowEnvironment;
let workers: Worker[];
let running: Promise<unknown>;

/** What the mocks saw, and how the agent and the verification behave in the current test. */
let signed: JobEnvelope[];
let ran: string[];
let refusals: { envelopeId: string; reason: string }[];
let agentAnswers: ((envelope: JobEnvelope) => Promise<unknown>)[];
let verify: (input: { envelopeId: string; result: JobResult }) => Promise<unknown>;
let refuseToSign: string | undefined;

const controlPlane: Pick<NodeDispatchActivities, 'signNodeJob' | 'verifyNodeResult' | 'recordNodeJobRefusal'> = {
  async signNodeJob(input) {
    if (refuseToSign) throw ApplicationFailure.nonRetryable(refuseToSign, 'BadParameters');
    const envelope: JobEnvelope = {
      v: 1,
      envelopeId: input.envelopeId,
      jobId: 'job-1',
      nodeId: input.nodeId,
      agentKey: '0123456789abcdef',
      action: input.action,
      params: input.params as Record<string, unknown>,
      issuedAt: new Date().toISOString(),
      notAfter: new Date(Date.now() + input.ttlSeconds * 1000).toISOString(),
      signature: 'mock',
    };
    signed.push(envelope);
    return envelope;
  },
  verifyNodeResult: (async (input: { envelopeId: string; result: JobResult }) => verify(input)) as NodeDispatchActivities['verifyNodeResult'],
  async recordNodeJobRefusal(input) {
    refusals.push({ envelopeId: input.envelopeId, reason: input.reason });
  },
};

const agent: NodeAgentActivities = {
  async runNodeJob(envelope) {
    ran.push(envelope.envelopeId);
    const answer = agentAnswers.shift() ?? (async () => ({ containers: [] }));
    const output = await answer(envelope);
    return { v: 1, envelopeId: envelope.envelopeId, nodeId: envelope.nodeId, ok: true, output, finishedAt: new Date().toISOString(), signature: 'mock' };
  },
};

const HEALTH = {
  gateway: { id: GATEWAY, state: 'running', health: null },
  cli: { id: null, state: 'missing', health: null },
  healthz: { ok: true, body: { ok: true } },
  readyz: { ok: true, body: { ready: true } },
  cliCheck: null,
  healthy: false,
};
const restart = (overrides: Partial<NodeStep<'openclaw.restart'>> = {}): NodeStep<'openclaw.restart'> => ({
  nodeId: NODE,
  action: 'openclaw.restart',
  params: { gatewayId: GATEWAY, port: 18789, timeoutSeconds: 60 },
  mode: 'at-most-once',
  waitForNodeSeconds: 300,
  runSeconds: 120,
  ...overrides,
});
const health = (overrides: Partial<NodeStep<'openclaw.health'>> = {}): NodeStep<'openclaw.health'> => ({
  nodeId: NODE,
  action: 'openclaw.health',
  params: { gatewayId: GATEWAY, port: 18789 },
  mode: 'idempotent',
  waitForNodeSeconds: 300,
  runSeconds: 60,
  ...overrides,
});

let runs = 0;
const run = <A extends NodeActionName>(step: NodeStep<A>, preSigned?: PreSigned) =>
  env.client.workflow.execute<typeof runOnNode<A>>('runOnNode', {
    taskQueue: QUEUE,
    workflowId: `node-job-test-${++runs}`,
    args: preSigned ? [step, preSigned] : [step],
  });
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => {
      throw new Error('expected the run to fail');
    },
    (e: unknown) => e as WorkflowFailedError,
  );
  const cause = err.cause as ApplicationFailure;
  return { type: cause.type, message: cause.message, nonRetryable: cause.nonRetryable };
};
const agentFails = (message: string) => async () => {
  throw new Error(message);
};

beforeAll(async () => {
  const [started, workflowBundle] = await Promise.all([startTimeSkipping(), bundleWorkflows('workflows/node-job.ts')]);
  env = started;
  workers = await Promise.all([
    Worker.create({ connection: env.nativeConnection, taskQueue: QUEUE, workflowBundle, activities: controlPlane }),
    Worker.create({ connection: env.nativeConnection, taskQueue: nodeTaskQueue(NODE), activities: agent }),
  ]);
  running = Promise.all(workers.map((w) => w.run()));
}, 60_000);

afterAll(async () => {
  for (const w of workers ?? []) w.shutdown();
  await running;
  await env?.teardown();
});

beforeEach(() => {
  signed = [];
  ran = [];
  refusals = [];
  agentAnswers = [];
  verify = async ({ result }) => result.output;
  refuseToSign = undefined;
});

describe('runOnNode', () => {
  it('returns the verified output of a step the agent ran', async () => {
    agentAnswers = [async () => HEALTH];
    expect(await run(health())).toEqual(HEALTH);
    expect(signed.map((e) => [e.action, e.params])).toEqual([['openclaw.health', { gatewayId: GATEWAY, port: 18789 }]]);
    expect(ran).toEqual([signed[0]!.envelopeId]);
  });

  it("runs the first attempt on the envelope the approval's check signed, and signs a fresh one for the next (ADR 0032)", async () => {
    const envelope: JobEnvelope = {
      v: 1,
      envelopeId: 'e0c5d1a2-3b4c-4d5e-8f60-718293a4b5c6',
      jobId: 'job-1',
      nodeId: NODE,
      agentKey: '0123456789abcdef',
      action: 'openclaw.health',
      params: { gatewayId: GATEWAY, port: 18789 },
      issuedAt: new Date().toISOString(),
      notAfter: new Date(Date.now() + 600_000).toISOString(),
      signature: 'mock',
    };
    agentAnswers = [agentFails('Docker did not answer'), async () => HEALTH];
    expect(await run(health({ attempts: 2 }), { envelopeId: envelope.envelopeId, envelope })).toEqual(HEALTH);
    expect(signed).toHaveLength(1);
    expect(ran).toEqual([envelope.envelopeId, signed[0]!.envelopeId]);
  });

  it('retries a failed idempotent step with a fresh envelope each time', async () => {
    agentAnswers = [agentFails('Docker did not answer'), agentFails('Docker did not answer'), async () => HEALTH];
    expect(await run(health({ attempts: 3 }))).toEqual(HEALTH);
    expect(ran).toHaveLength(3);
    expect(new Set(ran).size).toBe(3);
    expect(ran).toEqual(signed.map((e) => e.envelopeId));
  });

  it('gives up on an idempotent step after its attempts, with the last reason', async () => {
    agentAnswers = [agentFails('first'), agentFails('second')];
    expect(await failure(run(health({ attempts: 2 })))).toEqual({ type: 'StepFailed', message: 'openclaw.health failed on the node: second', nonRetryable: true });
    expect(new Set(ran).size).toBe(2);
  });

  it('tries an at-most-once step once, whatever happens', async () => {
    agentAnswers = [agentFails('the restart was interrupted')];
    expect(await failure(run(restart()))).toEqual({ type: 'StepFailed', message: 'openclaw.restart failed on the node: the restart was interrupted', nonRetryable: true });
    expect(ran).toHaveLength(1);
  });

  it("records the agent's refusal and never retries it, even for an idempotent step", async () => {
    agentAnswers = [
      async (e) => {
        throw ApplicationFailure.nonRetryable(`envelope ${e.envelopeId} expired at then`, 'JobRefused', { refusal: 'expired' });
      },
    ];
    const failed = await failure(run(health({ attempts: 3 })));
    expect(failed).toEqual({ type: 'JobRefused', message: `the node refused the job: envelope ${ran[0]} expired at then`, nonRetryable: true });
    expect(ran).toHaveLength(1);
    expect(refusals).toEqual([{ envelopeId: ran[0], reason: `envelope ${ran[0]} expired at then` }]);
  });

  it('fails with "node offline" when no agent picks the step up within its wait', async () => {
    // In real time: the test server holds its clock while an activity is scheduled (an activity runs
    // in real time there), so a schedule-to-start timeout is never skipped to. Measured: a 300 s wait
    // had not fired after 60 s. A short wait keeps the test to seconds.
    const started = Date.now();
    expect(await failure(run(health({ nodeId: OFFLINE_NODE, waitForNodeSeconds: 2 })))).toEqual({
      type: 'NodeOffline',
      message: 'node offline: no agent picked up the job within 2 s',
      nonRetryable: true,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(signed).toHaveLength(1);
  });

  it('refuses a result the verification refuses, without running the step again', async () => {
    verify = async () => {
      throw ApplicationFailure.nonRetryable('result refused: the output of openclaw.health is malformed: healthy: expected boolean', 'ResultRefused');
    };
    expect(await failure(run(health({ attempts: 3 })))).toEqual({
      type: 'ResultRefused',
      message: 'result refused: the output of openclaw.health is malformed: healthy: expected boolean',
      nonRetryable: true,
    });
    expect(ran).toHaveLength(1);
  });

  it("ends with the control plane's reason when it will not sign the step", async () => {
    refuseToSign = 'bad parameters for openclaw.health: port: Too big';
    expect(await failure(run(health()))).toEqual({ type: 'BadParameters', message: 'bad parameters for openclaw.health: port: Too big', nonRetryable: true });
    expect(ran).toEqual([]);
  });
});
