// Where a job's time went after its approval, read from its Temporal history: each activity the run
// scheduled from the approval on (node steps named by the action of their signed envelope, as the
// console names them: api/jobs/run-history.ts), with its wait in the queue (scheduled → started), its
// run (started → completed) and the workflow's own turn before it (previous event → scheduled).
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

export interface StepTime {
  name: string;
  /** ms from the previous activity's end (or the approval) to this one being scheduled: workflow tasks. */
  before: number;
  /** ms scheduled → started: a worker's poll picking it up. */
  queued: number;
  /** ms started → completed. */
  ran: number;
}

export interface RunBreakdown {
  steps: StepTime[];
  /** ms from the approval's event to the first step being scheduled, and from the last step to the run's end. */
  afterLast: number;
}

const at = (e: Event): number => {
  const t = e.eventTime;
  return Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);
};

function stepName(s: temporal.api.history.v1.IActivityTaskScheduledEventAttributes): string {
  const type = s.activityType?.name ?? 'activity';
  if (type !== 'runNodeJob') return type;
  try {
    const envelope = defaultPayloadConverter.fromPayload<{ action?: string }>(s.input?.payloads?.[0] ?? {});
    return `${envelope.action} (node)`;
  } catch {
    return 'runNodeJob (node)';
  }
}

/** The run's steps from its (last) approval on. */
export function breakdown(events: Event[]): RunBreakdown {
  const approvedAt = events.findLastIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionSignaledEventAttributes);
  const scheduled = new Map<string, { name: string; at: number; startedAt?: number }>();
  const steps: StepTime[] = [];
  let previousEnd = at(events[Math.max(0, approvedAt)]!);
  for (const e of events.slice(approvedAt + 1)) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { name: stepName(s), at: at(e) });
    const started = e.activityTaskStartedEventAttributes;
    if (started) scheduled.get(String(started.scheduledEventId))!.startedAt = at(e);
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    if (done) {
      const step = scheduled.get(String(done.scheduledEventId))!;
      const startedAt = step.startedAt ?? step.at;
      steps.push({ name: step.name, before: step.at - previousEnd, queued: startedAt - step.at, ran: at(e) - startedAt });
      previousEnd = at(e);
    }
  }
  const end = events.findLast((e) => e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes);
  return { steps, afterLast: end ? at(end) - previousEnd : 0 };
}

export async function jobBreakdown(client: Client, workflowId: string): Promise<RunBreakdown> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return breakdown(history.events ?? []);
}

/**
 * Median of each step over several runs of the same workflow (steps matched by position and name; a run
 * that took other steps, a retry, is left out of that step's median).
 */
export function medianBreakdown(runs: RunBreakdown[]): { name: string; before: number; queued: number; ran: number; n: number }[] {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const shape = runs[0]?.steps.map((s) => s.name) ?? [];
  return shape.map((name, i) => {
    const same = runs.map((r) => r.steps[i]).filter((s): s is StepTime => s?.name === name);
    return { name, before: median(same.map((s) => s.before)), queued: median(same.map((s) => s.queued)), ran: median(same.map((s) => s.ran)), n: same.length };
  });
}
