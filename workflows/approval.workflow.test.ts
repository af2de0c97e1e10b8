// The approval step inside a running job, in Temporal's time-skipping test server with the job's record
// mocked: what the console and the CLI can do to a waiting job, and what each leaves in its record.
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { JobActivities } from '../activities/jobs.ts';
import { grantPublicKey, signGrant, type ApprovalGrant, type GrantDecision } from '../protocol/approval-grant.ts';
import { callLog, historyEvent, useTimeSkipping } from '../tests/jest/time-skipping.ts';
import { approveSignal, approveUpdate, cancelUpdate, rejectUpdate, type Approver, type Confirmation } from './approval.ts';
import { approvalJob, type ApprovalJobInput } from './approval.test-workflow.ts';

const ts = useTimeSkipping<JobActivities>(fileURLToPath(new URL('./approval.test-workflow.ts', import.meta.url)), ['updateJob', 'confirmDecision']);

type JobUpdate = Parameters<JobActivities['updateJob']>[0];

const requester: Approver = { userId: 'u-requester', email: 'requester@example.com', role: 'msp_operator' };
const admin: Approver = { userId: 'u-admin', email: 'admin@example.com', role: 'msp_admin' };
const companyUser: Approver = { userId: 'u-company', email: 'user@customer.example', role: 'company_user' };
const phrase = 'restart gw on edge-01';
const DAY_SECONDS = 24 * 60 * 60;

const seed = crypto.randomBytes(32).toString('hex');

/** The console's grant for `who`'s decision on this run (what approveJob and friends send). */
function grant(
  handle: { workflowId: string },
  who: Approver,
  decision: GrantDecision = 'approve',
  over: { phrase?: string; reason?: string; seed?: string } = {},
): { grant: ApprovalGrant } {
  return {
    grant: signGrant(over.seed ?? seed, {
      v: 1,
      decision,
      workflowId: handle.workflowId,
      jobId: handle.workflowId,
      phrase: decision === 'approve' ? (over.phrase ?? phrase) : null,
      userId: who.userId,
      email: who.email,
      role: who.role,
      organizationId: 'org',
      reason: over.reason ?? null,
      // The test server's clock runs far ahead of the wall clock once time was skipped: a window wide open.
      issuedAt: new Date(0).toISOString(),
      notAfter: '9999-12-31T00:00:00.000Z',
      nonce: crypto.randomUUID(),
    }),
  };
}

const input = (over: Partial<ApprovalJobInput> = {}): ApprovalJobInput => ({
  jobId: `job-${Math.random().toString(36).slice(2)}`,
  requestedBy: requester,
  approvalPhrase: phrase,
  approvalGrantKey: grantPublicKey(seed),
  approverRoles: ['msp_admin', 'msp_operator'],
  forbidSelfApproval: false,
  approvalTimeoutSeconds: DAY_SECONDS,
  ...over,
});

type Confirm = Parameters<JobActivities['confirmDecision']>[0];

/**
 * The mocked `updateJob` and `confirmDecision` (which, for the approval that completes the request, records
 * `running` too): keep every update and checked decision in order, and let
 * a test wait for one. `hold` keeps an update in flight (the activity has not returned) until the test
 * lets it go; `refuse` makes Postgres refuse a decision (say, the person was deactivated meanwhile).
 */
function jobRecord(hold?: (u: JobUpdate) => Promise<void> | undefined, refuse?: (c: Confirm) => string | undefined) {
  const log = callLog<JobUpdate>();
  const decisions = callLog<Confirm>();
  return {
    updates: log.calls,
    decisions: decisions.calls,
    when: log.when,
    activities: {
      async updateJob(u: JobUpdate): Promise<void> {
        await hold?.(u);
        log.add(u);
      },
      async confirmDecision(c: Confirm): Promise<Confirmation> {
        const reason = refuse?.(c);
        if (reason) return { ok: false, reason };
        decisions.add(c);
        // The approval that completes the request moves the job on in the same call, as Postgres does (ADR 0032).
        if (c.advance) log.add({ jobId: c.jobId, state: 'running', step: c.advance.step });
        return { ok: true, by: { userId: c.grant.userId, email: c.grant.email, role: c.grant.role }, advanced: Boolean(c.advance) };
      },
    },
  };
}

const waiting = (u: JobUpdate) => u.state === 'waiting_for_approval';

async function refusal(attempt: Promise<unknown>): Promise<string> {
  const err = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
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
  it('with 2-of-M, continues only after two different people approved; the same person twice is refused; a group member is left to Postgres', () => {
    // Postgres (mocked) says the company user is in the named group, and nobody else outside the roles is.
    const record = jobRecord(undefined, (c) => (c.grant.role === 'company_user' && c.grant.userId !== companyUser.userId ? 'not a member of the group' : undefined));
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { approvalsNeeded: 2, approverGroupIds: ['g-acme'] });
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, admin)] });
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [grant(handle, admin)] }))).toBe('You already approved this; it needs 2 approvals by different people.');
      const stranger: Approver = { userId: 'u-stranger', email: 'x@customer.example', role: 'company_user' };
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [grant(handle, stranger)] }))).toBe('not a member of the group');
      // Still waiting after one approval: nothing ran.
      expect(record.updates.map((u) => u.state)).toEqual(['waiting_for_approval']);
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, companyUser)] });
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.decisions.map((d) => d.grant.email)).toEqual([admin.email, companyUser.email]);
      expect(record.updates.map((u) => u.state)).toEqual(['waiting_for_approval', 'running', 'completed']);
    });
  });

  it('with 2-of-M, one rejection ends the request even after an approval', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { approvalsNeeded: 2 });
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, admin)] });
      const operator: Approver = { userId: 'u-operator', email: 'operator@example.com', role: 'msp_operator' };
      await handle.executeUpdate(rejectUpdate, { args: [grant(handle, operator, 'reject', { reason: 'not today' })] });
      await expect(handle.result()).resolves.toEqual({ state: 'ended without approval' });
      expect(record.updates.at(-1)).toMatchObject({ state: 'rejected' });
    });
  });

  it('expires after 24 hours of workflow time with nobody approving, in moments of wall time', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const startedAt = await ts.env.currentTimeMs();
      const handle = await startWaiting(record);
      expect(record.updates[0]).toMatchObject({ state: 'waiting_for_approval', step: 'approval', approvalPhrase: phrase });
      expect(Date.parse(record.updates[0]!.approvalExpiresAt!) - startedAt).toBeGreaterThanOrEqual(DAY_SECONDS * 1000);

      await expect(handle.result()).resolves.toEqual({ state: 'ended without approval' });
      expect((await ts.env.currentTimeMs()) - startedAt).toBeGreaterThanOrEqual(DAY_SECONDS * 1000);
      expect(record.updates.at(-1)).toEqual({ jobId: handle.workflowId, state: 'expired', step: null, failureReason: `nobody approved within ${DAY_SECONDS} s` });
      // Approving once it expired is refused: the run has ended.
      await expect(handle.executeUpdate(approveUpdate, { args: [grant(handle, admin)] })).rejects.toThrow();
    });
  });

  it("refuses a wrong phrase in the Update's validator and records nothing; the exact phrase approves", () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record);
      for (const wrong of ['Restart gw on edge-01', `${phrase} `, 'restart gw']) {
        expect(await refusal(handle.executeUpdate(approveUpdate, { args: [grant(handle, admin, 'approve', { phrase: wrong })] }))).toBe(
          `The phrase does not match: type exactly "${phrase}".`,
        );
      }
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [grant(handle, companyUser)] }))).toBe(
        'A company user may not approve this; it needs one of: msp_admin, msp_operator.',
      );
      expect(record.updates).toHaveLength(1); // only "waiting"
      // A refused Update leaves nothing in the run's history either.
      const history = await handle.fetchHistory();
      expect(history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateCompletedEventAttributes)).toEqual([]);

      await handle.executeUpdate(approveUpdate, { args: [grant(handle, admin)] });
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.updates.slice(1).map(({ state, step, approval }) => ({ state, step, approval }))).toEqual([
        { state: 'running', step: 'work', approval: undefined },
        { state: 'completed', step: null, approval: undefined },
      ]);
      // The decision was checked against Postgres (mocked here) once, as the console's, with its grant.
      expect(record.decisions.map((d) => [d.jobId, d.via, d.grant.email, d.grant.decision])).toEqual([[handle.workflowId, 'console', admin.email, 'approve']]);
    });
  });

  it('takes an approval that arrives while the job is still recording its phrase: the handlers are set first', () => {
    // The "waiting" record is held in flight; an Update sent then must find its handler, not be refused.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const record = jobRecord((u) => (waiting(u) ? held : undefined));
    return ts.run(record.activities, async () => {
      const args = input();
      const handle = await ts.env.client.workflow.start(approvalJob, { args: [args], taskQueue: ts.taskQueue, workflowId: args.jobId });
      await historyEvent(handle, (e) => e.activityTaskScheduledEventAttributes);
      const approving = handle.executeUpdate(approveUpdate, { args: [grant(handle, admin)] });
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
      await handle.signal(approveSignal, grant(handle, admin, 'approve', { phrase: 'deploy everything' }));
      const ignored = await record.when((u) => u.approval?.outcome === 'ignored');
      expect(ignored.approval).toMatchObject({
        by: `${admin.email} (unverified)`,
        role: admin.role,
        via: 'signal',
        outcome: 'ignored',
        reason: `The phrase does not match: type exactly "${phrase}".`,
      });
      expect(ignored.state).toBeUndefined(); // the job still waits

      await handle.signal(approveSignal, grant(handle, admin));
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.decisions.map((d) => [d.via, d.grant.email])).toEqual([['signal', admin.email]]);
    });
  });

  it('ends rejected by an approver with the reason, and refuses a reject from someone who may not approve', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { requestedBy: companyUser });
      expect(await refusal(handle.executeUpdate(rejectUpdate, { args: [grant(handle, companyUser, 'reject')] }))).toBe('A company user may not reject this request.');
      await handle.executeUpdate(rejectUpdate, { args: [grant(handle, admin, 'reject', { reason: 'not during business hours' })] });
      await expect(handle.result()).resolves.toEqual({ state: 'ended without approval' });
      expect(record.updates.at(-1)).toMatchObject({ state: 'rejected', step: null });
      expect(record.decisions.map((d) => [d.grant.decision, d.grant.email, d.grant.reason])).toEqual([['reject', admin.email, 'not during business hours']]);
    });
  });

  it('ends cancelled by its requester, who may cancel without being an approver', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { requestedBy: companyUser });
      expect(await refusal(handle.executeUpdate(cancelUpdate, { args: [grant(handle, { ...companyUser, userId: 'u-other' }, 'cancel')] }))).toBe(
        'A company user may not cancel this request.',
      );
      await handle.executeUpdate(cancelUpdate, { args: [grant(handle, companyUser, 'cancel')] });
      await expect(handle.result()).resolves.toEqual({ state: 'ended without approval' });
      expect(record.updates.at(-1)).toMatchObject({ state: 'cancelled', step: null });
      expect(record.decisions.map((d) => [d.grant.decision, d.grant.email])).toEqual([['cancel', companyUser.email]]);
    });
  });

  it("refuses the requester's own approval where the organization forbids it, and takes another approver's", () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { forbidSelfApproval: true });
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [grant(handle, requester)] }))).toBe(
        'This organization does not let the requester approve their own request.',
      );
      expect(record.updates).toHaveLength(1);
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, admin)] });
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
    });
  });

  it('lets the requester approve their own request where the organization allows it', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record, { forbidSelfApproval: false });
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, requester)] });
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.decisions.map((d) => d.grant.userId)).toEqual([requester.userId]);
    });
  });

  it('refuses a claimed identity with no grant, and a grant the console did not sign, recording nothing', () => {
    const record = jobRecord();
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record);
      const claim = { phrase, approver: { userId: 'u-any', email: 'boss@msp', role: 'msp_admin' } } as never;
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [claim] }))).toBe('No approval grant was given (ask the console for one).');
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [grant(handle, admin, 'approve', { seed: crypto.randomBytes(32).toString('hex') })] }))).toBe(
        "The approval grant is not signed by this product's console (forged or altered).",
      );
      await handle.signal(approveSignal, claim);
      const ignored = await record.when((u) => u.approval?.outcome === 'ignored');
      expect(ignored.approval).toMatchObject({ by: 'unknown (unverified)', reason: 'No approval grant was given (ask the console for one).' });
      expect(record.decisions).toEqual([]);
      expect(record.updates.some((u) => u.state === 'running')).toBe(false);
    });
  });

  it('keeps waiting when Postgres refuses an accepted grant (the person was deactivated), and says why', () => {
    const record = jobRecord(undefined, (c) => (c.grant.userId === admin.userId ? 'The person in the approval grant is not an active user.' : undefined));
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record);
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [grant(handle, admin)] }))).toBe('The person in the approval grant is not an active user.');
      expect(record.updates.some((u) => u.state === 'running')).toBe(false);
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, { ...admin, userId: 'u-admin-2', email: 'admin2@example.com' })] });
      await expect(handle.result()).resolves.toEqual({ state: 'completed' });
      expect(record.decisions.map((d) => d.grant.email)).toEqual(['admin2@example.com']);
    });
  });

  it('does not end while a handler still records: the ignored signal lands before the job completes', () => {
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const record = jobRecord((u) => (u.approval?.outcome === 'ignored' ? held : undefined));
    return ts.run(record.activities, async () => {
      const handle = await startWaiting(record);
      await handle.signal(approveSignal, grant(handle, admin, 'approve', { phrase: 'wrong' }));
      await handle.executeUpdate(approveUpdate, { args: [grant(handle, admin)] });
      await record.when((u) => u.state === 'completed');
      // The job's work is done, but the signal's record is still in flight: the run waits for it.
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(await refusal(handle.executeUpdate(rejectUpdate, { args: [grant(handle, admin, 'reject')] }))).toBe('This request was already decided.');
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
