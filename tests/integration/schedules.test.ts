// Schedules end to end with the real control-plane worker, the Temporal dev server's Schedules and
// PostgreSQL (Temporal's time-skipping test server has no Schedules, so the intervals are short): runs
// start at the schedule's own times, each a normal workflow-run job naming its schedule; trigger-now starts
// one at once; overlap "skip" starts no second run while one waits for a person; a run blocked because an
// admin removed the action from the permission stops with the rule's name and, with pause-on-failure,
// pauses the schedule in Postgres and in Temporal; a raw Temporal client starting `scheduledRun` itself,
// with forged search attributes, or triggering the Temporal Schedule behind the product's back, starts no
// run and is audited.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq, sql } from 'drizzle-orm';
import { cancelJob, getJob } from '../../api/jobs/service.ts';
import { createConnection, testConnection } from '../../api/connections/service.ts';
import { setPermission } from '../../api/permissions/service.ts';
import { backfillSchedule, createSchedule, deleteSchedule, getSchedule, setSchedulePaused, triggerSchedule } from '../../api/schedules/service.ts';
import { temporalScheduleId } from '../../api/schedules/temporal-schedule.ts';
import { createDefinition } from '../../api/workflow-definitions/service.ts';
import { auditEvents, capabilities, jobs, organizationDataKeys, schedules, standingApprovals, users } from '../../db/schema.ts';
import { KEY_ID_METADATA } from '../../infra/secrets/payload-codec.ts';
import { payloadsOf } from '../jest/history-payloads.ts';
import { grantStandingApproval, listStandingApprovals, revokeStandingApproval } from '../../api/schedules/standing-approvals.ts';
import { ForbiddenError } from '../../api/errors.ts';
import { failure } from '../jest/tenants.ts';
import type { ScheduledRunResult } from '../../workflows/scheduled-run.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import type { TestDatabase } from '../jest/db.ts';
import { driveListStep } from '../jest/sample-steps.ts';
import type { Tenants } from '../jest/tenants.ts';
import { waitFor } from '../jest/wait-for.ts';

const queue = ownControlPlaneQueue(import.meta.url);

let stack: AgentStack;
let t: TestDatabase;
let w: Tenants;
const ids = { note: '', waits: '', drive: '', driveCapability: '' };

beforeAll(async () => {
  stack = await startAgentStack('schedules', {}, { web: false });
  ({ t, w } = stack);
  const acme = w.ctx(w.actors.acmeAdmin);
  ids.note = (await createDefinition(acme, { organizationId: w.acme.id, name: 'Note', steps: [{ id: 'tell', name: 'Tell', kind: 'notify', message: 'ran' }] })).id;
  ids.waits = (await createDefinition(acme, { organizationId: w.acme.id, name: 'Waits', steps: [{ id: 'look', name: 'Look', kind: 'wait_for_person', message: 'look' }] })).id;
  const [drive] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive'));
  ids.driveCapability = drive!.id;
  await setPermission(w.ctx(w.actors.admin), w.acme.id, ids.driveCapability, { enabled: true, allowedActions: ['files.list'], confirmation: 'never' });
  const connection = await createConnection(acme, { organizationId: w.acme.id, provider: 'google_drive', name: 'Acme Drive', mode: 'demo' });
  await testConnection(acme, connection.id);
  ids.drive = (await createDefinition(acme, { organizationId: w.acme.id, name: 'Drive listing', steps: [driveListStep(connection.id)] })).id;
}, 120_000);

afterAll(async () => {
  // Paused first, so that no schedule of this file fires into a stopped worker.
  for (const s of await t.db
    .select()
    .from(schedules)
    .where(sql`${schedules.deletedAt} is null`))
    await deleteSchedule(w.ctx(w.actors.admin), s.id).catch(() => undefined);
  await stack?.stop();
});

const runsOf = (scheduleId: string) =>
  t.db
    .select()
    .from(jobs)
    .where(sql`${jobs.params}->>'scheduleId' = ${scheduleId}`)
    .orderBy(jobs.createdAt);
const launches = (scheduleId: string) =>
  t.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'schedule.launch'), eq(auditEvents.targetId, scheduleId)));
const everySeconds = (s: number) => ({ kind: 'interval', everySeconds: s });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a schedule', () => {
  it('starts runs at its own times, each a workflow-run job that names the schedule and completes', async () => {
    const s = await createSchedule(w.ctx(w.actors.acmeAdmin), { definitionId: ids.note, name: 'Every 2 s', spec: everySeconds(2) });
    const runs = await waitFor('two scheduled runs to complete', async () => {
      const rows = await runsOf(s.id);
      return rows.filter((r) => r.state === 'completed').length >= 2 ? rows : undefined;
    });
    await setSchedulePaused(w.ctx(w.actors.acmeAdmin), s.id, true, {});
    for (const run of runs.slice(0, 2)) {
      const at = Date.parse(String(run.params.scheduledAt));
      expect(at % 2000).toBe(0); // on the schedule's own 2-second grid
      expect(run.createdAt.getTime() - at).toBeLessThan(10_000); // and started then (a fresh worker's first run takes a few seconds), not later
      expect(run).toMatchObject({ type: 'workflow_run', organizationId: w.acme.id, requestedBy: w.actors.acmeAdmin.userId });
      expect(run.params).toMatchObject({ definitionId: ids.note, scheduleId: s.id, versionNumber: 1 });
    }
    // What the scheduled workflow's history holds is encrypted under Acme's key (ADR 0016); its input, which
    // the Temporal Schedule's action carries (encoded without a run to name), holds the schedule's id alone.
    const [acmeKey] = await t.db.select().from(organizationDataKeys).where(eq(organizationDataKeys.organizationId, w.acme.id));
    const { events } = await stack.controlPlane.rawClient.workflow.getHandle(String(runs[0]!.params.scheduledWorkflowId)).fetchHistory();
    const [started, ...rest] = events!;
    const input = payloadsOf(started!.workflowExecutionStartedEventAttributes);
    const decoded = await stack.controlPlane.codec.decode(input);
    expect(decoded.map((p) => JSON.parse(Buffer.from(p.data!).toString()) as unknown)).toEqual([{ scheduleId: s.id }]);
    const keyIds = new Set(payloadsOf(rest).map((p) => Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? new Uint8Array()).toString()));
    expect([...keyIds]).toEqual([acmeKey!.id]);
    const times = runs.slice(0, 2).map((r) => Date.parse(String(r.params.scheduledAt)));
    // The next time after the first run ended (overlap skip: a time that falls while one runs starts none).
    expect(times[1]! - times[0]!).toBeGreaterThan(0);
    expect((times[1]! - times[0]!) % 2000).toBe(0);
  });

  it('triggered now, starts one run at once, off its calendar', async () => {
    const s = await createSchedule(w.ctx(w.actors.acmeAdmin), { definitionId: ids.note, name: 'Yearly', spec: { kind: 'cron', expression: '0 3 1 1 *' } });
    const asked = Date.now();
    await triggerSchedule(w.ctx(w.actors.acmeAdmin), s.id);
    const [run] = await waitFor('the triggered run', async () => {
      const rows = await runsOf(s.id);
      return rows.length ? rows : undefined;
    });
    // Off its calendar: the yearly time is months away, so a run within the minute was the trigger's (a tighter
    // bound only measured the shared machine's load).
    expect(run!.createdAt.getTime() - asked).toBeLessThan(60_000);
    expect((await settled(run!.id)).state).toBe('completed');
    const [row] = await t.db.select().from(schedules).where(eq(schedules.id, s.id));
    expect(row!.pendingTriggers).toBe(0);
  });

  it('with overlap "skip" starts no second run while the first waits for a person', async () => {
    const s = await createSchedule(w.ctx(w.actors.acmeAdmin), { definitionId: ids.waits, name: 'Every second, waits', spec: everySeconds(1) });
    const [first] = await waitFor('the first run to wait for its approval', async () => {
      const rows = await runsOf(s.id);
      return rows[0]?.state === 'waiting_for_approval' ? rows : undefined;
    });
    await sleep(3500);
    const described = await getSchedule(w.ctx(w.actors.acmeAdmin), s.id);
    expect(described.temporal!.skippedOverlap).toBeGreaterThanOrEqual(2);
    expect(await runsOf(s.id)).toHaveLength(1);
    await setSchedulePaused(w.ctx(w.actors.acmeAdmin), s.id, true, {});
    await cancelJob(w.ctx(w.actors.admin), first!.id, {});
  });

  it('stops a run at the step whose action an admin removed, with the rule’s name, and pauses itself when it pauses on failure', async () => {
    const acme = w.ctx(w.actors.acmeAdmin);
    const s = await createSchedule(acme, { definitionId: ids.drive, name: 'Drive every 2 s', spec: everySeconds(2), pauseOnFailure: true, paused: true });
    await setPermission(w.ctx(w.actors.admin), w.acme.id, ids.driveCapability, { enabled: true, allowedActions: ['files.get'], confirmation: 'never' });
    await setSchedulePaused(acme, s.id, false, {});
    const [run] = await waitFor('the blocked run', async () => {
      const rows = await runsOf(s.id);
      return rows[0] && rows[0].state === 'failed' ? rows : undefined;
    });
    expect(run!.failureReason).toMatch(/step 1 \(List the shared folder\) is blocked by action\.not_allowed/);
    const paused = await waitFor('the schedule to pause', async () => {
      const now = await getSchedule(acme, s.id);
      return now.paused && now.temporal?.paused ? now : undefined;
    });
    expect(paused.note).toMatch(new RegExp(`paused after run ${run!.id} ended failed: .*action\\.not_allowed`));
    await sleep(2500);
    expect(await runsOf(s.id)).toHaveLength(1);
    await setPermission(w.ctx(w.actors.admin), w.acme.id, ids.driveCapability, { enabled: true, allowedActions: ['files.list'], confirmation: 'never' });
  });
});

describe('a standing approval', () => {
  it('approves the first N runs’ waiting step as its approver’s approval, then is used up: the next run waits for a person', async () => {
    const acme = w.ctx(w.actors.acmeAdmin);
    const s = await createSchedule(acme, { definitionId: ids.waits, name: 'Nightly, pre-approved', spec: everySeconds(2), paused: true });
    expect(s.confirmations).toEqual([expect.objectContaining({ stepId: 'look', approverRoles: ['msp_admin', 'msp_operator'] })]);
    // A company admin may not approve the step (MSP staff only), so may not approve it in advance either.
    expect(await failure(grantStandingApproval(acme, s.id, { maxRuns: 2 }))).toBeInstanceOf(ForbiddenError);
    const standing = await grantStandingApproval(w.ctx(w.actors.operator), s.id, { maxRuns: 2, note: 'nightly check' });
    await setSchedulePaused(acme, s.id, false, {});
    const runs = await waitFor(
      'two pre-approved runs and a third that waits',
      async () => {
        const rows = await runsOf(s.id);
        return rows.length >= 3 && rows[2]!.state === 'waiting_for_approval' ? rows : undefined;
      },
      30_000,
    );
    await setSchedulePaused(acme, s.id, true, {});
    for (const run of runs.slice(0, 2)) {
      expect(run.state).toBe('completed');
      expect(run.approvals).toEqual([expect.objectContaining({ by: w.actors.operator.email, via: 'standing', outcome: 'approved', request: 'look' })]);
    }
    expect(runs[2]!.approvals).toEqual([]);
    const [used] = await t.db.select().from(standingApprovals).where(eq(standingApprovals.id, standing.id));
    expect(used!.runsUsed).toBe(2);
    // Revoked: it no longer shows; the waiting run is cancelled by hand.
    await revokeStandingApproval(acme, s.id, standing.id);
    expect(await listStandingApprovals(acme, s.id)).toEqual([]);
    await cancelJob(w.ctx(w.actors.admin), runs[2]!.id, {});
  });
});

describe('a backfill and the owner', () => {
  it('backfills a past range: each of its times runs once, in turn, as a normal run', async () => {
    const acme = w.ctx(w.actors.acmeAdmin);
    const s = await createSchedule(acme, { definitionId: ids.note, name: 'Hourly', spec: everySeconds(3600) });
    const hour = 3_600_000;
    const end = new Date(Math.floor(Date.now() / hour) * hour - 1);
    await backfillSchedule(acme, s.id, { start: new Date(end.getTime() - 3 * hour + 1).toISOString(), end: end.toISOString() });
    const runs = await waitFor(
      'three backfilled runs to complete',
      async () => {
        const rows = await runsOf(s.id);
        return rows.filter((r) => r.state === 'completed').length === 3 ? rows : undefined;
      },
      30_000,
    );
    const times = runs.map((r) => Date.parse(String(r.params.scheduledAt))).sort();
    expect(times).toEqual([3, 2, 1].map((n) => Math.floor(Date.now() / hour) * hour - n * hour));
    await setSchedulePaused(acme, s.id, true, {});
  });

  it('fails the scheduled run when its owner was deactivated, and starts nothing', async () => {
    const owner = await w.person('company_admin', w.acme.id, 'leaving@acme.test');
    const s = await createSchedule(w.ctx(owner), { definitionId: ids.note, name: 'Owner leaves', spec: { kind: 'cron', expression: '0 3 1 1 *' } });
    await t.db.update(users).set({ active: false }).where(eq(users.id, owner.userId));
    await triggerSchedule(w.ctx(w.actors.acmeAdmin), s.id);
    const [action] = await waitFor('the triggered action', async () => {
      const d = await stack.controlPlane.client.schedule.getHandle(temporalScheduleId(s.id)).describe();
      return d.info.recentActions.length ? d.info.recentActions : undefined;
    });
    const failed = await stack.controlPlane.client.workflow
      .getHandle(action!.action.workflow.workflowId)
      .result()
      .catch((err: Error) => err);
    expect(String((failed as { cause?: { cause?: Error } }).cause?.cause?.message ?? failed)).toMatch(/owner is no longer an active user/);
    expect(await runsOf(s.id)).toEqual([]);
  });
});

describe('a raw Temporal client', () => {
  it('starting scheduledRun itself, with forged search attributes, starts no run and is audited', async () => {
    const s = await createSchedule(w.ctx(w.actors.acmeAdmin), { definitionId: ids.note, name: 'Target', spec: { kind: 'cron', expression: '0 3 1 1 *' } });
    const { rawClient } = stack.controlPlane;
    const plain = await rawClient.workflow.start('scheduledRun', { taskQueue: queue, workflowId: `rogue-${s.id}`, args: [{ scheduleId: s.id }] });
    // Read with the product's codec: the worker encrypts what it answers.
    const resultOf = (workflowId: string) => stack.controlPlane.client.workflow.getHandle(workflowId).result() as Promise<ScheduledRunResult>;
    expect(await resultOf(plain.workflowId)).toMatchObject({ outcome: 'not_started', reason: expect.stringMatching(/^refused: this run was not started by schedule/) });
    // The server accepts Temporal's own search attributes on a client's start: the Temporal Schedule's list of its runs is what tells.
    const forged = await rawClient.workflow.start('scheduledRun', {
      taskQueue: queue,
      workflowId: `rogue-forged-${s.id}`,
      args: [{ scheduleId: s.id }],
      searchAttributes: { TemporalScheduledById: [temporalScheduleId(s.id)], TemporalScheduledStartTime: [new Date('2027-01-01T02:00:00Z')] },
    });
    expect(await resultOf(forged.workflowId)).toMatchObject({ reason: expect.stringMatching(/did not start this run/) });
    // A trigger nobody asked for through the product: a real action of the schedule, off its calendar.
    await rawClient.schedule.getHandle(temporalScheduleId(s.id)).trigger();
    const refusals = await waitFor('three refusals on record', async () => {
      const rows = await launches(s.id);
      return rows.length >= 3 ? rows : undefined;
    });
    expect(refusals.map((r) => r.outcome)).toEqual(refusals.map(() => 'denied'));
    expect(refusals.map((r) => r.reason).join('\n')).toMatch(/refused: .* is none of the schedule's times, in no backfill and for no trigger asked through Anthropy Works/);
    expect(await runsOf(s.id)).toEqual([]);
  });

  it('editing the Temporal Schedule to launch another schedule’s run gets it refused', async () => {
    const acme = w.ctx(w.actors.acmeAdmin);
    const victim = await createSchedule(acme, { definitionId: ids.note, name: 'Victim', spec: { kind: 'cron', expression: '0 3 1 1 *' }, paused: true });
    const edited = await createSchedule(acme, { definitionId: ids.note, name: 'Edited', spec: { kind: 'cron', expression: '0 3 1 1 *' } });
    const handle = stack.controlPlane.client.schedule.getHandle(temporalScheduleId(edited.id));
    await handle.update((prev) => ({ ...prev, action: { ...prev.action, workflowType: 'scheduledRun', args: [{ scheduleId: victim.id }] } }));
    await handle.trigger();
    const [refusal] = await waitFor('the refusal', async () => {
      const rows = await launches(victim.id);
      return rows.length ? rows : undefined;
    });
    expect(refusal!.reason).toMatch(/^refused: this run was not started by schedule/);
    expect([...(await runsOf(victim.id)), ...(await runsOf(edited.id))]).toEqual([]);
  });
});

async function settled(id: string) {
  return waitFor(
    'the run to end',
    async () => {
      const job = await getJob(w.ctx(w.actors.admin), id);
      return ['completed', 'failed', 'expired', 'cancelled', 'rejected'].includes(job.state) ? job : undefined;
    },
    30_000,
  );
}
