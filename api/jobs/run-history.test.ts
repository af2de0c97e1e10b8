import { describe, expect, it } from '@jest/globals';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { summariseActivities } from './run-history.ts';

type Event = temporal.api.history.v1.IHistoryEvent;
// History numbers are protobuf Longs; the summary reads them with Number(), as it does a decoded history's.
type Long = NonNullable<Event['eventId']>;
const long = (n: number) => n as unknown as Long;
const d = (seconds: number) => ({ seconds: long(seconds), nanos: 0 });
let nextId = 1;
function scheduled(type: string, opts: { action?: string; maxAttempts?: number; startToClose?: number; heartbeat?: number } = {}): Event {
  return {
    eventId: long(nextId++),
    activityTaskScheduledEventAttributes: {
      activityId: String(nextId),
      activityType: { name: type },
      input: opts.action ? { payloads: [defaultPayloadConverter.toPayload({ v: 1, action: opts.action, params: { secret: 'never read' } })!] } : null,
      startToCloseTimeout: d(opts.startToClose ?? 30),
      ...(opts.heartbeat ? { heartbeatTimeout: d(opts.heartbeat) } : {}),
      retryPolicy: { maximumAttempts: opts.maxAttempts ?? 1 },
    },
  };
}
const started = (s: Event, attempt = 1): Event => ({ eventId: long(nextId++), activityTaskStartedEventAttributes: { scheduledEventId: s.eventId, attempt } });
const completed = (s: Event): Event => ({ eventId: long(nextId++), activityTaskCompletedEventAttributes: { scheduledEventId: s.eventId } });
const timedOut = (s: Event, message: string): Event => ({
  eventId: long(nextId++),
  activityTaskTimedOutEventAttributes: { scheduledEventId: s.eventId, failure: { message: 'activity timeout', cause: { message } } },
});

describe('summarising a run’s activities', () => {
  it('groups node steps by their action, counting each fresh-envelope call and the last outcome', () => {
    const first = scheduled('runNodeJob', { action: 'openclaw.deploy', startToClose: 900, heartbeat: 20 });
    const second = scheduled('runNodeJob', { action: 'openclaw.deploy', startToClose: 900, heartbeat: 20 });
    const summary = summariseActivities([first, started(first), timedOut(first, 'heartbeat timeout'), second, started(second), completed(second)]);
    expect(summary).toEqual([
      {
        name: 'openclaw.deploy on the node',
        where: 'node',
        calls: 2,
        attempts: 2,
        maxAttemptsPerCall: 1,
        last: 'completed',
        lastFailure: 'heartbeat timeout',
        timeouts: { startToClose: 900, heartbeat: 20, scheduleToStart: undefined, scheduleToClose: undefined },
      },
    ]);
    expect(JSON.stringify(summary)).not.toContain('never read');
  });

  it('counts Temporal’s own retries, and the tries of an activity still pending from the run’s description', () => {
    const update = scheduled('updateJob', { maxAttempts: 20 });
    const sign = scheduled('signNodeJob', { maxAttempts: 5 });
    const summary = summariseActivities(
      [update, started(update, 3), completed(update), sign],
      [{ activityId: sign.activityTaskScheduledEventAttributes!.activityId, attempt: 4, lastStartedTime: { seconds: long(1) }, lastFailure: { message: 'database unreachable' } }],
    );
    expect(summary).toEqual([
      expect.objectContaining({ name: 'updateJob', where: 'control plane', calls: 1, attempts: 3, maxAttemptsPerCall: 20, last: 'completed' }),
      expect.objectContaining({ name: 'signNodeJob', calls: 1, attempts: 4, maxAttemptsPerCall: 5, last: 'running', lastFailure: 'database unreachable' }),
    ]);
  });

  it('shows an activity not yet picked up as scheduled, with no attempt', () => {
    const waiting = scheduled('runNodeJob', { action: 'openclaw.preflight' });
    expect(summariseActivities([waiting])).toEqual([expect.objectContaining({ name: 'openclaw.preflight on the node', calls: 1, attempts: 0, last: 'scheduled' })]);
  });
});
