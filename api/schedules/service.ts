// Schedules (issue 15): a workflow definition run for its organization on an interval or a cron calendar,
// through one Temporal Schedule per row. Company admins manage their own organization's, MSP staff all
// (`schedule.view`, `schedule.manage`); the creator is the owner whose authority every run carries, and
// must be allowed to run the definition (`workflow.run`). authorize → validate → policy → write → audit →
// Temporal, in one transaction: when Temporal refuses or cannot be reached, nothing is recorded (503). A
// crash between Temporal's change and the commit leaves Temporal ahead of the row; the worker's
// reconciliation at start-up puts it back (activities/schedule-reconcile.ts).
import crypto from 'node:crypto';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.ts';
import { organizations, schedules, users, workflowDefinitions, workflowVersions, type ScheduleBackfill } from '../../db/schema.ts';
import type { Step } from '../../protocol/workflow-definition.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import { authorize, can, MSP_ROLES, type Actor, type ServiceContext } from '../authz.ts';
import { AppError, ConflictError, NotFoundError, parseInput, UnavailableError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { listScope } from '../list-scope.ts';
import { stricterApproval } from '../policy/engine.ts';
import { getTemporalClient } from '../temporal-client.ts';
import type { PolicyPreviewOutput } from '../workflow-definitions/model.ts';
import { previewDefinition } from '../workflow-definitions/policy-preview.ts';
import { findDefinition } from '../workflow-definitions/service.ts';
import { localTime, timesBetween } from './calendar.ts';
import {
  BackfillInput,
  CreateScheduleInput,
  ListSchedulesQuery,
  NoteInput,
  UpdateScheduleInput,
  type ScheduleListItem,
  type ScheduleOutput,
  type ScheduleSummary,
} from './model.ts';
import { glanceAt } from './at-a-glance.ts';
import { applyToTemporal, describeInTemporal, removeFromTemporal, temporalScheduleId, temporalScheduleUrl, type ScheduleRow } from './temporal-schedule.ts';

/** A backfill runs at most this many times: a long range would flood the approvers (the AWX lesson). */
export const MAX_BACKFILL_RUNS = 50;

const pinned = alias(workflowVersions, 'pinned');
const selectSchedules = (db: Executor) =>
  db
    .select({
      s: schedules,
      organizationName: organizations.name,
      organizationTimeZone: organizations.timeZone,
      definitionName: workflowDefinitions.name,
      pinnedNumber: pinned.number,
      owner: users.email,
    })
    .from(schedules)
    .innerJoin(organizations, eq(organizations.id, schedules.organizationId))
    .innerJoin(workflowDefinitions, eq(workflowDefinitions.id, schedules.definitionId))
    .innerJoin(users, eq(users.id, schedules.createdBy))
    .leftJoin(pinned, eq(pinned.id, schedules.versionId));
export type Selected = { s: ScheduleRow; organizationName: string; organizationTimeZone: string; definitionName: string; pinnedNumber: number | null; owner: string };

const toSummary = ({ s, organizationName, definitionName, pinnedNumber, owner }: Selected): ScheduleSummary => ({
  id: s.id,
  organizationId: s.organizationId,
  organizationName,
  definitionId: s.definitionId,
  definitionName,
  name: s.name,
  version: pinnedNumber ?? 'latest',
  spec: s.spec,
  timeZone: s.timeZone,
  overlap: s.overlap,
  catchupWindowSeconds: s.catchupWindowSeconds,
  pauseOnFailure: s.pauseOnFailure,
  jitterSeconds: s.jitterSeconds,
  startAt: s.startAt?.toISOString() ?? null,
  endAt: s.endAt?.toISOString() ?? null,
  paused: s.paused,
  note: s.note,
  owner,
  temporalScheduleId: temporalScheduleId(s.id),
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

const target = (s: ScheduleRow) => auditTarget('schedule', s);

async function temporal(): Promise<Client> {
  return getTemporalClient().catch(() => {
    throw new UnavailableError('Temporal is not reachable: the schedule was not changed. Try again shortly.');
  });
}

/** Runs `change` (the row's write and its audit event) and Temporal's side in one transaction: Temporal's refusal undoes the row. */
async function withTemporal<T>(ctx: ServiceContext, change: (tx: Executor, client: Client) => Promise<T>): Promise<T> {
  const client = await temporal();
  try {
    return await ctx.db.transaction((tx) => change(tx, client));
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new UnavailableError(`Temporal did not accept the change, so nothing was changed: ${(err as Error).message.slice(0, 200)}`);
  }
}

/** The schedule, if the actor may do `action` to it (another organization's is "not found"; a deleted one is gone). */
export async function findSchedule(ctx: ServiceContext, id: string, action: 'schedule.view' | 'schedule.manage' | 'schedule.pre_approve'): Promise<Selected> {
  if (!isUuid(id)) throw new NotFoundError('schedule');
  const [row] = await selectSchedules(ctx.db).where(and(eq(schedules.id, id), isNull(schedules.deletedAt)));
  if (!row) throw new NotFoundError('schedule');
  await authorize(ctx, action, { organizationId: row.s.organizationId, type: 'schedule', id });
  return row;
}

/** The pinned version's id for a version number (null: latest), on the `version` field. */
async function versionIdOf(ctx: ServiceContext, definitionId: string, version: 'latest' | number): Promise<string | null> {
  if (version === 'latest') return null;
  const [v] = await ctx.db
    .select({ id: workflowVersions.id })
    .from(workflowVersions)
    .where(and(eq(workflowVersions.definitionId, definitionId), eq(workflowVersions.number, version)));
  if (!v) throw new ConflictError('version', `The definition has no version ${version}.`);
  return v.id;
}

/** Who each run will wait for: the steps that need a confirmation now, with the approval policy they would ask. */
function confirmationsOf(preview: PolicyPreviewOutput, steps: Step[]): ScheduleOutput['confirmations'] {
  return preview.steps.flatMap((p) => {
    const step = steps[p.index];
    const when = `at each run, when step ${p.index + 1} is reached; the run waits until then or the expiry`;
    const c = step?.confirmation;
    if (p.kind === 'wait_for_person') {
      const roles = c?.approverRoles ?? (c?.approverGroupIds?.length ? [] : [...MSP_ROLES]);
      return [
        {
          stepId: p.stepId,
          name: p.name,
          when,
          approvalsNeeded: c?.approvalsNeeded ?? 1,
          approverRoles: roles,
          approverGroupIds: c?.approverGroupIds ?? [],
          expiresInHours: c?.expiresInHours ?? 24,
        },
      ];
    }
    if (p.verdict?.outcome !== 'needs_confirmation' || !p.verdict.approval) return [];
    const a = stricterApproval(p.verdict.approval as Parameters<typeof stricterApproval>[0], c);
    return [
      {
        stepId: p.stepId,
        name: p.name,
        when,
        approvalsNeeded: a.approvalsNeeded,
        approverRoles: a.approverRoles,
        approverGroupIds: a.approverGroupIds,
        expiresInHours: a.expiresInHours,
      },
    ];
  });
}

/** The policy engine's verdicts on the version a run would start now; a blocked step refuses the schedule, naming its rule. */
export async function policyOf(ctx: ServiceContext, definitionId: string, versionNumber: number | undefined, refuseBlocked: boolean) {
  const preview = await previewDefinition(ctx, definitionId, versionNumber === undefined ? {} : { version: versionNumber });
  const blocked = preview.steps.find((p) => p.verdict?.outcome === 'blocked');
  if (refuseBlocked && blocked)
    throw new ConflictError(
      'definitionId',
      `Step ${blocked.index + 1} (${blocked.name}) is blocked by ${blocked.verdict!.rule}: ${blocked.verdict!.sentence} Every run would stop there.`,
    );
  const [v] = await ctx.db
    .select({ steps: workflowVersions.steps })
    .from(workflowVersions)
    .where(and(eq(workflowVersions.definitionId, definitionId), eq(workflowVersions.number, preview.version!)));
  return { policy: preview, confirmations: confirmationsOf(preview, (v?.steps ?? []) as Step[]) };
}

async function output(ctx: ServiceContext, id: string): Promise<ScheduleOutput> {
  const row = await findSchedule(ctx, id, 'schedule.view');
  const { s } = row;
  let described: ScheduleOutput['temporal'] = null;
  const client = await getTemporalClient().catch(() => null);
  const d = client && (await describeInTemporal(client, s.id).catch(() => null));
  if (d)
    described = {
      paused: d.state.paused,
      note: d.state.note ?? '',
      upcoming: d.info.nextActionTimes
        .slice(0, 5)
        .map((at) => ({ at: at.toISOString(), local: localTime(at, s.timeZone), organizationLocal: localTime(at, row.organizationTimeZone) })),
      recent: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), takenAt: a.takenAt.toISOString(), workflowId: a.action.workflow.workflowId })),
      skippedOverlap: d.info.numActionsSkippedOverlap,
      missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      webUrl: temporalScheduleUrl(s.id),
    };
  // The policy's verdicts are for those who build definitions; everyone who sees the schedule learns whom
  // its runs will ask (a company user in an approver group approves them in advance from here), as the
  // owner's runs ask it.
  const builder = can(ctx.actor, 'workflow_definition.build', { organizationId: s.organizationId });
  if (builder) {
    const { policy, confirmations } = await policyOf(ctx, s.definitionId, row.pinnedNumber ?? undefined, false);
    return { ...toSummary(row), temporal: described, policy, confirmations, ownerWarning: await ownerWarningOf(ctx.db, s.createdBy) };
  }
  // An owner who left, or whose role no longer builds definitions, cannot have the runs' confirmations worked
  // out in their name: the viewer learns that instead of a refusal of the whole page.
  const ownerWarning = await ownerWarningOf(ctx.db, s.createdBy);
  if (ownerWarning) return { ...toSummary(row), temporal: described, policy: null, confirmations: [], ownerWarning };
  const owner = await ownerActorOf(ctx.db, s.createdBy);
  if (!can(owner, 'workflow_definition.build', { organizationId: s.organizationId }))
    return { ...toSummary(row), temporal: described, policy: null, confirmations: [], ownerWarning: OWNER_MAY_NOT_BUILD };
  const { confirmations } = await policyOf({ db: ctx.db, actor: owner }, s.definitionId, row.pinnedNumber ?? undefined, false);
  return { ...toSummary(row), temporal: described, policy: null, confirmations, ownerWarning: null };
}

const OWNER_MAY_NOT_BUILD =
  'The schedule’s owner may no longer build this organization’s workflows, so the confirmations its runs ask are not shown here; an administrator sees them.';

/** Why the owner's runs will not start, or null while the owner is active. */
export async function ownerWarningOf(db: ServiceContext['db'], ownerId: string): Promise<string | null> {
  const [owner] = await db.select({ active: users.active }).from(users).where(eq(users.id, ownerId));
  return owner?.active ? null : 'The schedule’s owner is no longer an active user: its runs will not start and cannot be approved in advance.';
}

/** The schedule's owner as an actor: each run carries their authority, so what a run would ask is what they would be asked. */
export async function ownerActorOf(db: ServiceContext['db'], ownerId: string): Promise<Actor> {
  const [owner] = await db.select().from(users).where(eq(users.id, ownerId));
  if (!owner) throw new NotFoundError('schedule owner');
  return { kind: 'person', userId: owner.id, email: owner.email, name: owner.name, role: owner.role, organizationId: owner.organizationId };
}

export async function listSchedules(ctx: ServiceContext, query: unknown): Promise<{ items: ScheduleListItem[] }> {
  const q = parseInput(ListSchedulesQuery, query ?? {});
  const organizationId = await listScope(ctx, 'schedule.view', q.organizationId);
  const rows = await selectSchedules(ctx.db)
    .where(
      and(
        isNull(schedules.deletedAt),
        organizationId ? eq(schedules.organizationId, organizationId) : undefined,
        q.definitionId ? eq(schedules.definitionId, q.definitionId) : undefined,
      ),
    )
    .orderBy(desc(schedules.createdAt), desc(schedules.id));
  const glances = await glanceAt(
    ctx.db,
    rows.map((r) => r.s),
  );
  return { items: rows.map((r) => ({ ...toSummary(r), ...glances.get(r.s.id)!, temporalUrl: temporalScheduleUrl(r.s.id) })) };
}

export const getSchedule = (ctx: ServiceContext, id: string) => output(ctx, id);

export async function createSchedule(ctx: ServiceContext, input: unknown): Promise<ScheduleOutput> {
  const body = parseInput(CreateScheduleInput, input ?? {});
  const { d } = await findDefinition(ctx, body.definitionId, 'workflow_definition.view');
  await authorize(ctx, 'schedule.manage', { organizationId: d.organizationId, type: 'workflow_definition', id: d.id });
  // The creator owns the runs: they must be allowed to run the definition themselves.
  await authorize(ctx, 'workflow.run', { organizationId: d.organizationId, type: 'workflow_definition', id: d.id });
  if (d.archivedAt) throw new ConflictError('definitionId', `${d.name} is archived: unarchive it to schedule it.`);
  const versionId = await versionIdOf(ctx, d.id, body.version);
  // A calendar without a time zone is read in the organization's.
  const [org] = await ctx.db.select({ timeZone: organizations.timeZone }).from(organizations).where(eq(organizations.id, d.organizationId));
  const timeZone = body.timeZone ?? org?.timeZone ?? 'UTC';
  await policyOf(ctx, d.id, body.version === 'latest' ? undefined : body.version, true);
  const id = crypto.randomUUID();
  await withTemporal(ctx, async (tx, client) => {
    const [row] = await tx
      .insert(schedules)
      .values({
        id,
        organizationId: d.organizationId,
        definitionId: d.id,
        versionId,
        name: body.name,
        spec: body.spec,
        timeZone,
        overlap: body.overlap,
        catchupWindowSeconds: body.catchupWindowSeconds,
        pauseOnFailure: body.pauseOnFailure,
        jitterSeconds: body.jitterSeconds,
        startAt: body.startAt ? new Date(body.startAt) : null,
        endAt: body.endAt ? new Date(body.endAt) : null,
        paused: body.paused,
        note: body.note,
        createdBy: ctx.actor.userId,
      })
      .returning();
    await recordSuccess(tx, ctx.actor, 'schedule.create', target(row!), { name: body.name, definitionId: d.id, version: body.version, spec: body.spec, timeZone });
    await applyToTemporal(client, row!);
  });
  return output(ctx, id);
}

export async function updateSchedule(ctx: ServiceContext, id: string, input: unknown): Promise<ScheduleOutput> {
  const { s } = await findSchedule(ctx, id, 'schedule.manage');
  const body = parseInput(UpdateScheduleInput, input ?? {});
  const startAt = body.startAt === undefined ? s.startAt : body.startAt ? new Date(body.startAt) : null;
  const endAt = body.endAt === undefined ? s.endAt : body.endAt ? new Date(body.endAt) : null;
  if (startAt && endAt && endAt <= startAt) throw new ConflictError('endAt', 'endAt must be after startAt');
  const versionId = body.version === undefined ? s.versionId : await versionIdOf(ctx, s.definitionId, body.version);
  if (body.version !== undefined) await policyOf(ctx, s.definitionId, body.version === 'latest' ? undefined : body.version, true);
  const { version: _v, ...rest } = body;
  await withTemporal(ctx, async (tx, client) => {
    const [row] = await tx
      .update(schedules)
      .set({ ...rest, startAt, endAt, versionId, updatedAt: new Date() })
      .where(eq(schedules.id, id))
      .returning();
    await recordSuccess(tx, ctx.actor, 'schedule.update', target(row!), { fields: Object.keys(body) });
    await applyToTemporal(client, row!);
  });
  return output(ctx, id);
}

export async function setSchedulePaused(ctx: ServiceContext, id: string, paused: boolean, input: unknown): Promise<ScheduleOutput> {
  const { s } = await findSchedule(ctx, id, 'schedule.manage');
  const { note } = parseInput(NoteInput, input ?? {});
  await withTemporal(ctx, async (tx, client) => {
    const [row] = await tx
      .update(schedules)
      .set({ paused, note: note ?? (paused ? `paused by ${ctx.actor.email}` : ''), updatedAt: new Date() })
      .where(eq(schedules.id, s.id))
      .returning();
    await recordSuccess(tx, ctx.actor, paused ? 'schedule.pause' : 'schedule.resume', target(row!), { note: row!.note });
    await applyToTemporal(client, row!);
  });
  return output(ctx, id);
}

/** Starts one run now (whatever the calendar and the overlap policy say), recorded so that its launcher believes it. */
export async function triggerSchedule(ctx: ServiceContext, id: string): Promise<ScheduleOutput> {
  const { s } = await findSchedule(ctx, id, 'schedule.manage');
  if (s.paused) throw new ConflictError('id', `${s.name} is paused: resume it to run it.`);
  await policyOf(ctx, s.definitionId, undefined, true);
  await withTemporal(ctx, async (tx, client) => {
    await tx
      .update(schedules)
      .set({ pendingTriggers: sql`${schedules.pendingTriggers} + 1`, lastTriggeredAt: new Date() })
      .where(eq(schedules.id, s.id));
    await recordSuccess(tx, ctx.actor, 'schedule.trigger', target(s), { name: s.name });
    await applyToTemporal(client, s);
    await client.schedule.getHandle(temporalScheduleId(s.id)).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  });
  return output(ctx, id);
}

/** Runs the times of a past range now, one after another (at most MAX_BACKFILL_RUNS), each a normal, policy-checked run. */
export async function backfillSchedule(ctx: ServiceContext, id: string, input: unknown): Promise<ScheduleOutput> {
  const { s } = await findSchedule(ctx, id, 'schedule.manage');
  const range = parseInput(BackfillInput, input ?? {});
  const [start, end] = [new Date(range.start), new Date(range.end)];
  if (s.paused) throw new ConflictError('id', `${s.name} is paused: resume it to backfill it.`);
  const times = timesBetween(s.spec, s.timeZone, start, end, MAX_BACKFILL_RUNS);
  if (!times.length) throw new ConflictError('end', 'The schedule has no time in this range.');
  if (times.length > MAX_BACKFILL_RUNS) throw new ConflictError('end', `The range holds more than ${MAX_BACKFILL_RUNS} of the schedule's times: backfill a shorter one.`);
  const entry: ScheduleBackfill = { start: start.toISOString(), end: end.toISOString(), by: ctx.actor.email, at: new Date().toISOString() };
  await withTemporal(ctx, async (tx, client) => {
    await tx
      .update(schedules)
      .set({ backfills: sql`${schedules.backfills} || ${JSON.stringify([entry])}::jsonb` })
      .where(eq(schedules.id, s.id));
    await recordSuccess(tx, ctx.actor, 'schedule.backfill', target(s), { start: entry.start, end: entry.end, runs: times.length });
    await applyToTemporal(client, s);
    await client.schedule.getHandle(temporalScheduleId(s.id)).backfill({ start, end, overlap: ScheduleOverlapPolicy.BUFFER_ALL });
  });
  return output(ctx, id);
}

/** Removes the Temporal schedule; the row stays (its runs name it), marked deleted. */
export async function deleteSchedule(ctx: ServiceContext, id: string): Promise<{ deleted: true }> {
  const { s } = await findSchedule(ctx, id, 'schedule.manage');
  await withTemporal(ctx, async (tx, client) => {
    await tx.update(schedules).set({ deletedAt: new Date(), paused: true, updatedAt: new Date() }).where(eq(schedules.id, s.id));
    await recordSuccess(tx, ctx.actor, 'schedule.delete', target(s), { name: s.name });
    await removeFromTemporal(client, s.id);
  });
  return { deleted: true };
}
