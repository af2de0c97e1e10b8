// What a job's run did, activity by activity, read from its Temporal history (the source of truth for
// attempts and timeouts): how many times each was called and tried, with what timeouts and retry
// limit, and how its last try ended. Node steps all run as `runNodeJob`; they are told apart by the
// action their signed envelope names. Nothing else of an input is read, and no payload is returned.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { z } from 'zod';

type Duration = { seconds?: unknown; nanos?: number | null } | null | undefined;
type Failure = { message?: string | null; cause?: Failure | null } | null | undefined;

export const ActivitySummary = z.object({
  /** e.g. "openclaw.deploy on the node" or "updateJob". */
  name: z.string(),
  where: z.enum(['node', 'control plane']),
  /** Times the workflow scheduled it (node steps are scheduled once per attempt, each with a fresh envelope). */
  calls: z.number(),
  /** Tries Temporal made across those calls, retries included. */
  attempts: z.number(),
  /** The retry limit of one call (Temporal's maximumAttempts; 0 means unlimited). */
  maxAttemptsPerCall: z.number(),
  /** In seconds; absent when not set. */
  timeouts: z.object({ scheduleToStart: z.number().optional(), startToClose: z.number().optional(), heartbeat: z.number().optional(), scheduleToClose: z.number().optional() }),
  last: z.enum(['scheduled', 'running', 'completed', 'failed', 'timed out', 'cancelled']),
  lastFailure: z.string().optional(),
});
export type ActivitySummary = z.infer<typeof ActivitySummary>;

const seconds = (d: Duration): number | undefined => {
  const s = Number(d?.seconds ?? 0) + (d?.nanos ?? 0) / 1e9;
  return s > 0 ? s : undefined;
};
const innermost = (f: Failure): string | undefined => (f ? ((f.cause ? (innermost(f.cause) ?? f.message) : f.message) ?? undefined) : undefined);

function nodeAction(input: temporal.api.common.v1.IPayloads | null | undefined): string | undefined {
  try {
    const envelope = defaultPayloadConverter.fromPayload<{ action?: unknown }>(input?.payloads?.[0] ?? {});
    return typeof envelope?.action === 'string' ? envelope.action : undefined;
  } catch {
    return undefined;
  }
}

interface Scheduled {
  key: string;
  name: string;
  where: ActivitySummary['where'];
  attempts: number;
  maxAttempts: number;
  timeouts: ActivitySummary['timeouts'];
  last: ActivitySummary['last'];
  failure?: string;
}

/** Summarises the activities of one run's history, with the attempts of those still pending. */
export function summariseActivities(events: temporal.api.history.v1.IHistoryEvent[], pending: temporal.api.workflow.v1.IPendingActivityInfo[] = []): ActivitySummary[] {
  const byEventId = new Map<string, Scheduled>();
  const byActivityId = new Map<string, Scheduled>();
  const order: Scheduled[] = [];
  for (const e of events) {
    const id = String(e.eventId);
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      const type = s.activityType?.name ?? 'activity';
      const action = type === 'runNodeJob' ? nodeAction(s.input) : undefined;
      const entry: Scheduled = {
        key: action ? `node:${action}` : type,
        name: action ? `${action} on the node` : type,
        where: type === 'runNodeJob' ? 'node' : 'control plane',
        attempts: 0,
        maxAttempts: s.retryPolicy?.maximumAttempts ?? 0,
        last: 'scheduled',
        timeouts: {
          scheduleToStart: seconds(s.scheduleToStartTimeout),
          startToClose: seconds(s.startToCloseTimeout),
          heartbeat: seconds(s.heartbeatTimeout),
          scheduleToClose: seconds(s.scheduleToCloseTimeout),
        },
      };
      byEventId.set(id, entry);
      if (s.activityId) byActivityId.set(s.activityId, entry);
      order.push(entry);
      continue;
    }
    const started = e.activityTaskStartedEventAttributes;
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    const entry = byEventId.get(String((started ?? done)?.scheduledEventId));
    if (!entry) continue;
    if (started) {
      entry.attempts = Math.max(entry.attempts, started.attempt ?? 1);
      entry.last = 'running';
    } else if (e.activityTaskCompletedEventAttributes) entry.last = 'completed';
    else if (e.activityTaskFailedEventAttributes) {
      entry.last = 'failed';
      entry.failure = innermost(e.activityTaskFailedEventAttributes.failure);
    } else if (e.activityTaskTimedOutEventAttributes) {
      entry.last = 'timed out';
      entry.failure = innermost(e.activityTaskTimedOutEventAttributes.failure);
    } else entry.last = 'cancelled';
  }
  // A retried activity's Started event is written only when it ends: the run's description has its tries so far.
  for (const p of pending) {
    const entry = p.activityId ? byActivityId.get(p.activityId) : undefined;
    if (!entry) continue;
    entry.attempts = Math.max(entry.attempts, p.attempt ?? 1);
    if (p.lastStartedTime && entry.last === 'scheduled') entry.last = 'running';
    const failure = innermost(p.lastFailure);
    if (failure) entry.failure = failure;
  }

  const groups = new Map<string, ActivitySummary>();
  for (const s of order) {
    const g = groups.get(s.key);
    const attempts = s.attempts || (s.last === 'scheduled' ? 0 : 1);
    if (!g) {
      groups.set(s.key, {
        name: s.name,
        where: s.where,
        calls: 1,
        attempts,
        maxAttemptsPerCall: s.maxAttempts,
        timeouts: s.timeouts,
        last: s.last,
        ...(s.failure ? { lastFailure: s.failure } : {}),
      });
      continue;
    }
    g.calls += 1;
    g.attempts += attempts;
    g.timeouts = s.timeouts;
    g.last = s.last;
    if (s.failure) g.lastFailure = s.failure;
  }
  return [...groups.values()];
}

const finished = new Map<string, ActivitySummary[]>();

/**
 * The activities of a job's run; 'gone' when Temporal no longer has the run (its retention ended), null
 * when Temporal cannot say right now. A finished run's summary
 * never changes, so it is kept (a bounded number of them) rather than read again on every refresh.
 */
export async function runActivities(client: Client, workflowId: string, runId: string | null): Promise<ActivitySummary[] | 'gone' | null> {
  const key = `${workflowId}/${runId ?? ''}`;
  const kept = finished.get(key);
  if (kept) return kept;
  try {
    const handle = client.workflow.getHandle(workflowId, runId ?? undefined);
    const description = await handle.describe();
    const history = await handle.fetchHistory();
    const summary = summariseActivities(history.events ?? [], description.raw.pendingActivities ?? []);
    if (description.status.name !== 'RUNNING') {
      if (finished.size >= 500) finished.delete(finished.keys().next().value!);
      finished.set(key, summary);
    }
    return summary;
  } catch (err) {
    return err instanceof WorkflowNotFoundError ? 'gone' : null;
  }
}
