// A schedule's times, computed from its row alone (never from Temporal's copy, which a raw Temporal client
// could edit): whether a time is one the schedule produces, and how many a backfill range holds. Cron
// expressions have five fields (minute hour day-of-month month day-of-week, Sunday 0) with `*`, ranges,
// steps and lists, read in the row's IANA time zone; month and weekday names and the @daily family are
// written as numbers when saved (normalizeCron), so Temporal and this file read the very same string; day of month and day of week must BOTH match,
// as Temporal reads them (its docs: no "or" special case), so both sides agree on every time.
import type { ScheduleSpec } from '../../db/schema.ts';

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
] as const;

export type CronFields = Set<number>[];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * The expression with its macro expanded and its month and weekday names (any case) as numbers, fields
 * separated by one space: what is stored and sent to Temporal. Anything else is left for parseCron to judge.
 */
export function normalizeCron(expression: string): string {
  const trimmed = expression.trim();
  const macro = MACROS[trimmed.toLowerCase()];
  if (macro) return macro;
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) return trimmed;
  const named = (part: string, names: string[], first: number) =>
    part.replace(/[a-z]{3}/gi, (n) => (names.includes(n.toUpperCase()) ? String(names.indexOf(n.toUpperCase()) + first) : n));
  return [parts[0], parts[1], parts[2], named(parts[3]!, MONTHS, 1), named(parts[4]!, DAYS, 0)].join(' ');
}

/** The expression's allowed values per field; throws an Error whose message names the field. */
export function parseCron(expression: string): CronFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error('a cron expression has five fields: minute hour day-of-month month day-of-week');
  return parts.map((part, i) => {
    const f = FIELDS[i]!;
    const values = new Set<number>();
    for (const item of part.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      if (!m) throw new Error(`the ${f.name} field "${part}" is not a number, range, list or step`);
      const start = m[1] === '*' ? f.min : Number(m[2]);
      const end = m[1] === '*' ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : start;
      const step = m[4] !== undefined ? Number(m[4]) : 1;
      if (start < f.min || end > f.max || start > end) throw new Error(`the ${f.name} field allows ${f.min}–${f.max}`);
      if (step < 1) throw new Error(`the ${f.name} field's step must be at least 1`);
      for (let v = start; v <= end; v += step) values.add(v);
    }
    return values;
  });
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const formatters = new Map<string, Intl.DateTimeFormat>();
/** One formatter per time zone (making one costs far more than using it; a backfill range asks per minute). */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock of `at` in `timeZone`. */
export function wallClock(at: Date, timeZone: string) {
  const parts = formatter(timeZone).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    second: Number(get('second')),
    weekday: WEEKDAYS.indexOf(get('weekday')),
  };
}

/** `at` as people of the time zone read it: "2026-12-01 02:00:00 Europe/Berlin". */
export function localTime(at: Date, timeZone: string): string {
  const c = wallClock(at, timeZone);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${c.year}-${p(c.month)}-${p(c.day)} ${p(c.hour)}:${p(c.minute)}:${p(c.second)} ${timeZone}`;
}

export const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

function cronMatches(fields: CronFields, at: Date, timeZone: string): boolean {
  if (at.getUTCMilliseconds() !== 0) return false;
  const c = wallClock(at, timeZone);
  return c.second === 0 && [c.minute, c.hour, c.day, c.month, c.weekday].every((v, i) => fields[i]!.has(v));
}

/** Whether `at` is one of the spec's times (before jitter). */
export function onSpec(spec: ScheduleSpec, timeZone: string, at: Date): boolean {
  if (spec.kind === 'interval') return (at.getTime() - spec.offsetSeconds * 1000) % (spec.everySeconds * 1000) === 0;
  return cronMatches(parseCron(spec.expression), at, timeZone);
}

/**
 * The spec's nominal time that `scheduledAt` (a time Temporal reports, jitter added) comes from, if any:
 * one in [scheduledAt − jitter, scheduledAt], on a whole second (Temporal's unit).
 */
export function nominalTimeOf(spec: ScheduleSpec, timeZone: string, jitterSeconds: number, scheduledAt: Date): Date | null {
  const t = scheduledAt.getTime();
  if (spec.kind === 'interval') {
    const every = spec.everySeconds * 1000;
    const offset = spec.offsetSeconds * 1000;
    const nominal = Math.floor((t - offset) / every) * every + offset;
    return t - nominal <= jitterSeconds * 1000 ? new Date(nominal) : null;
  }
  const fields = parseCron(spec.expression);
  // Cron times fall on whole minutes: look at each minute within the jitter.
  const lastMinute = Math.floor(t / 60_000) * 60_000;
  for (let m = lastMinute; m >= t - jitterSeconds * 1000; m -= 60_000) if (cronMatches(fields, new Date(m), timeZone)) return new Date(m);
  return null;
}

/** The spec's times in [start, end], at most `limit` + 1 of them (so a caller can tell "too many"). */
export function timesBetween(spec: ScheduleSpec, timeZone: string, start: Date, end: Date, limit: number): Date[] {
  const out: Date[] = [];
  if (spec.kind === 'interval') {
    const every = spec.everySeconds * 1000;
    const offset = spec.offsetSeconds * 1000;
    for (let n = Math.ceil((start.getTime() - offset) / every); n * every + offset <= end.getTime() && out.length <= limit; n++) out.push(new Date(n * every + offset));
    return out;
  }
  const fields = parseCron(spec.expression);
  for (let m = Math.ceil(start.getTime() / 60_000) * 60_000; m <= end.getTime() && out.length <= limit; m += 60_000)
    if (cronMatches(fields, new Date(m), timeZone)) out.push(new Date(m));
  return out;
}
