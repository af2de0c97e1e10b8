// Time left and durations as the console words them (the Approvals inbox, the dashboard).
import { describe, expect, it } from '@jest/globals';
import { formatSeconds, timeLeft } from './dates.ts';

describe('timeLeft', () => {
  it('rounds up to whole minutes, carrying 60 minutes into the hour', () => {
    expect(timeLeft(null)).toBe('—');
    expect(timeLeft(0)).toBe('expired');
    expect(timeLeft(1)).toBe('1 min');
    expect(timeLeft(3599)).toBe('1 h 0 min');
    expect(timeLeft(7199)).toBe('2 h 0 min'); // once "1 h 60 min"
    expect(timeLeft(7201)).toBe('2 h 1 min');
  });
});

describe('formatSeconds', () => {
  it('says seconds, minutes and seconds, or hours and minutes', () => {
    expect(formatSeconds(45.25)).toBe('45.3 s');
    expect(formatSeconds(125)).toBe('2 min 5 s');
    expect(formatSeconds(120)).toBe('2 min');
    expect(formatSeconds(11_400)).toBe('3 h 10 min');
    expect(formatSeconds(7200)).toBe('2 h');
  });
});
