import { describe, expect, it } from '@jest/globals';
import { PROGRESS_LIMITS, progressFraction, readStepProgress, StepProgress } from './step-progress.ts';

describe('readStepProgress', () => {
  it('keeps a well-formed report as it is', () => {
    const p = { step: 'building the bundle image', message: 'sending the build context', done: 1024, total: 4096, unit: 'bytes' };
    expect(readStepProgress(p)).toEqual(p);
    expect(readStepProgress({ step: 'listing Drive files', message: 'page 2', done: 200, unit: 'files' })).toEqual({
      step: 'listing Drive files',
      message: 'page 2',
      done: 200,
      unit: 'files',
    });
  });

  it('clamps numbers: done between 0 and total, a total of 0 or less unknown, nothing infinite', () => {
    expect(readStepProgress({ step: 's', done: 150, total: 100 })).toEqual({ step: 's', done: 100, total: 100 });
    expect(readStepProgress({ step: 's', done: -5, total: 10 })).toEqual({ step: 's', done: 0, total: 10 });
    expect(readStepProgress({ step: 's', done: 3, total: 0 })).toEqual({ step: 's', done: 3 });
    expect(readStepProgress({ step: 's', done: 3, total: -1 })).toEqual({ step: 's', done: 3 });
    expect(readStepProgress({ step: 's', done: Number.NaN, total: Number.POSITIVE_INFINITY })).toEqual({ step: 's' });
    expect(readStepProgress({ step: 's', done: 1e300 })).toEqual({ step: 's', done: PROGRESS_LIMITS.number });
    expect(readStepProgress({ step: 's', done: '5', total: '10' })).toEqual({ step: 's' });
  });

  it('caps lengths and drops hidden characters from what an agent says', () => {
    const long = readStepProgress({ step: 'x'.repeat(1000), message: 'y'.repeat(5000) })!;
    expect(long.step).toHaveLength(PROGRESS_LIMITS.step);
    expect(long.step.endsWith('…')).toBe(true);
    expect(long.message).toHaveLength(PROGRESS_LIMITS.message);
    // A text-direction override, a zero-width space, a control character and a line break.
    expect(readStepProgress({ step: 'invoice\u202Efdp.exe', message: 'a\u200bb\u0007c\nd' })).toEqual({ step: 'invoice fdp.exe', message: 'a b c d' });
    // Half a surrogate pair at the cut does not make the text invalid.
    const emoji = readStepProgress({ step: `${'x'.repeat(PROGRESS_LIMITS.step - 2)}😀😀` })!;
    expect(emoji.step.isWellFormed()).toBe(true);
    expect(StepProgress.safeParse(emoji).success).toBe(true);
  });

  it('leaves out an unknown unit and anything that is not progress', () => {
    expect(readStepProgress({ step: 's', unit: 'parsecs' })).toEqual({ step: 's' });
    expect(readStepProgress({ step: '   ' })).toBeNull();
    expect(readStepProgress({ state: 'running' })).toBeNull(); // another heartbeat's details
    expect(readStepProgress(null)).toBeNull();
    expect(readStepProgress(undefined)).toBeNull();
    expect(readStepProgress(42)).toBeNull();
    expect(readStepProgress([{ step: 's' }])).toBeNull();
  });

  it('reads an earlier agent’s bare message', () => {
    expect(readStepProgress('waiting for the gateway (3 s): /readyz')).toEqual({ step: 'working', message: 'waiting for the gateway (3 s): /readyz' });
    expect(readStepProgress('')).toBeNull();
  });
});

describe('progressFraction', () => {
  it('is the share done when the total is known, else null (an indeterminate bar)', () => {
    expect(progressFraction({ done: 25, total: 100 })).toBe(0.25);
    expect(progressFraction({ total: 100 })).toBe(0);
    expect(progressFraction({ done: 25 })).toBeNull();
  });
});
