// A report's period: whole days, from and to inclusive, read in the organization's time zone (a customer in
// Berlin reads "1 to 30 November" as Berlin's days). By default the last 30 days, today included.
import { z } from 'zod';
import { InvalidInputError, parseInput } from '../errors.ts';
import { wallClock } from '../schedules/calendar.ts';

/** The longest period one report covers. */
export const MAX_PERIOD_DAYS = 366;
export const DEFAULT_PERIOD_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;
const isDate = (field: string) =>
  z
    .string(`${field} must be a date (YYYY-MM-DD)`)
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${field} must be a date (YYYY-MM-DD)`)
    // Years the time zone database and ISO dates handle alike (a day after 9999 has no YYYY-MM-DD).
    .refine((v) => v >= '1970-01-01' && v <= '2999-12-31', `${field} must be between 1970-01-01 and 2999-12-31`)
    .refine((v) => !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v), `${field} must be a real date`);

export const PeriodQuery = z.object({
  from: isDate('from').optional().describe('First day (YYYY-MM-DD) in the organization’s time zone; default 29 days before `to`'),
  to: isDate('to').optional().describe('Last day (YYYY-MM-DD), inclusive, in the organization’s time zone; default today'),
});

export interface Period {
  from: string;
  to: string;
  timeZone: string;
  /** The first instant of `from` in the zone. */
  start: Date;
  /** The first instant after `to` in the zone. */
  end: Date;
}

/** The calendar day (YYYY-MM-DD) `at` falls on in the zone. */
export function dayIn(at: Date, timeZone: string): string {
  const c = wallClock(at, timeZone);
  return `${String(c.year).padStart(4, '0')}-${String(c.month).padStart(2, '0')}-${String(c.day).padStart(2, '0')}`;
}

/** A day `days` after (or before) `day`, as a calendar date. */
export const addDays = (day: string, days: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/** The first instant of the calendar day in the zone (midnight, or the first moment after a skipped one). */
export function startOfDay(day: string, timeZone: string): Date {
  const target = Date.parse(`${day}T00:00:00Z`);
  // Move a guess by the zone's offset at it until its wall clock reads the day's midnight (two rounds settle
  // every real zone's offset change; a midnight that does not exist resolves to the hour after).
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const c = wallClock(new Date(guess), timeZone);
    const wall = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second);
    if (wall === target) break;
    guess += target - wall;
  }
  return new Date(guess);
}

/** The period a query asks for; `from` after `to`, or too long a period, is refused naming the field. */
export function periodOf(query: unknown, timeZone: string, now: Date): Period {
  const q = parseInput(PeriodQuery, query ?? {});
  const to = q.to ?? dayIn(now, timeZone);
  const from = q.from ?? addDays(to, -(DEFAULT_PERIOD_DAYS - 1));
  if (from > to) throw new InvalidInputError({ from: 'from must be on or before to' });
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days > MAX_PERIOD_DAYS) throw new InvalidInputError({ from: `the period must be at most ${MAX_PERIOD_DAYS} days` });
  return { from, to, timeZone, start: startOfDay(from, timeZone), end: startOfDay(addDays(to, 1), timeZone) };
}
