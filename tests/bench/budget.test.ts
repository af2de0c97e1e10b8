// The bound of `npm run bench`: the suites' shares fit the 20 minutes, each suite may use what the ones
// before it left, and the last one is stopped (grace included) by the deadline.
import { expect, test } from '@jest/globals';
import { allowedMs, STOP_GRACE_MS, SUITES, TOTAL_MINUTES } from './budget.ts';

const names = Object.keys(SUITES);
const minutes = (name: string) => SUITES[name]!.minutes;
const MIN = 60_000;

test('the shares of all suites add up to at most the total', () => {
  expect(names.reduce((sum, n) => sum + minutes(n), 0)).toBeLessThanOrEqual(TOTAL_MINUTES);
  for (const n of names) expect(minutes(n)).toBeGreaterThan(STOP_GRACE_MS / MIN);
});

test('each suite gets its share when the ones before it took theirs, and the last ends by the deadline', () => {
  const start = 0;
  const deadline = start + TOTAL_MINUTES * MIN;
  let now = start;
  for (const [i, n] of names.entries()) {
    const ms = allowedMs(names, i, now, deadline, minutes);
    // It may run its share (the total's slack, if the shares leave some, goes to the first).
    expect(ms + STOP_GRACE_MS).toBeGreaterThanOrEqual(minutes(n) * MIN);
    // Asked to stop at `ms` and killed a grace later: still in time for the shares after it.
    now += ms + STOP_GRACE_MS;
    const later = names.slice(i + 1).reduce((sum, m) => sum + minutes(m) * MIN, 0);
    expect(now).toBeLessThanOrEqual(deadline - later);
  }
  expect(now).toBeLessThanOrEqual(deadline);
});

test('what a suite leaves unused goes to the ones after it', () => {
  const deadline = TOTAL_MINUTES * MIN;
  const first = allowedMs(names, 0, 0, deadline, minutes);
  // The first suite ends after one minute of its share: the second may take its own share and the rest.
  const second = allowedMs(names, 1, MIN, deadline, minutes);
  expect(second + STOP_GRACE_MS).toBe(minutes(names[1]!) * MIN + (first + STOP_GRACE_MS - MIN));
});

test('a suite that starts past its turn is not run', () => {
  const deadline = TOTAL_MINUTES * MIN;
  const last = names.length - 1;
  expect(allowedMs(names, last, deadline - STOP_GRACE_MS, deadline, minutes)).toBeLessThanOrEqual(0);
});
