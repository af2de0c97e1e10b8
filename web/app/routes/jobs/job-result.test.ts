import { describe, expect, it } from '@jest/globals';
import { stepDuration } from './job-result.tsx';

describe('a run step’s duration', () => {
  it('reads in seconds, minutes or hours, and says nothing for a step still going', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, 0) + s * 1000).toISOString();
    expect(stepDuration({ startedAt: at(0), endedAt: at(1.2) })).toBe('1.2 s');
    expect(stepDuration({ startedAt: at(0), endedAt: at(184) })).toBe('3 min 4 s');
    expect(stepDuration({ startedAt: at(0), endedAt: at(2 * 3600 + 5 * 60) })).toBe('2 h 5 min');
    expect(stepDuration({ startedAt: at(0), endedAt: '' })).toBe('—');
    expect(stepDuration({ startedAt: at(10), endedAt: at(0) })).toBe('—');
  });
});
