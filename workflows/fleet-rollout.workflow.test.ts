// The fleet rollout in Temporal's time-skipping test server, its activities mocked and each target a
// stand-in child run (workflows/fleet-rollout.test-workflow.ts): nothing starts before the rollout's
// approval, the canary runs alone and the rest waits for the second approval, a batch past its threshold
// stops the rollout until someone resumes it, a pause or cancel takes effect only between batches (a
// started target finishes), an unhealthy instance counts as a failure, and a long rollout continues as new.
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { FleetRolloutActivities } from '../activities/fleet-rollouts.ts';
import type { JobActivities } from '../activities/jobs.ts';
import type { RolloutControl } from '../db/schema.ts';
import { approveGrantFor, operatorRequestTerms } from '../tests/jest/test-grants.ts';
import { callLog, historyEvent, useTimeSkipping } from '../tests/jest/time-skipping.ts';
import { approveUpdate } from './approval.ts';
import type { RolloutSettings, TargetOutcome } from './fleet-rollout-plan.ts';
import { canaryPhrase, cancelRolloutUpdate, fleetRollout, pauseRolloutUpdate, resumeRolloutUpdate, type FleetRolloutInput } from './fleet-rollout.ts';
import type { StandInTargetInput } from './fleet-rollout.test-workflow.ts';

type Activities = JobActivities & FleetRolloutActivities & { targetRan(input: { name: string }): Promise<void> };
const ts = useTimeSkipping<Activities>(fileURLToPath(new URL('./fleet-rollout.test-workflow.ts', import.meta.url)), [
  'updateJob',
  'confirmDecision',
  'prepareRolloutTarget',
  'recordRolloutChildRun',
  'readRolloutControl',
  'holdRollout',
  'targetRan',
]);

const seed = crypto.randomBytes(32).toString('hex');
const phrase = 'restart 6 instances';
const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i + 1}`);

/** The mocked activities: the control a person "asked" (as rollout_controls would hold it), and what ran. */
function mocks(outcomes: Record<string, StandInTargetInput['outcome']> = {}, judge: 'health' | 'state' = 'state') {
  const updates = callLog<Parameters<JobActivities['updateJob']>[0]>();
  const started = callLog<string>();
  const ran: string[] = [];
  const held: string[] = [];
  const state = { control: 'run' as RolloutControl, targets: [] as string[] };
  const activities: Partial<Activities> = {
    async updateJob(u) {
      updates.add(u);
    },
    async confirmDecision(c) {
      return { ok: true, by: { userId: c.grant.userId, email: c.grant.email, role: c.grant.role } };
    },
    async prepareRolloutTarget({ index, childJobId }) {
      const name = state.targets[index]!;
      return { workflowType: 'standInTarget', workflowId: `target-${childJobId}`, args: { name, outcome: outcomes[name] ?? 'ok', seconds: 30 }, judge };
    },
    async recordRolloutChildRun({ childJobId }) {
      started.add(childJobId);
    },
    async readRolloutControl() {
      return { control: state.control };
    },
    async holdRollout({ reason }) {
      held.push(reason);
      if (state.control !== 'cancel') state.control = 'pause';
      return { control: state.control };
    },
    async targetRan({ name }) {
      ran.push(name);
    },
  };
  return { updates, started, ran, held, state, activities };
}

const settings = (s: Partial<RolloutSettings> = {}): RolloutSettings => ({
  batchSize: 2,
  canarySize: 1,
  pauseSeconds: 0,
  maxFailuresPerBatch: 1,
  maxFailureRatio: 0.5,
  secondApproval: false,
  ...s,
});

function input(m: ReturnType<typeof mocks>, count: number, s: Partial<RolloutSettings>, approval: boolean, extra: Partial<FleetRolloutInput> = {}): FleetRolloutInput {
  m.state.targets = names(count);
  return {
    jobId: `job-${crypto.randomUUID()}`,
    action: approval ? 'restart' : 'health',
    targets: names(count).map((name) => ({ id: `id-${name}`, name })),
    settings: settings(s),
    ...(approval ? operatorRequestTerms(seed, phrase) : {}),
    ...extra,
  };
}

const grantFor = (workflowId: string, typed: string) => approveGrantFor(seed, workflowId, typed, { userId: 'u-admin', email: 'admin@example.com', role: 'msp_admin' });

const lastTargets = (m: ReturnType<typeof mocks>) => [...m.updates.calls].reverse().find((u) => u.result?.targets)!.result!.targets as TargetOutcome[];

describe('fleetRollout (time-skipping)', () => {
  it('starts nothing before its approval, runs the canary alone, waits for the second approval, then batches of two', () => {
    const m = mocks();
    return ts.run(m.activities, async () => {
      const args = input(m, 6, { secondApproval: true }, true);
      const handle = await ts.env.client.workflow.start(fleetRollout, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
      await m.updates.when((u) => u.state === 'waiting_for_approval');
      await historyEvent(handle, (e) => e.timerStartedEventAttributes);
      expect(m.started.calls).toEqual([]);
      await handle.executeUpdate(approveUpdate, { args: [{ grant: grantFor(handle.workflowId, phrase) }] });
      await ts.env.sleep('2 minutes'); // the canary's run

      const second = await m.updates.when((u) => u.step === 'canary approval');
      expect(second).toMatchObject({ state: 'waiting_for_approval', approvalPhrase: canaryPhrase(phrase) });
      expect(m.ran).toEqual(['t1']);
      // The first approval's grant is not the second's: the phrase differs.
      await expect(handle.executeUpdate(approveUpdate, { args: [{ grant: grantFor(handle.workflowId, phrase) }] })).rejects.toMatchObject({
        cause: { message: expect.stringMatching(/phrase does not match/) },
      });
      await handle.executeUpdate(approveUpdate, { args: [{ grant: grantFor(handle.workflowId, canaryPhrase(phrase)) }] });

      await expect(handle.result()).resolves.toEqual({ completed: 6, failed: 0, state: 'completed' });
      expect(lastTargets(m).map((t) => [t.name, t.state, t.batch])).toEqual([
        ['t1', 'completed', 0],
        ['t2', 'completed', 1],
        ['t3', 'completed', 1],
        ['t4', 'completed', 2],
        ['t5', 'completed', 2],
        ['t6', 'completed', 3],
      ]);
      expect(m.updates.calls.at(-1)).toMatchObject({ state: 'completed', step: null });
    });
  });

  it('stops by itself when a batch fails, starts nothing more, and finishes after a resume', () => {
    const m = mocks({ t3: 'fail' });
    return ts.run(m.activities, async () => {
      const args = input(m, 6, {}, false);
      const handle = await ts.env.client.workflow.start(fleetRollout, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
      await ts.env.sleep('5 minutes'); // the canary's and the second batch's runs
      await m.updates.when((u) => u.step === 'stopped');
      expect(m.held).toEqual(['batch 2 had 1 failure(s) (the limit is 1)']);
      expect(m.ran.sort()).toEqual(['t1', 't2', 't3']);
      expect(lastTargets(m).find((t) => t.name === 't3')).toMatchObject({ state: 'failed', reason: 't3 did not come back' });
      expect(m.started.calls).toHaveLength(3);

      // A resume nobody asked for in Postgres changes nothing: the run reads the control again.
      await expect(handle.executeUpdate(resumeRolloutUpdate)).resolves.toMatchObject({ control: 'pause', stopped: 'batch 2 had 1 failure(s) (the limit is 1)' });
      m.state.control = 'run';
      await expect(handle.executeUpdate(resumeRolloutUpdate)).resolves.toMatchObject({ control: 'run' });
      await expect(handle.result()).resolves.toEqual({ completed: 5, failed: 1, state: 'completed' });
      expect(m.ran.sort()).toEqual(names(6));
    });
  });

  it('pauses and cancels between batches only: the targets already started finish, the rest never start', () => {
    const m = mocks();
    return ts.run(m.activities, async () => {
      const args = input(m, 6, { canarySize: 0 }, false);
      const handle = await ts.env.client.workflow.start(fleetRollout, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
      await m.started.when(() => m.started.calls.length >= 2);
      m.state.control = 'pause';
      await handle.executeUpdate(pauseRolloutUpdate);
      await ts.env.sleep('2 minutes'); // the batch under way finishes
      await m.updates.when((u) => u.step === 'paused');
      expect(m.ran.sort()).toEqual(['t1', 't2']);
      expect(m.started.calls).toHaveLength(2);

      m.state.control = 'run';
      await handle.executeUpdate(resumeRolloutUpdate);
      await m.started.when(() => m.started.calls.length >= 4);
      m.state.control = 'cancel';
      await handle.executeUpdate(cancelRolloutUpdate);
      await expect(handle.result()).resolves.toEqual({ completed: 4, failed: 0, state: 'cancelled' });
      expect(m.ran.sort()).toEqual(['t1', 't2', 't3', 't4']);
      expect(m.updates.calls.at(-1)).toMatchObject({ state: 'cancelled', failureReason: 'cancelled before batch 3: 2 target(s) not started' });
      expect(
        lastTargets(m)
          .filter((t) => t.state === 'pending')
          .map((t) => t.name),
      ).toEqual(['t5', 't6']);
    });
  });

  it('counts an unhealthy instance as a failure, and continues as new between batches to keep its history short', () => {
    const m = mocks({ t8: 'unhealthy' }, 'health');
    return ts.run(m.activities, async () => {
      const args = input(m, 8, { canarySize: 0, maxFailuresPerBatch: 2 }, false, { continueAfterEvents: 40 });
      const handle = await ts.env.client.workflow.start(fleetRollout, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
      await expect(handle.result()).resolves.toEqual({ completed: 7, failed: 1, state: 'completed' });
      const latest = await ts.env.client.workflow.getHandle(args.jobId).describe();
      expect(latest.runId).not.toEqual(handle.firstExecutionRunId);
      expect(lastTargets(m).find((t) => t.name === 't8')).toMatchObject({ state: 'failed', reason: 'the instance is not healthy' });
      // Each target ran once, across the runs.
      expect(m.ran.sort()).toEqual(names(8));
      expect(new Set(m.started.calls).size).toBe(8);
    });
  });
});
