// What the Schedules list says of each schedule at a glance: when it runs next (from its own calendar, the
// same spec Temporal was given: no call to Temporal per row), how its last run went, and whether it is
// failing (its last run did not complete, or a failure paused it).
import { desc, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { jobs, type JobState } from '../../db/schema.ts';
import { timesBetween } from './calendar.ts';
import type { ScheduleRow } from './temporal-schedule.ts';

const HORIZON_MS = 366 * 86_400_000;
export const UNSUCCESSFUL: JobState[] = ['failed', 'expired', 'rejected', 'cancelled'];

export interface Glance {
  nextRunAt: string | null;
  lastRun: { jobId: string; state: JobState; at: string } | null;
  failing: boolean;
}

/** The next time at or after `now`, within a year; none while paused or after its end. */
function nextRunOf(s: ScheduleRow, now: Date): string | null {
  if (s.paused) return null;
  const start = s.startAt && s.startAt > now ? s.startAt : now;
  const end = new Date(Math.min(now.getTime() + HORIZON_MS, s.endAt?.getTime() ?? Infinity));
  if (end < start) return null;
  return timesBetween(s.spec, s.timeZone, start, end, 0)[0]?.toISOString() ?? null;
}

export async function glanceAt(db: Executor, rows: ScheduleRow[], now = new Date()): Promise<Map<string, Glance>> {
  const ids = rows.map((s) => s.id);
  const scheduleId = sql<string>`${jobs.params}->>'scheduleId'`;
  const last = ids.length
    ? await db
        .selectDistinctOn([scheduleId], { scheduleId, id: jobs.id, state: jobs.state, createdAt: jobs.createdAt })
        .from(jobs)
        .where(inArray(scheduleId, ids))
        .orderBy(scheduleId, desc(jobs.createdAt))
    : [];
  const byId = new Map(last.map((j) => [j.scheduleId, j]));
  return new Map(
    rows.map((s) => {
      const j = byId.get(s.id);
      const lastRun = j ? { jobId: j.id, state: j.state, at: j.createdAt.toISOString() } : null;
      const failing = (lastRun !== null && UNSUCCESSFUL.includes(lastRun.state)) || (s.paused && s.note.startsWith('paused after run'));
      return [s.id, { nextRunAt: nextRunOf(s, now), lastRun, failing }];
    }),
  );
}
