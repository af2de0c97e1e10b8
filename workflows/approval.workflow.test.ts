// The approval step inside a running job, in Temporal's time-skipping test server with the job's record
// mocked: what the console and the CLI can do to a waiting job, and what each leaves in its record.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { JobActivities } from '../activities/jobs.ts';
import { callLog, historyEvent, useTimeSkipping } from '../tests/jest/time-skipping.ts';
import { approveSignal, approveUpdate, cancelUpdate, rejectUpdate, type Approver } from './approval.ts';
import { approvalJob, type ApprovalJobInput } from './approval.test-workflow.ts';

const ts = useTimeSkipping<JobActivities>(fileURLToPath(new URL('./approval.test-workflow.ts', import.meta.url)), ['updateJob']);

type JobUpdate = Parameters<JobActivities['updateJob']>[0];

const requester: Approver = { userId: 'u-requester', email: 'requester@example.com', role: 'msp_operator' };
const admin: Approver = { userId: 'u-admin', email: 'admin@example.com', role: 'msp_admin' };
const companyUser: Approver = { userId: 'u-company', email: 'user@customer.example', role: 'company_user' };
const phrase = 'restart gw on edge-01';
const DAY_SECONDS = 24 * 60 * 60;

const input = (over: Partial<ApprovalJobInput> = {}): ApprovalJobInput => ({
  jobId: `job-${Math.random().toString(36).slice(2)}`, requestedBy: requester, approvalPhrase: phrase,
  approverRoles: ['msp_admin', 'msp_operator'], forbidSelfApproval: false, approvalTimeoutSeconds: DAY_SECONDS, ...over,
});

/**
 * The mocked `updateJob`: keeps every update in order, and lets a test wait for one. `hold` keeps an
 * update in flight (the activity has not returned) until the test lets it go.
 */
function jobRecord(hold?: (u: JobUpdate) => Promise<void> | undefined) {
  const log = callLog<JobUpdate>();
  return {
    updates: log.calls,
    when: log.when,
    activities: {
      async updateJob(u: JobUpdate): Promise<void> {
        await hold?.(u);
        log.add(u);
      },
    },
  };
}

const waiting = (u: JobUpdate) => u.state === 'waiting_for_approval';

async function refusal(attempt: Promise<unknown>): Promise<string> {
  const err = await attempt.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause?.message ?? '';
}

/**
 * Starts the job and returns once it waits: its record shows the phrase and the run has started the
 * expiry's timer (its handlers are set from then on).
 */
async function startWaiting(record: ReturnType<typeof jobRecord>, over: Partial<ApprovalJobInput> = {}): Promise<WorkflowHandle<typeof approvalJob>> {
  const args = input(over);
  const handle = await ts.env.client.workflow.start(approvalJob, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
  await record.when(waiting);
  await historyEvent(handle, (e) => e.timerStartedEventAttributes);
  return handle;
}

describe('a job waiting for its typed approval (time-skipping)', () => {
  it('expires after 24 hours of workflow time with nobody approving, in moments of wall time', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const startedAt = await ts.env.currentTimeMs();
      const handle = await startWaiting(record);
      expect(record.updates[0]).toMatchObject({ state: 'waiting_for_approval', step: 'approval', approvalPhrase: phrase });
      expect(Date.parse(record.updates[0]!.approvalExpiresAt!) - startedAt).toBeGreaterThanOrEqual(DAY_SECONDS * 1000);

      await expect(handle.result()).resolves.toEqual({ state: 'ended without approval' });
      expect(await ts.env.currentTimeMs() - startedAt).toBeGreaterThanOrEqual(DAY_SECONDS * 1000);
      expect(record.updates.at(-1)).toEqual({ jobId: handle.workflowId, state: 'expired', step: null, failureReason: `nobody approved within ${DAY_SECONDS} s` });
      // Approving once it expired is refused: the run has ended.
      await expect(handle.executeUpdate(approveUpdate, { args: [{ phrase, approver: admin }] })).rejects.toThrow();
    });
  });

  it('refuses a wrong phrase in the Update\'s validator and records nothing; the exact phrase approves', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record);
      for (const wrong of ['Restart gw on edge-01', `${phrase} `, 'restart gw']) {
        expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ phrase: wrong, approver: admin }] })))
          .toBe(`The phrase does not match: type exactly "${phrase}".`);
      }
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ phrase, approver: companyUser }] })))
        .toBe('A company user may not approve this; it needs one of: msp_admin, msp_operator.');
      expect(record.updates).toHaveLength(1); // only "waiting"
      // A refused Update leaves nothing in the run's history either.
      const history = await handle.fetchHistory();
      expect(history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes)).toEqual([]);

      await handle.executeUpdate(approveUpdate, { args: [{ phrase, approver: admin }] });
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.updates.slice(1).map(({ state, step, approval }) => ({ state, step, approval: approval && { ...approval, at: 'at' } }))).toEqual([
        { state: 'running', step: 'work', approval: { at: 'at', by: admin.email, role: admin.role, via: 'console', outcome: 'approved' } },
        { state: 'completed', step: null, approval: undefined },
      ]);
    });
  });

  it('takes an approval that arrives while the job is still recording its phrase: the handlers are set first', () => {
    // The "waiting" record is held in flight; an Update sent then must find its handler, not be refused.
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const record = jobRecord((u) => (waiting(u) ? held : undefined));
    return ts.run(record.activities, async () => {
      const args = input();
      const handle = await ts.env.client.workflow.start(approvalJob, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
      await historyEvent(handle, (e) => e.activityTaskScheduledEventAttributes);
      const approving = handle.executeUpdate(approveUpdate, { args: [{ phrase, approver: admin }] });
      await historyEvent(handle, (e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      release();
      await approving;
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.updates.map((u) => u.state)).toEqual(['waiting_for_approval', 'running', 'completed']);
    });
  });

  it('records an invalid `approve` signal as ignored and keeps waiting; a valid signal approves', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record);
      await handle.signal(approveSignal, { phrase: 'deploy everything', approver: admin });
      const ignored = await record.when((u) => u.approval?.outcome === 'ignored');
      expect(ignored.approval).toMatchObject({ by: admin.email, role: admin.role, via: 'signal', outcome: 'ignored', reason: `The phrase does not match: type exactly "${phrase}".` });
      expect(ignored.state).toBeUndefined(); // the job still waits

      await handle.signal(approveSignal, { phrase, approver: admin });
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.updates.find((u) => u.state === 'running')?.approval).toMatchObject({ by: admin.email, via: 'signal', outcome: 'approved' });
    });
  });

  it('ends rejected by an approver with the reason, and refuses a reject from someone who may not approve', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { requestedBy: companyUser });
      expect(await refusal(handle.executeUpdate(rejectUpdate, { args: [{ by: companyUser }] }))).toBe('A company user may not reject this request.');
      await handle.executeUpdate(rejectUpdate, { args: [{ by: admin, reason: 'not during business hours' }] });
      await expect(handle.result()).resolves.toEqual({ state: 'ended without approval' });
      expect(record.updates.at(-1)).toMatchObject({ state: 'rejected', step: null, approval: { by: admin.email, outcome: 'rejected', reason: 'not during business hours' } });
    });
  });

  it('ends cancelled by its requester, who may cancel without being an approver', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { requestedBy: companyUser });
      expect(await refusal(handle.executeUpdate(cancelUpdate, { args: [{ by: { ...companyUser, userId: 'u-other' } }] })))
        .toBe('A company user may not cancel this request.');
      await handle.executeUpdate(cancelUpdate, { args: [{ by: companyUser }] });
      await expect(handle.result()).resolves.toEqual({ state: 'ended without approval' });
      expect(record.updates.at(-1)).toMatchObject({ state: 'cancelled', step: null, approval: { by: companyUser.email, outcome: 'cancelled' } });
    });
  });

  it('refuses the requester\'s own approval where the organization forbids it, and takes another approver\'s', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { forbidSelfApproval: true });
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ phrase, approver: requester }] })))
        .toBe('This organization does not let the requester approve their own request.');
      expect(record.updates).toHaveLength(1);
      await handle.executeUpdate(approveUpdate, { args: [{ phrase, approver: admin }] });
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
    });
  });

  it('lets the requester approve their own request where the organization allows it', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { forbidSelfApproval: false });
      await handle.executeUpdate(approveUpdate, { args: [{ phrase, approver: requester }] });
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.updates.find((u) => u.state === 'running')?.approval).toMatchObject({ by: requester.email, outcome: 'approved' });
    });
  });

  it('does not end while a handler still records: the ignored signal lands before the job completes', () => {
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => { letGo = resolve; });
    const record = jobRecord((u) => (u.approval?.outcome === 'ignored' ? held : undefined));
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record);
      await handle.signal(approveSignal, { phrase: 'wrong', approver: admin });
      await handle.executeUpdate(approveUpdate, { args: [{ phrase, approver: admin }] });
      await record.when((u) => u.state === 'completed');
      // The job's work is done, but the signal's record is still in flight: the run waits for it.
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(await refusal(handle.executeUpdate(rejectUpdate, { args: [{ by: admin }] }))).toBe('This request was already decided.');
      letGo();
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.updates.map((u) => u.state ?? u.approval?.outcome)).toEqual(['waiting_for_approval', 'running', 'completed', 'ignored']);
      // Every record the run asked for came back to it before it ended (none was cut off).
      const events = (await handle.fetchHistory()).events ?? [];
      const count = (has: (e: (typeof events)[number]) => unknown) => events.filter(has).length;
      expect(count((e) => e.activityTaskCompletedEventAttributes)).toBe(count((e) => e.activityTaskScheduledEventAttributes));
    });
  });
});
