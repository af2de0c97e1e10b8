// One sample's segments from its history: the workflow task that accepted the Update (not an earlier
// one), the activity of the named type scheduled after it, and its server-side start.
import { expect, test } from '@jest/globals';
import type { temporal } from '@temporalio/proto';
import { segmentsOf, tailProfile, type Segments } from './segments.ts';

type Event = temporal.api.history.v1.IHistoryEvent;
const T0 = 1_800_000_000_000;
const at = (ms: number) => ({ seconds: Math.floor((T0 + ms) / 1000), nanos: ((T0 + ms) % 1000) * 1e6 });
/** An event id as the proto types it (a Long; segmentsOf compares ids by their decimal text). */
const id = (n: number) => n as unknown as NonNullable<temporal.api.history.v1.IActivityTaskStartedEventAttributes['scheduledEventId']>;
const ev = (eventId: number, ms: number, attrs: Partial<Event>): Event => ({ eventId, eventTime: at(ms), ...attrs }) as Event;

const history: Event[] = [
  ev(1, -500, { workflowExecutionStartedEventAttributes: {} }),
  ev(2, -490, { workflowTaskStartedEventAttributes: {} }),
  ev(3, -480, { workflowTaskCompletedEventAttributes: {} }),
  ev(4, -470, { activityTaskScheduledEventAttributes: { activityType: { name: 'runNodeJob' } } }),
  ev(5, 4, { workflowTaskScheduledEventAttributes: {} }),
  ev(6, 5, { workflowTaskStartedEventAttributes: {} }),
  ev(7, 30, { workflowTaskCompletedEventAttributes: {} }),
  ev(8, 30, { workflowExecutionUpdateAcceptedEventAttributes: {} }),
  ev(9, 30.5, { activityTaskScheduledEventAttributes: { activityType: { name: 'other' } } }),
  ev(10, 31, { activityTaskScheduledEventAttributes: { activityType: { name: 'runNodeJob' } } }),
  ev(11, 45, { activityTaskStartedEventAttributes: { scheduledEventId: id(4) } }),
  ev(12, 52, { activityTaskStartedEventAttributes: { scheduledEventId: id(10) } }),
];

test('times each segment from the request to the first line, from the Update’s workflow task on', () => {
  const s = segmentsOf(history, 'runNodeJob', T0, T0 + 60);
  expect(s).toEqual({
    'request → workflow task started': 5,
    'workflow task (with the Update)': 25,
    'task completed → activity scheduled': 1,
    'scheduled → started (server matching)': 21,
    'started → first line (delivery)': 8,
  });
});

test('a history without the Update or without the activity’s start gives nothing', () => {
  expect(
    segmentsOf(
      history.filter((e) => !e.workflowExecutionUpdateAcceptedEventAttributes),
      'runNodeJob',
      T0,
      T0 + 60,
    ),
  ).toBeUndefined();
  expect(segmentsOf(history.slice(0, -1), 'runNodeJob', T0, T0 + 60)).toBeUndefined();
});

test('the tail profile sets the slowest 5 % (by whole time) beside the rest, segment by segment', () => {
  const sample = (matching: number, task: number): Segments => ({
    'request → workflow task started': 5,
    'workflow task (with the Update)': task,
    'task completed → activity scheduled': 0,
    'scheduled → started (server matching)': matching,
    'started → first line (delivery)': 3,
  });
  // 38 ordinary samples and two slow ones, slow in different segments: the slowest 5 % are those two.
  const samples = [...Array.from({ length: 38 }, () => sample(20, 25)), sample(120, 25), sample(20, 105)];
  const byName = Object.fromEntries(tailProfile(samples).map((t) => [t.segment, t]));
  expect(byName['scheduled → started (server matching)']).toEqual({ segment: 'scheduled → started (server matching)', slowest: 70, rest: 20 });
  expect(byName['workflow task (with the Update)']!.slowest).toBe(65);
  expect(byName['workflow task (with the Update)']!.rest).toBe(25);
  expect(byName['request → workflow task started']).toMatchObject({ slowest: 5, rest: 5 });
});
