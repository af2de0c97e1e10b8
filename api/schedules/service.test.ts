// Schedules against a real database and the run's Temporal dev server (no worker: nothing runs here, see
// tests/integration/schedules.test.ts): who may manage them, errors naming the field, a blocked step
// refusing the schedule with its rule, the confirmations each run will wait for, Temporal's copy following
// every change (spec, time zone, policies, pause), upcoming times in the schedule's time zone, and the
// worker's start-up reconciliation creating, fixing and deleting what differs from Postgres.
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { auditEvents, capabilities, jobs, schedules, users } from '../../db/schema.ts';
import { createLogger } from '../../infra/logger.ts';
import { ownControlPlaneQueue } from '../../tests/jest/control-plane.ts';
import { freshDatabase, type TestDatabase } from '../../tests/jest/db.ts';
import { driveListStep } from '../../tests/jest/sample-steps.ts';
import { failure, seedTenants, type Tenants } from '../../tests/jest/tenants.ts';
import { createApproverGroup } from '../approver-groups/service.ts';
import { createConnection, testConnection } from '../connections/service.ts';
import type { InvalidInputError } from '../errors.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { setPermission } from '../permissions/service.ts';
import { getTemporalClient } from '../temporal-client.ts';
import { createDefinition } from '../workflow-definitions/service.ts';
import { reconcileSchedules } from './reconcile.ts';
import { backfillSchedule, createSchedule, deleteSchedule, getSchedule, listSchedules, setSchedulePaused, triggerSchedule, updateSchedule } from './service.ts';
import { temporalScheduleId } from './temporal-schedule.ts';

ownControlPlaneQueue(import.meta.url);

let t: TestDatabase;
let w: Tenants;
let client: Client;
const ids = { nightly: '', blocked: '', group: '' };

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  w = await seedTenants(t.db);
  client = await getTemporalClient();
  const acmeAdmin = w.ctx(w.actors.acmeAdmin);
  const drive = await createConnection(acmeAdmin, { organizationId: w.acme.id, provider: 'google_drive', name: 'Acme Drive', mode: 'demo' });
  await testConnection(acmeAdmin, drive.id);
  ids.group = (await createApproverGroup(acmeAdmin, { organizationId: w.acme.id, name: 'Acme approvers' })).id;
  // Blocked: Acme's Google Drive permission allows files.list only (action.not_allowed).
  const getFile = { ...driveListStep(drive.id), id: 'get', name: 'Get a file', action: 'files.get', input: { fileId: 'abc' } };
  ids.blocked = (await createDefinition(acmeAdmin, { organizationId: w.acme.id, name: 'Get a file', steps: [getFile] })).id;
  const [driveCapability] = await t.db.select().from(capabilities).where(eq(capabilities.key, 'google_drive'));
  ids.nightly = (
    await createDefinition(acmeAdmin, {
      organizationId: w.acme.id,
      name: 'Nightly check',
      steps: [
        driveListStep(drive.id),
        { id: 'look', name: 'A person looks', kind: 'wait_for_person', message: 'Look', confirmation: { approvalsNeeded: 2, approverGroupIds: [ids.group], onExpiry: 'fail' } },
      ],
    })
  ).id;
  await setPermission(w.ctx(w.actors.admin), w.acme.id, driveCapability!.id, { enabled: true, allowedActions: ['files.list'], confirmation: 'never' });
});
afterAll(() => t.close());

const nightly = (extra: Record<string, unknown> = {}) => ({
  definitionId: ids.nightly,
  name: 'Every night',
  spec: { kind: 'cron', expression: '0 2 * * *' },
  timeZone: 'Europe/Berlin',
  ...extra,
});

const fieldsOf = async (p: Promise<unknown>) => ((await failure(p)) as InvalidInputError).fieldErrors;

describe('creating a schedule', () => {
  it('makes its Temporal Schedule (skip, 10-minute catch-up), shows upcoming times in its time zone and whose confirmation each run waits for', async () => {
    const s = await createSchedule(w.ctx(w.actors.acmeAdmin), nightly());
    expect(s).toMatchObject({ organizationId: w.acme.id, version: 'latest', overlap: 'skip', catchupWindowSeconds: 600, paused: false, owner: w.actors.acmeAdmin.email });
    expect(s.temporal!.upcoming).toHaveLength(5);
    for (const u of s.temporal!.upcoming) expect(u.local).toMatch(/ 02:00:00 Europe\/Berlin$/);
    expect(s.confirmations).toEqual([expect.objectContaining({ stepId: 'look', approvalsNeeded: 2, approverGroupIds: [ids.group], approverRoles: [] })]);
    const d = await client.schedule.getHandle(temporalScheduleId(s.id)).describe();
    expect(d.spec.timezone).toBe('Europe/Berlin');
    expect(d.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 600_000, pauseOnFailure: false });
    expect(d.action).toMatchObject({ workflowType: 'scheduledRun', taskQueue: process.env.CONTROL_PLANE_TASK_QUEUE, args: [{ scheduleId: s.id }] });
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'schedule.create'), eq(auditEvents.targetId, s.id)));
    expect(event).toMatchObject({ outcome: 'success', actorLabel: w.actors.acmeAdmin.email });
  });

  it('refuses bad input naming the field, and records nothing', async () => {
    const before = await t.db.$count(schedules);
    const admin = w.ctx(w.actors.acmeAdmin);
    expect(await fieldsOf(createSchedule(admin, nightly({ spec: { kind: 'cron', expression: '61 * * * *' } })))).toEqual({
      'spec.expression': 'spec.expression is not valid: the minute field allows 0–59',
    });
    expect(Object.keys(await fieldsOf(createSchedule(admin, nightly({ timeZone: 'Mars/Olympus' }))))).toEqual(['timeZone']);
    expect(Object.keys(await fieldsOf(createSchedule(admin, nightly({ startAt: '2027-01-02T00:00:00Z', endAt: '2027-01-01T00:00:00Z' }))))).toEqual(['endAt']);
    expect(Object.keys(await fieldsOf(createSchedule(admin, nightly({ spec: { kind: 'interval', everySeconds: 0 } }))))).toEqual(['spec.everySeconds']);
    expect(Object.keys(await fieldsOf(createSchedule(admin, nightly({ catchupWindowSeconds: 5 }))))).toEqual(['catchupWindowSeconds']);
    const noVersion = await failure(createSchedule(admin, nightly({ version: 9 })));
    expect(noVersion).toBeInstanceOf(ConflictError);
    expect((noVersion as ConflictError).fieldErrors).toHaveProperty('version');
    expect(await t.db.$count(schedules)).toBe(before);
  });

  it('refuses a definition whose step is blocked now, naming the rule', async () => {
    const refused = await failure(createSchedule(w.ctx(w.actors.acmeAdmin), nightly({ definitionId: ids.blocked })));
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as ConflictError).message).toMatch(/^Step 1 \(Get a file\) is blocked by action\.not_allowed: /);
  });

  it('is made by company admins of the organization and MSP staff, and seen by its company users; others are refused or told it does not exist', async () => {
    expect(await failure(createSchedule(w.ctx(w.actors.acmeUser), nightly()))).toBeInstanceOf(ForbiddenError);
    expect(await failure(createSchedule(w.ctx(w.actors.globexAdmin), nightly()))).toBeInstanceOf(NotFoundError);
    const mine = await createSchedule(w.ctx(w.actors.operator), nightly({ name: 'By the MSP', paused: true }));
    expect(await failure(getSchedule(w.ctx(w.actors.globexAdmin), mine.id))).toBeInstanceOf(NotFoundError);
    expect(await failure(listSchedules(w.ctx(w.actors.globexAdmin), { organizationId: w.acme.id }))).toBeInstanceOf(NotFoundError);
    // A company user sees it (an approver group's member pre-approves from its page), without the policy's verdicts.
    const seen = await getSchedule(w.ctx(w.actors.acmeUser), mine.id);
    expect(seen.policy).toBeNull();
    expect(seen.confirmations).toEqual((await getSchedule(w.ctx(w.actors.acmeAdmin), mine.id)).confirmations);
    expect(await failure(setSchedulePaused(w.ctx(w.actors.acmeUser), mine.id, true, {}))).toBeInstanceOf(ForbiddenError);
    expect((await listSchedules(w.ctx(w.actors.admin), {})).items.map((s) => s.name)).toContain('By the MSP');
    expect((await listSchedules(w.ctx(w.actors.acmeAdmin), {})).items.map((s) => s.name)).toContain('By the MSP');
  });

  it('still shows a company user the schedule when its owner may no longer build or has left, saying why instead of refusing the page', async () => {
    const owner = await w.person('msp_operator', w.msp.id, `owner-${crypto.randomUUID()}@msp.test`);
    const mine = await createSchedule(w.ctx(owner), nightly({ name: 'Owner changes', paused: true }));
    expect((await getSchedule(w.ctx(w.actors.acmeUser), mine.id)).ownerWarning).toBeNull();

    await t.db.update(users).set({ role: 'company_user', organizationId: w.globex.id }).where(eq(users.id, owner.userId));
    const demoted = await getSchedule(w.ctx(w.actors.acmeUser), mine.id);
    expect(demoted).toMatchObject({ confirmations: [], policy: null, ownerWarning: expect.stringMatching(/may no longer build/) });
    // An administrator still sees the verdicts and confirmations, worked out in their own name.
    expect((await getSchedule(w.ctx(w.actors.acmeAdmin), mine.id)).confirmations).toHaveLength(1);

    await t.db.update(users).set({ active: false }).where(eq(users.id, owner.userId));
    expect((await getSchedule(w.ctx(w.actors.acmeUser), mine.id)).ownerWarning).toMatch(/no longer an active user/);
    expect((await getSchedule(w.ctx(w.actors.acmeAdmin), mine.id)).ownerWarning).toMatch(/no longer an active user/);
  });
});

describe('the Schedules list', () => {
  it('says when each runs next (agreeing with Temporal), how its last run went, and whether it is failing', async () => {
    const admin = w.ctx(w.actors.acmeAdmin);
    const s = await createSchedule(admin, nightly({ name: 'At a glance' }));
    const row = async () => (await listSchedules(admin, {})).items.find((i) => i.id === s.id)!;
    expect(await row()).toMatchObject({ nextRunAt: s.temporal!.upcoming[0]!.at, lastRun: null, failing: false, temporalUrl: expect.stringContaining(temporalScheduleId(s.id)) });
    for (const [state, minutesAgo] of [
      ['completed', 2],
      ['failed', 1],
    ] as const) {
      await t.db.insert(jobs).values({
        type: 'workflow_run',
        organizationId: w.acme.id,
        workflowId: `glance-${crypto.randomUUID()}`,
        state,
        params: { scheduleId: s.id },
        createdAt: new Date(Date.now() - minutesAgo * 60_000),
      });
    }
    expect(await row()).toMatchObject({ lastRun: { state: 'failed' }, failing: true });
    await setSchedulePaused(admin, s.id, true, { note: 'holiday' });
    expect((await row()).nextRunAt).toBeNull();
  });
});

describe('changing a schedule', () => {
  it('writes every change to Temporal: spec, pause with its note, resume; a paused one cannot be triggered; deleting removes it', async () => {
    const admin = w.ctx(w.actors.acmeAdmin);
    const s = await createSchedule(admin, nightly({ name: 'Changing' }));
    const handle = client.schedule.getHandle(temporalScheduleId(s.id));
    await updateSchedule(admin, s.id, { spec: { kind: 'interval', everySeconds: 3600, offsetSeconds: 60 }, pauseOnFailure: true, jitterSeconds: 30 });
    let d = await handle.describe();
    expect(d.spec.intervals).toEqual([{ every: 3_600_000, offset: 60_000 }]);
    expect(d.spec.jitter).toBe(30_000);
    expect(d.policies.pauseOnFailure).toBe(true);
    const paused = await setSchedulePaused(admin, s.id, true, { note: 'holiday' });
    expect(paused).toMatchObject({ paused: true, note: 'holiday', temporal: { paused: true, note: 'holiday' } });
    expect(await failure(triggerSchedule(admin, s.id))).toBeInstanceOf(ConflictError);
    await setSchedulePaused(admin, s.id, false, {});
    d = await handle.describe();
    expect(d.state.paused).toBe(false);
    await deleteSchedule(admin, s.id);
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await listSchedules(admin, {})).items.map((i) => i.id)).not.toContain(s.id);
    expect(await failure(getSchedule(admin, s.id))).toBeInstanceOf(NotFoundError);
  });

  it('refuses a backfill of more than 50 runs or of the future, naming the field', async () => {
    const admin = w.ctx(w.actors.acmeAdmin);
    const s = await createSchedule(admin, nightly({ name: 'Hourly', spec: { kind: 'interval', everySeconds: 3600 }, paused: false }));
    const tooMany = await failure(backfillSchedule(admin, s.id, { start: new Date(Date.now() - 3 * 86_400_000).toISOString(), end: new Date(Date.now() - 60_000).toISOString() }));
    expect((tooMany as ConflictError).fieldErrors).toHaveProperty('end');
    expect(Object.keys(await fieldsOf(backfillSchedule(admin, s.id, { start: new Date().toISOString(), end: new Date(Date.now() + 3_600_000).toISOString() })))).toEqual(['end']);
  });
});

describe('reconciliation at the worker’s start', () => {
  it('creates what Temporal lacks, fixes what differs, deletes ours that Postgres does not have, and logs each fix', async () => {
    const admin = w.ctx(w.actors.acmeAdmin);
    const lost = await createSchedule(admin, nightly({ name: 'Lost in Temporal' }));
    const edited = await createSchedule(admin, nightly({ name: 'Edited in Temporal' }));
    await client.schedule.getHandle(temporalScheduleId(lost.id)).delete();
    // A raw Temporal client makes it fire every minute and unpauses nothing: the row says nightly.
    await client.schedule.getHandle(temporalScheduleId(edited.id)).update((prev) => ({ ...prev, spec: { intervals: [{ every: '1 minute' }] }, state: { paused: true } }));
    const stray = `${temporalScheduleId(crypto.randomUUID())}`;
    await client.schedule.create({
      scheduleId: stray,
      spec: { intervals: [{ every: '1 day' }] },
      action: { type: 'startWorkflow', workflowType: 'scheduledRun', taskQueue: process.env.CONTROL_PLANE_TASK_QUEUE!, args: [{ scheduleId: lost.id }] },
      state: { paused: true },
    });
    // Another installation's schedule in the same namespace: its own queue, its payload sealed under a key not stored here.
    const foreign = temporalScheduleId(crypto.randomUUID());
    const sealed = { metadata: { encoding: Buffer.from('binary/encrypted'), 'encryption-key-id': Buffer.from(crypto.randomUUID()) }, data: crypto.randomBytes(48) };
    await client.workflowService.createSchedule({
      namespace: client.options.namespace,
      scheduleId: foreign,
      requestId: crypto.randomUUID(),
      schedule: {
        spec: { interval: [{ interval: msToTs('1 day') }] },
        action: {
          startWorkflow: { workflowId: `${foreign}-run`, workflowType: { name: 'scheduledRun' }, taskQueue: { name: 'another-installation' }, input: { payloads: [sealed] } },
        },
        state: { paused: true },
      },
    });
    const lines: string[] = [];
    const log = createLogger(
      'reconcile-test',
      'info',
      new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const report = await reconcileSchedules(t.db, client, log);
    expect(report.created).toContain(lost.id);
    expect(report.updated).toContainEqual({ scheduleId: edited.id, changed: ['spec', 'unpaused'] });
    expect(report.deleted).toEqual([stray]);
    expect(report.failed).toEqual([]);
    // Left alone, and never decoded.
    expect((await client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId: foreign })).schedule?.action?.startWorkflow?.taskQueue?.name).toBe(
      'another-installation',
    );
    const d = await client.schedule.getHandle(temporalScheduleId(edited.id)).describe();
    expect(d.spec.intervals ?? []).toEqual([]);
    expect(d.state.paused).toBe(false);
    const logged = lines.map((l) => JSON.parse(l) as { fix?: string; scheduleId?: string; temporalScheduleId?: string });
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fix: 'created', scheduleId: lost.id }),
        expect.objectContaining({ fix: 'updated', scheduleId: edited.id }),
        expect.objectContaining({ fix: 'deleted', temporalScheduleId: stray }),
      ]),
    );
    // A second pass finds nothing to fix.
    const again = await reconcileSchedules(t.db, client, log);
    expect([again.created, again.updated, again.deleted]).toEqual([[], [], []]);
    await client.schedule.getHandle(foreign).delete();
  });
});
