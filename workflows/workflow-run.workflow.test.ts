// The workflow-run interpreter in Temporal's time-skipping test server, its activities mocked: each step
// asks the policy engine first (a blocked step stops the run with the rule), a step that needs
// confirmation waits for N distinct approvals (its expiry fails the run or skips the step, as the
// definition says), outputs flow to later steps, a step whose condition does not hold is skipped, a
// failing step names itself, a simulation calls no provider and starts no job, and a real instance action
// waits for its own job.
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { JobActivities } from '../activities/jobs.ts';
import type { StepVerdict, WorkflowRunActivities } from '../activities/workflow-runs.ts';
import { grantPublicKey, signGrant } from '../protocol/approval-grant.ts';
import type { Step } from '../protocol/workflow-definition.ts';
import { driveListStep } from '../tests/jest/sample-steps.ts';
import { callLog, historyEvent, useTimeSkipping } from '../tests/jest/time-skipping.ts';
import { approveUpdate, type Approver } from './approval.ts';
import { stepPhrase, workflowRun, type WorkflowRunInput } from './workflow-run.ts';

type Activities = WorkflowRunActivities & JobActivities;
const ts = useTimeSkipping<Activities>(fileURLToPath(new URL('./workflow-run.ts', import.meta.url)), [
  'updateJob',
  'confirmDecision',
  'checkRunStep',
  'openStepApproval',
  'runConnectionStep',
  'startInstanceStep',
  'awaitJobEnd',
]);

const seed = crypto.randomBytes(32).toString('hex');
const requester: Approver = { userId: 'u-acme-admin', email: 'admin@acme.test', role: 'company_admin' };
const approverA: Approver = { userId: 'u-a', email: 'a@acme.test', role: 'company_user' };
const approverB: Approver = { userId: 'u-b', email: 'b@acme.test', role: 'company_user' };
const CONNECTION = '00000000-0000-4000-8000-000000000001';
const INSTANCE = '00000000-0000-4000-8000-000000000002';

const list = driveListStep(CONNECTION);
const restart: Step = { id: 'restart', name: 'Restart the gateway', kind: 'instance_action', action: 'restart', instanceId: INSTANCE, input: {} };
const waitStep = (onExpiry: 'fail' | 'skip'): Step => ({
  id: 'ok',
  name: 'Wait for a person',
  kind: 'wait_for_person',
  message: 'Look first',
  confirmation: { expiresInHours: 1, onExpiry },
});
const notify: Step = { id: 'tell', name: 'Tell', kind: 'notify', message: 'done' };

const twoOfGroup: { approvalsNeeded: number; approverRoles: never[]; approverGroupIds: string[]; forbidSelfApproval: boolean; expiresInHours: number } = {
  approvalsNeeded: 2,
  approverRoles: [],
  approverGroupIds: ['g-acme'],
  forbidSelfApproval: true,
  expiresInHours: 24,
};
const allowed: StepVerdict = { outcome: 'allowed', sentence: 'Acme may run it now.', onExpiry: 'fail', changes: false };
const confirm = (onExpiry: 'fail' | 'skip' = 'fail', approval = twoOfGroup): StepVerdict => ({
  outcome: 'needs_confirmation',
  sentence: 'It runs after 2 approvals.',
  approval: { ...approval, approverRoles: [...approval.approverRoles], approverGroupIds: [...approval.approverGroupIds] },
  onExpiry,
  changes: true,
});

const input = (steps: Step[], over: Partial<WorkflowRunInput> = {}): WorkflowRunInput => ({
  jobId: `run-${crypto.randomUUID()}`,
  definitionName: 'Acme check',
  versionNumber: 3,
  steps,
  simulate: false,
  requestedBy: requester,
  approvalGrantKey: grantPublicKey(seed),
  approvalTimeoutSeconds: 7 * 24 * 3600,
  ...over,
});

const grant = (handle: { workflowId: string }, who: Approver, phrase: string) => ({
  grant: signGrant(seed, {
    v: 1,
    decision: 'approve',
    workflowId: handle.workflowId,
    jobId: handle.workflowId,
    phrase,
    userId: who.userId,
    email: who.email,
    role: who.role,
    organizationId: 'org-acme',
    reason: null,
    issuedAt: new Date(0).toISOString(),
    notAfter: '9999-12-31T00:00:00.000Z',
    nonce: crypto.randomUUID(),
  }),
});

type JobUpdate = Parameters<JobActivities['updateJob']>[0];

/** Mocks: the verdict per step id, the job's record kept in order, decisions always confirmed by "Postgres". */
function mocks(verdicts: Record<string, StepVerdict>, over: Partial<Activities> = {}) {
  const updates = callLog<JobUpdate>();
  const checked = callLog<Parameters<Activities['checkRunStep']>[0]>();
  const opened = callLog<Parameters<Activities['openStepApproval']>[0]>();
  const ran: string[] = [];
  const activities: Partial<Activities> = {
    async updateJob(u) {
      updates.add(u);
    },
    async confirmDecision(c) {
      return { ok: true, by: { userId: c.grant.userId, email: c.grant.email, role: c.grant.role } };
    },
    async checkRunStep(c) {
      checked.add(c);
      return { step: c.step, verdict: verdicts[c.step.id]! };
    },
    async openStepApproval(o) {
      opened.add(o);
      return { preApproved: [] };
    },
    async runConnectionStep(r) {
      ran.push(r.step.id);
      return { source: r.simulate ? 'Simulated' : 'Live', data: { files: [{ id: 'f1', name: 'Q3 report.pdf' }] } };
    },
    ...over,
  };
  return { activities, updates, checked, opened, ran };
}

const start = (args: WorkflowRunInput) => ts.env.client.workflow.start(workflowRun, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });

async function failure(handle: WorkflowHandle): Promise<string> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause?.message ?? '';
}

describe('a workflow run (time-skipping)', () => {
  it('stops at a blocked step with the rule and its sentence, running nothing', () => {
    const m = mocks({
      list: { outcome: 'blocked', rule: 'action.not_allowed', sentence: 'Acme’s permission for Google Drive does not allow files.list.', onExpiry: 'fail', changes: false },
    });
    return ts.run(m.activities, async () => {
      const handle = await start(input([list, notify]));
      expect(await failure(handle)).toBe('step 1 (List the shared folder) is blocked by action.not_allowed: Acme’s permission for Google Drive does not allow files.list.');
      expect(m.ran).toEqual([]);
      const last = m.updates.calls.filter((u) => u.result).at(-1)!.result as { steps: { id: string; state: string; verdict: { rule: string } }[] };
      expect(last.steps).toEqual([expect.objectContaining({ id: 'list', state: 'blocked', verdict: expect.objectContaining({ rule: 'action.not_allowed' }) })]);
      expect(m.updates.calls.at(-1)).toMatchObject({ state: 'failed' });
    });
  });

  it('passes each step the outputs before it, and ends with every step’s outcome and source', () => {
    const m = mocks({ list: allowed, tell: allowed });
    return ts.run(m.activities, async () => {
      const handle = await start(input([list, notify]));
      const { steps } = await handle.result();
      expect(steps.map((s) => [s.id, s.state, s.source])).toEqual([
        ['list', 'completed', 'Live'],
        ['tell', 'completed', 'Run'],
      ]);
      expect(m.checked.calls.map((c) => c.outputs)).toEqual([{}, { list: { files: [{ id: 'f1', name: 'Q3 report.pdf' }] } }]);
      expect(m.updates.calls.at(-1)).toEqual({ jobId: handle.workflowId, state: 'completed', step: null });
    });
  });

  it('records a step whose condition does not hold as skipped, with why, stores no output for it and goes on', () => {
    const unmet = 'runs only if steps.list.output.incomplete is true, and it is false';
    const seen: Record<string, unknown>[] = [];
    const m = mocks(
      { list: allowed, tell: allowed },
      {
        async checkRunStep(c) {
          seen.push(c.outputs);
          if (c.step.id === 'restart') return { skipped: unmet };
          return { step: c.step, verdict: allowed, ...(c.step.id === 'tell' ? { condition: 'runs only if steps.list.output.n is 1, and it is 1' } : {}) };
        },
        async startInstanceStep() {
          throw new Error('a skipped step starts no job');
        },
      },
    );
    return ts.run(m.activities, async () => {
      const handle = await start(input([list, restart, notify]));
      const { steps } = await handle.result();
      expect(steps.map((s) => [s.id, s.state, s.reason])).toEqual([
        ['list', 'completed', undefined],
        ['restart', 'skipped', unmet],
        ['tell', 'completed', 'runs only if steps.list.output.n is 1, and it is 1'],
      ]);
      expect(steps[1]).not.toHaveProperty('output');
      expect(steps[1]).not.toHaveProperty('verdict');
      expect(seen.map((o) => Object.keys(o))).toEqual([[], ['list'], ['list']]);
      expect(m.updates.calls.at(-1)).toEqual({ jobId: handle.workflowId, state: 'completed', step: null });
    });
  });

  it('waits at a gated step for two different approvers, shows its phrase, then runs it once', () => {
    const m = mocks({ list: confirm() });
    return ts.run(m.activities, async () => {
      const handle = await start(input([list]));
      const shown = await m.opened.when(() => true);
      expect(shown).toEqual({ jobId: handle.workflowId, stepId: 'list', phrase: stepPhrase('Acme check', list), expiresAt: expect.any(String) });
      await historyEvent(handle, (e) => e.timerStartedEventAttributes);
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, approverA, shown.phrase)] });
      expect(m.ran).toEqual([]);
      await expect(handle.executeUpdate(approveUpdate, { args: [grant(handle, approverA, shown.phrase)] })).rejects.toThrow();
      // The requester may not approve their own run where the policy forbids it.
      await expect(handle.executeUpdate(approveUpdate, { args: [grant(handle, requester, shown.phrase)] })).rejects.toThrow();
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, approverB, shown.phrase)] });
      const { steps } = await handle.result();
      expect(steps[0]).toMatchObject({ state: 'completed', approvedBy: [approverA.email, approverB.email] });
      expect(m.ran).toEqual(['list']);
    });
  });

  it('counts the approvals its opening activity recorded (a schedule’s standing approvals) with the ones given later', () => {
    const m = mocks({ list: confirm() }, { openStepApproval: async () => ({ preApproved: [approverA] }) });
    return ts.run(m.activities, async () => {
      const handle = await start(input([list]));
      await historyEvent(handle, (e) => e.timerStartedEventAttributes);
      expect(m.ran).toEqual([]);
      // The standing approver counts once: approving again is refused, a second person completes it.
      await expect(handle.executeUpdate(approveUpdate, { args: [grant(handle, approverA, stepPhrase('Acme check', list))] })).rejects.toThrow();
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, approverB, stepPhrase('Acme check', list))] });
      const { steps } = await handle.result();
      expect(steps[0]).toMatchObject({ state: 'completed', approvedBy: [approverA.email, approverB.email] });
    });
  });

  it('skips a step nobody confirmed in time where the definition allows it, and goes on', () => {
    const m = mocks({ ok: confirm('skip', { ...twoOfGroup, expiresInHours: 1 }), tell: allowed });
    return ts.run(m.activities, async () => {
      const handle = await start(input([waitStep('skip'), notify]));
      const { steps } = await handle.result();
      expect(steps.map((s) => [s.id, s.state])).toEqual([
        ['ok', 'skipped'],
        ['tell', 'completed'],
      ]);
      expect(steps[0]!.reason).toBe('nobody confirmed within 3600 s: skipped, as the definition allows');
    });
  });

  it('ends the run expired when nobody confirmed in time and the definition says fail', () => {
    const m = mocks({ ok: confirm('fail', { ...twoOfGroup, expiresInHours: 1 }), tell: allowed });
    return ts.run(m.activities, async () => {
      const handle = await start(input([waitStep('fail'), notify]));
      const { steps } = await handle.result();
      expect(steps.map((s) => [s.id, s.state])).toEqual([['ok', 'expired']]);
      expect(m.updates.calls.at(-1)).toMatchObject({ state: 'expired', failureReason: 'step 1 (Wait for a person): nobody confirmed within 3600 s' });
    });
  });

  it('fails naming the step when its action fails', () => {
    const m = mocks(
      { list: allowed },
      {
        async runConnectionStep() {
          throw ApplicationFailure.nonRetryable('Google Drive answered: Invalid query', 'StepFailed');
        },
      },
    );
    return ts.run(m.activities, async () => {
      const handle = await start(input([list, notify]));
      expect(await failure(handle)).toBe('step 1 (List the shared folder): Google Drive answered: Invalid query');
    });
  });

  it('simulates: the gated restart waits for its approvals in the run itself, and no job starts', () => {
    const m = mocks(
      { list: allowed, restart: confirm() },
      {
        async startInstanceStep() {
          throw new Error('a simulation starts no job');
        },
      },
    );
    return ts.run(m.activities, async () => {
      const handle = await start(input([list, restart], { simulate: true }));
      const shown = await m.opened.when(() => true);
      await historyEvent(handle, (e) => e.timerStartedEventAttributes);
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, approverA, shown.phrase)] });
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, approverB, shown.phrase)] });
      const { steps } = await handle.result();
      expect(steps.map((s) => [s.id, s.source])).toEqual([
        ['list', 'Simulated'],
        ['restart', 'Simulated'],
      ]);
      expect(m.updates.calls.filter((u) => u.result).at(-1)!.result).toMatchObject({ simulate: true });
    });
  });

  it('runs a real restart as its own job (confirmed there) and waits for it to end', () => {
    const m = mocks(
      { restart: confirm() },
      {
        async startInstanceStep(s) {
          expect(s).toEqual({ jobId: expect.any(String), step: restart });
          return { jobId: 'child-job' };
        },
        async awaitJobEnd() {
          return { state: 'completed', reason: 'completed', result: { downtimeSeconds: 4 }, approvedBy: [approverA.email, approverB.email] };
        },
      },
    );
    return ts.run(m.activities, async () => {
      const { steps } = await (await start(input([restart]))).result();
      expect(steps[0]).toMatchObject({ state: 'completed', jobId: 'child-job', source: 'Live', output: { downtimeSeconds: 4 }, approvedBy: [approverA.email, approverB.email] });
      expect(m.opened.calls).toEqual([]);
    });
  });
});
