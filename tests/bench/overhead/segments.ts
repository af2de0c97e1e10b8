// Where one sample's time went (suite 1), from its run's history and the benchmark's own clocks: the
// request until a worker took the workflow task holding the Update, that task, the activity's wait for a
// poll on the server (scheduled → started: Temporal's matching), and the hand-over from the server's
// match to the activity's first line (for the product: the agent door and the node's worker). All in
// wall-clock milliseconds of this machine (the dev server runs on it too).
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

export const SEGMENTS = [
  'request → workflow task started',
  'workflow task (with the Update)',
  'task completed → activity scheduled',
  'scheduled → started (server matching)',
  'started → first line (delivery)',
] as const;

export type Segments = Record<(typeof SEGMENTS)[number], number>;

const wall = (e: Event): number => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/**
 * The segments of the sample whose request was sent at `sentAt` and whose activity `activityType` began
 * its first line at `firstLineAt` (both wall-clock ms); undefined when the history lacks a step.
 */
export function segmentsOf(events: Event[], activityType: string, sentAt: number, firstLineAt: number): Segments | undefined {
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  if (accepted < 0) return undefined;
  const before = events.slice(0, accepted);
  const taskStarted = before.findLast((e) => e.workflowTaskStartedEventAttributes);
  const taskCompleted = before.findLast((e) => e.workflowTaskCompletedEventAttributes);
  const scheduled = events.slice(accepted).find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  const started = scheduled && events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? '') === String(scheduled.eventId));
  if (!taskStarted || !taskCompleted || !scheduled || !started) return undefined;
  return {
    'request → workflow task started': wall(taskStarted) - sentAt,
    'workflow task (with the Update)': wall(taskCompleted) - wall(taskStarted),
    'task completed → activity scheduled': wall(scheduled) - wall(taskCompleted),
    'scheduled → started (server matching)': wall(started) - wall(scheduled),
    'started → first line (delivery)': firstLineAt - wall(started),
  };
}

/**
 * Where the slowest samples' extra time went: each segment's mean over the slowest `share` of the samples
 * (by their whole time) beside its mean over the rest, so a missed p99 names the segment that grew.
 */
export function tailProfile(samples: Segments[], share = 0.05): { segment: (typeof SEGMENTS)[number]; slowest: number; rest: number }[] {
  const total = (s: Segments) => SEGMENTS.reduce((sum, name) => sum + s[name], 0);
  const sorted = [...samples].sort((x, y) => total(y) - total(x));
  const cut = Math.max(1, Math.ceil(sorted.length * share));
  const mean = (xs: Segments[], name: (typeof SEGMENTS)[number]) => (xs.length ? xs.reduce((sum, s) => sum + s[name], 0) / xs.length : 0);
  return SEGMENTS.map((segment) => ({ segment, slowest: mean(sorted.slice(0, cut), segment), rest: mean(sorted.slice(cut), segment) }));
}
