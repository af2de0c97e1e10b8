import { describe, expect, it } from '@jest/globals';
import { renderToStaticMarkup } from 'react-dom/server';
import { createElement } from 'react';
import type { JobProgress } from '../../../api/jobs/step-progress.ts';
import { progressText, StepProgressBar } from './step-progress.tsx';

const base = { where: 'node', reportedAt: null } as const;

describe('a step’s progress', () => {
  it('reads as an amount of a total with its share, or an amount so far when the total is unknown', () => {
    expect(progressText({ done: 3, total: 12, unit: 'steps', fraction: 0.25 })).toBe('3 of 12 steps (25 %)');
    expect(progressText({ done: 12_500_000, total: 140_000_000, unit: 'bytes', fraction: 12.5 / 140 })).toBe('12.5 MB of 140.0 MB (8 %)');
    expect(progressText({ done: 40, total: 120, unit: 'seconds', fraction: 1 / 3 })).toBe('40 s of 120 s (33 %)');
    expect(progressText({ done: 1, unit: 'files', fraction: null })).toBe('1 file so far');
    expect(progressText({ done: 250, unit: 'files', fraction: null })).toBe('250 files so far');
    expect(progressText({ fraction: null })).toBe('under way');
  });

  it('is a named <progress>: with a value when the total is known, without one (indeterminate) when not', () => {
    const determinate: JobProgress = { ...base, step: 'building the bundle image', message: 'sending the build context', done: 50, total: 200, unit: 'bytes', fraction: 0.25 };
    const html = renderToStaticMarkup(createElement(StepProgressBar, { progress: determinate }));
    expect(html).toMatch(/<progress aria-labelledby="[^"]+" aria-valuetext="50 B of 200 B \(25 %\)" value="50" max="200">/);
    expect(html).toContain('<strong data-testid="progress-step">building the bundle image</strong>');
    const indeterminate: JobProgress = { ...base, step: 'listing Drive files', done: 250, unit: 'files', fraction: null };
    const open = renderToStaticMarkup(createElement(StepProgressBar, { progress: indeterminate }));
    expect(open).toMatch(/<progress aria-labelledby="[^"]+" aria-valuetext="250 files so far">/);
    expect(open).not.toMatch(/value=/);
  });
});
