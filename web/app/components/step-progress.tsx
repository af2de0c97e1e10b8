// A running step's progress bar (ADR 0022): the native <progress>, determinate when the step knows its
// total, indeterminate (no value) when it does not (a Drive listing's pages), named by the step and with
// the same words in text beside it, so a screen reader and a reader without the bar get both.
import { useId } from 'react';
import type { JobProgress } from '../../../api/jobs/step-progress.ts';

const UNIT_WORDS: Record<string, [one: string, many: string]> = {
  files: ['file', 'files'],
  pages: ['page', 'pages'],
  steps: ['step', 'steps'],
  checks: ['check', 'checks'],
};

function amount(n: number, unit: JobProgress['unit']): string {
  if (unit === 'bytes') return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${Math.round(n / 1e3)} kB` : `${n} B`;
  if (unit === 'seconds') return `${Math.round(n)} s`;
  const words = unit ? UNIT_WORDS[unit] : undefined;
  return words ? `${n} ${n === 1 ? words[0] : words[1]}` : String(n);
}

/** "3 of 12 steps (25 %)", "12 MB of 140 MB (8 %)", "40 files so far", or "under way" when it says no amount. */
export function progressText(p: Pick<JobProgress, 'done' | 'total' | 'unit' | 'fraction'>): string {
  if (p.total !== undefined && p.fraction !== null) {
    const total = amount(p.total, p.unit);
    const done = p.unit === 'bytes' || p.unit === 'seconds' ? amount(p.done ?? 0, p.unit) : String(p.done ?? 0);
    return `${done} of ${total} (${Math.floor(p.fraction * 100)} %)`;
  }
  return p.done !== undefined ? `${amount(p.done, p.unit)} so far` : 'under way';
}

export function StepProgressBar({ progress }: { progress: JobProgress }) {
  const id = useId();
  const text = progressText(progress);
  const determinate = progress.total !== undefined && progress.fraction !== null;
  return (
    <div className="step-progress" data-testid="step-progress" data-determinate={determinate}>
      <div id={id}>
        <strong data-testid="progress-step">{progress.step}</strong>
        {progress.message && <span className="muted">: {progress.message}</span>}
      </div>
      <progress aria-labelledby={id} aria-valuetext={text} {...(determinate ? { value: Math.min(progress.done ?? 0, progress.total!), max: progress.total } : {})}>
        {text}
      </progress>{' '}
      <span data-testid="progress-text">{text}</span>
    </div>
  );
}
