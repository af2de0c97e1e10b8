// A schedule's times computed from its row: cron fields and their errors, time zones (daylight saving
// included), jitter, and the count of a backfill range.
import { describe, expect, it } from '@jest/globals';
import { localTime, nominalTimeOf, normalizeCron, onSpec, parseCron, timesBetween } from './calendar.ts';
import { ScheduleSpecInput } from './model.ts';

const cron = (expression: string) => ({ kind: 'cron' as const, expression });
const every = (everySeconds: number, offsetSeconds = 0) => ({ kind: 'interval' as const, everySeconds, offsetSeconds });

describe('a schedule’s calendar', () => {
  it('parses five numeric fields with ranges, steps and lists, and names the field it refuses', () => {
    expect([...parseCron('*/15 1-3 1 * 1,3')[0]!]).toEqual([0, 15, 30, 45]);
    expect([...parseCron('*/15 1-3 1 * 1,3')[1]!]).toEqual([1, 2, 3]);
    expect(() => parseCron('0 2 * *')).toThrow('five fields');
    expect(() => parseCron('0 24 * * *')).toThrow('the hour field allows 0–23');
    expect(() => parseCron('0 2 * * MON')).toThrow('the day of week field "MON"');
  });

  it('writes month and weekday names and the @daily family as numbers, and leaves the rest for parseCron to judge', () => {
    expect(normalizeCron('30 6 * jan-Mar MON-fri')).toBe('30 6 * 1-3 1-5');
    expect(normalizeCron('  0   9 1 DEC sun,SAT ')).toBe('0 9 1 12 0,6');
    expect(normalizeCron('@daily')).toBe('0 0 * * *');
    expect(normalizeCron('@WEEKLY')).toBe('0 0 * * 0');
    expect(normalizeCron('@hourly')).toBe('0 * * * *');
    expect(normalizeCron('0 2 * * FOO')).toBe('0 2 * * FOO');
    expect(() => parseCron(normalizeCron('0 2 * * FOO'))).toThrow('the day of week field "FOO"');
    expect(() => parseCron(normalizeCron('@fortnightly'))).toThrow('five fields');
  });

  it('stores what the API is given in numbers, so Temporal and the calendar read one string', () => {
    expect(ScheduleSpecInput.parse({ kind: 'cron', expression: '0 3 * * mon-fri' })).toEqual({ kind: 'cron', expression: '0 3 * * 1-5' });
    const refused = ScheduleSpecInput.safeParse({ kind: 'cron', expression: '0 3 * * someday' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toMatch(/^spec.expression is not valid: the day of week field/);
  });

  it('reads a cron expression in its time zone, across a daylight-saving change', () => {
    // 02:00 in Berlin is 01:00 UTC in winter and 00:00 UTC in summer.
    expect(onSpec(cron('0 2 * * *'), 'Europe/Berlin', new Date('2026-12-01T01:00:00Z'))).toBe(true);
    expect(onSpec(cron('0 2 * * *'), 'Europe/Berlin', new Date('2026-07-01T00:00:00Z'))).toBe(true);
    expect(onSpec(cron('0 2 * * *'), 'Europe/Berlin', new Date('2026-12-01T02:00:00Z'))).toBe(false);
    expect(localTime(new Date('2026-12-01T01:00:00Z'), 'Europe/Berlin')).toBe('2026-12-01 02:00:00 Europe/Berlin');
  });

  it('finds the nominal time a jittered start comes from, and nothing for a time off the calendar', () => {
    expect(nominalTimeOf(every(60), 'UTC', 10, new Date('2026-12-01T00:05:07Z'))).toEqual(new Date('2026-12-01T00:05:00Z'));
    expect(nominalTimeOf(every(60), 'UTC', 5, new Date('2026-12-01T00:05:07Z'))).toBeNull();
    expect(nominalTimeOf(cron('0 2 * * *'), 'Europe/Berlin', 0, new Date('2026-12-01T01:00:00Z'))).toEqual(new Date('2026-12-01T01:00:00Z'));
    expect(nominalTimeOf(cron('0 2 * * *'), 'Europe/Berlin', 0, new Date('2026-12-01T01:00:01Z'))).toBeNull();
    expect(nominalTimeOf(cron('0 2 * * *'), 'Europe/Berlin', 120, new Date('2026-12-01T01:01:30Z'))).toEqual(new Date('2026-12-01T01:00:00Z'));
  });

  it('lists a range’s times, stopping one past the limit', () => {
    const day = (d: string) => new Date(`2026-12-${d}T00:00:00Z`);
    expect(timesBetween(cron('0 2 * * *'), 'Europe/Berlin', day('01'), day('04'), 50)).toHaveLength(3);
    expect(timesBetween(every(3600), 'UTC', day('01'), day('04'), 50)).toHaveLength(51);
    // A calendar that never matches (30 February) looks at every minute of a month quickly.
    const started = performance.now();
    expect(timesBetween(cron('0 0 30 2 *'), 'America/New_York', day('01'), new Date('2027-01-01T00:00:00Z'), 50)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
