// Each schedule row has one Temporal Schedule, `schedule-<row id>`, whose action starts `scheduledRun` on
// the control-plane queue with the row's id as its only input (workflows/scheduled-run.ts). Its spec,
// policies and paused state are always written from the row: `applyToTemporal` is the one writer (create,
// change, pause, resume, and the worker's reconciliation at start-up), and says what it had to change.
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { ScheduleOverlap, schedules } from '../../db/schema.ts';
import { scheduledRun } from '../../workflows/scheduled-run.ts';
import { SCHEDULED_RUN_ID_PREFIX } from '../jobs/workflow-organization.ts';
import { controlPlaneTaskQueue, temporalNamespace, temporalWebUrl } from '../temporal-client.ts';

export type ScheduleRow = typeof schedules.$inferSelect;

export const TEMPORAL_SCHEDULE_PREFIX = 'schedule-';
export const temporalScheduleId = (scheduleId: string) => `${TEMPORAL_SCHEDULE_PREFIX}${scheduleId}`;
/** The action's workflow id; Temporal appends the scheduled time to it for each run. */
export const scheduledRunWorkflowId = (scheduleId: string) => `${SCHEDULED_RUN_ID_PREFIX}${scheduleId}`;
export const temporalScheduleUrl = (scheduleId: string) =>
  `${temporalWebUrl()}/namespaces/${encodeURIComponent(temporalNamespace())}/schedules/${encodeURIComponent(temporalScheduleId(scheduleId))}`;

// CANCEL_OTHER and TERMINATE_OTHER are left out on purpose: they would stop a run halfway through a step
// that changes something (ADR 0017 runs such a step at most once, never twice, never half).
const OVERLAP: Record<ScheduleOverlap, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
};

/** What the row says Temporal's schedule must be. */
export function temporalOptions(row: ScheduleRow): ScheduleOptions {
  return {
    scheduleId: temporalScheduleId(row.id),
    spec: {
      ...(row.spec.kind === 'interval'
        ? { intervals: [{ every: row.spec.everySeconds * 1000, offset: row.spec.offsetSeconds * 1000 }] }
        : { cronExpressions: [row.spec.expression] }),
      timezone: row.timeZone,
      jitter: row.jitterSeconds * 1000,
      ...(row.startAt ? { startAt: row.startAt } : {}),
      ...(row.endAt ? { endAt: row.endAt } : {}),
    },
    action: {
      type: 'startWorkflow',
      workflowType: scheduledRun,
      taskQueue: controlPlaneTaskQueue(),
      workflowId: scheduledRunWorkflowId(row.id),
      // The only input, and the only thing the launcher believes from it (activities/schedules.ts).
      args: [{ scheduleId: row.id }],
    },
    policies: { overlap: OVERLAP[row.overlap], catchupWindow: row.catchupWindowSeconds * 1000, pauseOnFailure: row.pauseOnFailure },
    state: { paused: row.paused, note: row.note || (row.paused ? 'paused in Anthropy Works' : '') },
  };
}

/** What reconciliation compares: everything the row decides (Temporal's compiled form, before and after). */
const fingerprint = (d: ScheduleDescription) =>
  JSON.stringify({
    spec: d.spec,
    action: { workflowType: d.action.workflowType, taskQueue: d.action.taskQueue, workflowId: d.action.workflowId, args: d.action.args },
    policies: d.policies,
    paused: d.state.paused,
  });

/** Differences between two descriptions, by part, for the log. */
function changedParts(before: ScheduleDescription, after: ScheduleDescription): string[] {
  const parts: string[] = [];
  if (JSON.stringify(before.spec) !== JSON.stringify(after.spec)) parts.push('spec');
  const a = (d: ScheduleDescription) => JSON.stringify([d.action.workflowType, d.action.taskQueue, d.action.workflowId, d.action.args]);
  if (a(before) !== a(after)) parts.push('action');
  if (JSON.stringify(before.policies) !== JSON.stringify(after.policies)) parts.push('policies');
  if (before.state.paused !== after.state.paused) parts.push(after.state.paused ? 'paused' : 'unpaused');
  return parts;
}

/** Makes Temporal's schedule what the row says: created when missing, else updated. Answers what changed. */
export async function applyToTemporal(client: Client, row: ScheduleRow): Promise<{ created: boolean; changed: string[] }> {
  const options = temporalOptions(row);
  const handle = client.schedule.getHandle(options.scheduleId);
  let before: ScheduleDescription;
  try {
    before = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule.create(options);
    return { created: true, changed: [] };
  }
  const { scheduleId: _id, ...update } = options;
  await handle.update(() => ({ ...update, state: { paused: row.paused, note: options.state?.note } }));
  const after = await handle.describe();
  return { created: false, changed: fingerprint(before) === fingerprint(after) ? [] : changedParts(before, after) };
}

/** Removes the row's Temporal schedule (gone already is fine). */
export async function removeFromTemporal(client: Client, scheduleId: string): Promise<void> {
  await client.schedule
    .getHandle(temporalScheduleId(scheduleId))
    .delete()
    .catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
}

/** Temporal's view of the schedule for people, or null when it has none. */
export async function describeInTemporal(client: Client, scheduleId: string): Promise<ScheduleDescription | null> {
  try {
    return await client.schedule.getHandle(temporalScheduleId(scheduleId)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}
