import { describe, expect, it } from '@jest/globals';
import { ago } from './live.ts';

describe('ago', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  it('says how long ago, in the largest sensible unit', () => {
    expect(ago(null, now)).toBe('never');
    expect(ago('2026-11-24T11:59:48Z', now)).toBe('12 s ago');
    expect(ago('2026-11-24T11:57:00Z', now)).toBe('3 min ago');
    expect(ago('2026-11-24T10:00:00Z', now)).toBe('2 h ago');
    expect(ago('2026-11-19T12:00:00Z', now)).toBe('5 d ago');
    expect(ago('2026-11-24T12:00:05Z', now)).toBe('0 s ago'); // a clock slightly ahead is not "in the future"
  });
});
