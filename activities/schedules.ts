// The activities of a schedule's run (workflows/scheduled-run.ts). Anyone with a raw Temporal client can
// start `scheduledRun` on the control-plane queue, trigger a Temporal Schedule or edit its action, so the
// launcher believes nothing from its input but the schedule's id (ADR 0010), and from Temporal only its own
// bookkeeping: the calling run (activity info), the run's TemporalScheduledById and
// TemporalScheduledStartTime (set by the server for a schedule's action) and the Temporal Schedule's list of
// the runs it started. The rest comes from the schedule's row: a run at one of the row's own times (within
// its catch-up window and jitter), inside a backfill range a person asked for, or using a trigger a person
// asked for; the row not paused, deleted or ended; the owner still active and still allowed to run the
// definition. Then the workflow run is a normal job (api/workflow-runs/service.ts), whose steps the
// policy engine checks again as they run.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Client, type Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Actor } from '../api/authz.ts';
import { AppError } from '../api/errors.ts';
import { isUuid } from '../api/ids.ts';
import { nominalTimeOf } from '../api/schedules/calendar.ts';
import { temporalScheduleId, type ScheduleRow } from '../api/schedules/temporal-schedule.ts';
import { startWorkflowRun } from '../api/workflow-runs/service.ts';
import { recordAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { jobs, schedules, users, workflowVersions, type JobState } from '../db/schema.ts';
import { temporalDataConverter } from '../infra/temporal-codec.ts';
import { callingRun } from './calling-run.ts';
import { uuidFrom } from './workflow-runs.ts';

const SCHEDULED_BY_ID = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
const TERMINAL: JobState[] = ['completed', 'failed', 'expired', 'cancelled', 'rejected'];
/** How long a trigger a person asked for stays good for the run it started. */
const TRIGGER_GOOD_FOR_MS = 10 * 60_000;
/** Slack for a run's start after its time, beyond the catch-up window and jitter (the worker's own delay). */
const START_SLACK_MS = 60_000;

export type LaunchResult = { outcome: 'started'; jobId: string } | { outcome: 'not_started'; reason: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createScheduleActivities(deps: { db: Db; temporal: Connection; namespace: string }) {
  const { db } = deps;
  const client = new Client({ connection: deps.temporal, namespace: deps.namespace, dataConverter: temporalDataConverter({ db: () => db }) });

  /** A launch that does not start a run, audited as the calling workflow's (`denied`: refused for its caller or the row's state). */
  async function notStarted(row: ScheduleRow | undefined, reason: string): Promise<LaunchResult> {
    const run = callingRun();
    await recordAudit(db, {
      actorType: 'workflow',
      actorId: run.workflowId.slice(0, 200),
      actorLabel: `workflow ${run.workflowType.slice(0, 60)}`,
      organizationId: row?.organizationId ?? null,
      action: 'schedule.launch',
      targetType: 'schedule',
      targetId: row?.id ?? null,
      outcome: 'denied',
      reason,
      details: { workflowId: run.workflowId.slice(0, 200), runId: run.runId },
    });
    return { outcome: 'not_started', reason };
  }

  /** Whether the Temporal Schedule lists this very run among those it started (polls briefly: it records a start just after making it). */
  async function startedBySchedule(scheduleId: string, run: { workflowId: string; runId: string }): Promise<boolean> {
    const handle = client.schedule.getHandle(temporalScheduleId(scheduleId));
    for (let attempt = 0; attempt < 10; attempt++) {
      if (attempt) await sleep(500);
      const d = await handle.describe().catch(() => null);
      const started = [...(d?.info.recentActions.map((a) => a.action) ?? []), ...(d?.info.runningActions ?? [])];
      if (started.some((a) => a.workflow.workflowId === run.workflowId && a.workflow.firstExecutionRunId === run.runId)) return true;
      Context.current().heartbeat();
    }
    return false;
  }

  /** Why the row allows a run scheduled at `scheduledAt` that started at `startedAt`, or null. Uses up a trigger when that is the reason. */
  async function reasonToRun(row: ScheduleRow, scheduledAt: Date, startedAt: Date): Promise<'calendar' | 'backfill' | 'trigger' | null> {
    const nominal = nominalTimeOf(row.spec, row.timeZone, row.jitterSeconds, scheduledAt);
    const late = startedAt.getTime() - scheduledAt.getTime();
    if (nominal && late <= (row.catchupWindowSeconds + row.jitterSeconds) * 1000 + START_SLACK_MS) return 'calendar';
    if (nominal && row.backfills.some((b) => Date.parse(b.start) <= nominal.getTime() && nominal.getTime() <= Date.parse(b.end))) return 'backfill';
    const [used] = await db
      .update(schedules)
      .set({ pendingTriggers: sql`${schedules.pendingTriggers} - 1` })
      .where(and(eq(schedules.id, row.id), gt(schedules.pendingTriggers, 0), gt(schedules.lastTriggeredAt, new Date(scheduledAt.getTime() - TRIGGER_GOOD_FOR_MS))))
      .returning({ id: schedules.id });
    return used ? 'trigger' : null;
  }

  return {
    /** Decides in Postgres whether the calling scheduled workflow may start a run, and starts it (once). */
    async launchScheduledRun(input: { scheduleId: string }): Promise<LaunchResult> {
      const run = callingRun();
      const scheduleId = String(input?.scheduleId ?? '').slice(0, 100);
      const [row] = isUuid(scheduleId) ? await db.select().from(schedules).where(eq(schedules.id, scheduleId)) : [];
      if (!row) return notStarted(undefined, `refused: no schedule ${scheduleId}`);
      if (run.workflowType !== 'scheduledRun') return notStarted(row, `refused: workflow type ${run.workflowType} does not launch schedules`);

      // Temporal's bookkeeping: the server sets these on a schedule's action only…
      const described = await client.workflow.getHandle(run.workflowId, run.runId).describe();
      const byId = described.typedSearchAttributes.get(SCHEDULED_BY_ID);
      const scheduledAt = described.typedSearchAttributes.get(SCHEDULED_START_TIME);
      if (byId !== temporalScheduleId(row.id) || !scheduledAt) return notStarted(row, `refused: this run was not started by schedule ${row.id}'s Temporal Schedule`);
      // …and a client may forge search attributes on a start of its own: the schedule must list the run too.
      if (!(await startedBySchedule(row.id, run))) return notStarted(row, `refused: schedule ${row.id}'s Temporal Schedule did not start this run`);

      const jobId = uuidFrom(`${run.workflowId}/${run.runId}`);
      const [existing] = await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.id, jobId));
      if (existing) return { outcome: 'started', jobId };

      if (row.deletedAt) return notStarted(row, 'not started: the schedule was deleted');
      if (row.paused) return notStarted(row, `not started: the schedule is paused${row.note ? ` (${row.note})` : ''}`);
      if (row.endAt && scheduledAt > row.endAt) return notStarted(row, 'not started: the schedule has ended');
      if (row.startAt && scheduledAt < row.startAt) return notStarted(row, 'not started: the schedule has not begun');
      const why = await reasonToRun(row, scheduledAt, described.startTime);
      if (!why) return notStarted(row, `refused: ${scheduledAt.toISOString()} is none of the schedule's times, in no backfill and for no trigger asked through Anthropy Works`);

      // The owner's authority, as it is now (a failure here fails the scheduled run: the schedule is broken, not forged).
      const [owner] = await db.select().from(users).where(eq(users.id, row.createdBy));
      if (!owner?.active) throw ApplicationFailure.nonRetryable(`the schedule's owner is no longer an active user`, 'ScheduleOwnerGone');
      const actor: Actor = { kind: 'person', userId: owner.id, email: owner.email, name: owner.name, role: owner.role, organizationId: owner.organizationId };
      const [pinned] = row.versionId ? await db.select({ number: workflowVersions.number }).from(workflowVersions).where(eq(workflowVersions.id, row.versionId)) : [];
      try {
        const started = await startWorkflowRun({ db, actor }, row.definitionId, pinned ? { versionNumber: pinned.number } : {}, {
          schedule: { scheduleId: row.id, jobId, workflowId: run.workflowId, runId: run.runId, scheduledAt: scheduledAt.toISOString() },
        });
        Context.current().log.info('scheduled run started', { scheduleId: row.id, jobId: started.id, why });
        return { outcome: 'started', jobId: started.id };
      } catch (err) {
        if (err instanceof AppError) throw ApplicationFailure.nonRetryable(`the run could not start: ${err.message}`, 'ScheduledRunRefused');
        throw err;
      }
    },

    /** Waits for the launched run's job to end (heartbeating); a failed run pauses the row first when the schedule pauses on failure. */
    async awaitScheduledRunEnd(input: { jobId: string }): Promise<{ state: JobState; reason: string }> {
      const run = callingRun();
      for (;;) {
        const [job] = isUuid(String(input?.jobId)) ? await db.select().from(jobs).where(eq(jobs.id, input.jobId)) : [];
        if (!job || job.params.scheduledWorkflowId !== run.workflowId || job.params.scheduledRunId !== run.runId)
          throw ApplicationFailure.nonRetryable(`refused: job ${String(input?.jobId).slice(0, 60)} was not launched by this run`, 'NotThisScheduledRun');
        if (TERMINAL.includes(job.state)) {
          const reason = job.failureReason ?? job.state;
          if (job.state !== 'completed') await pauseOnFailure(db, String(job.params.scheduleId), job.id, job.state, reason);
          return { state: job.state, reason };
        }
        Context.current().heartbeat({ state: job.state });
        await Context.current().sleep(1000);
      }
    },
  };
}

/**
 * Temporal pauses a schedule whose run failed when it pauses on failure; the row says so first, so that the
 * worker's reconciliation (which writes Temporal from the row) keeps it paused.
 */
async function pauseOnFailure(db: Db, scheduleId: string, jobId: string, state: JobState, reason: string) {
  const note = `paused after run ${jobId} ended ${state}: ${reason}`.slice(0, 500);
  const [row] = await db
    .update(schedules)
    .set({ paused: true, note, updatedAt: new Date() })
    .where(and(eq(schedules.id, scheduleId), eq(schedules.pauseOnFailure, true), eq(schedules.paused, false)))
    .returning();
  if (!row) return;
  await recordAudit(db, {
    actorType: 'system',
    actorLabel: 'schedule',
    organizationId: row.organizationId,
    action: 'schedule.pause',
    targetType: 'schedule',
    targetId: row.id,
    outcome: 'success',
    reason: note,
  });
}

export type ScheduleActivities = ReturnType<typeof createScheduleActivities>;
