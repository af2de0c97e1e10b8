// How a schedule's calendar and state read in the console.
import type { ScheduleSummary } from '../../../../api/schedules/model.ts';

export function specText(s: Pick<ScheduleSummary, 'spec' | 'timeZone'>): string {
  if (s.spec.kind === 'cron') return `cron ${s.spec.expression} (${s.timeZone})`;
  const every = s.spec.everySeconds;
  const unit = every % 86_400 === 0 ? [every / 86_400, 'day'] : every % 3600 === 0 ? [every / 3600, 'hour'] : every % 60 === 0 ? [every / 60, 'minute'] : [every, 'second'];
  return `every ${unit[0] === 1 ? '' : `${unit[0]} `}${unit[1]}${unit[0] === 1 ? '' : 's'}${s.spec.offsetSeconds ? ` (+${s.spec.offsetSeconds} s)` : ''}`;
}

/** "paused", "failing" (paused by a failed run), or "active". */
export const scheduleState = (s: Pick<ScheduleSummary, 'paused' | 'note'>) => (!s.paused ? 'active' : s.note.startsWith('paused after run') ? 'failing' : 'paused');
