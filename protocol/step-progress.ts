// How far a long step has come (ADR 0022): the bundle image build, a gateway's wait for health, a Drive
// listing's pages. The one shape both sides use: the agent (and the control plane's own activities) send
// it as their activity's heartbeat details; the web process reads the last one from the run's pending
// activity and shows it as a progress bar. What arrives is display text from a machine we do not trust
// for anything else, so `readStepProgress` takes whatever came, keeps what fits, and never throws.
import { z } from 'zod';

export const PROGRESS_UNITS = ['bytes', 'files', 'pages', 'steps', 'seconds', 'checks'] as const;
export type ProgressUnit = (typeof PROGRESS_UNITS)[number];

/** Long enough for "waiting for health: /healthz answered, /readyz not yet (attempt 12)"; a bar's label, not a log. */
export const PROGRESS_LIMITS = { step: 80, message: 200, number: 1e15 } as const;

export const StepProgress = z.object({
  /** What the step is doing, in a few words ("building the bundle image"). */
  step: z.string().min(1).max(PROGRESS_LIMITS.step),
  /** The detail of the moment ("sending the build context", "page 3: 250 files so far"). */
  message: z.string().max(PROGRESS_LIMITS.message).optional(),
  /** How much is done, in `unit`s; with `total`, a determinate bar. */
  done: z.number().min(0).max(PROGRESS_LIMITS.number).optional(),
  /** How much there is; absent when unknown (an indeterminate bar). Never below `done`. */
  total: z.number().positive().max(PROGRESS_LIMITS.number).optional(),
  unit: z.enum(PROGRESS_UNITS).optional(),
});
export type StepProgress = z.infer<typeof StepProgress>;

/**
 * How often a worker sends an activity's latest heartbeat at most (both workers' Worker options). The
 * SDK's own default holds one back for 80 % of the heartbeat timeout, or 30 s without one: too slow for a
 * bar a person watches. One small write per running step every two seconds is what this costs.
 */
export const PROGRESS_HEARTBEAT_THROTTLE = { maxHeartbeatThrottleInterval: '2 seconds', defaultHeartbeatThrottleInterval: '2 seconds' } as const;

/** Reports a step's progress; the activity turns it into a heartbeat. */
export type Progress = (progress: StepProgress) => void;

// Controls, format characters (text-direction overrides, zero-width and tag characters, the BOM, the soft
// hyphen) and line or paragraph separators: shown as nothing or as something else, so dropped.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+/gu;

/** One line of display text from an untrusted sender: well formed, nothing hidden, at most `max` characters. */
function line(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.toWellFormed().replace(HIDDEN, ' ').replace(/\s+/g, ' ').trim();
  if (!text) return undefined;
  // Cut by code units (what the schema counts); a pair of surrogates cut in half becomes U+FFFD.
  return text.length > max ? `${text.slice(0, max - 1).toWellFormed()}…` : text;
}

const amount = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? Math.min(Math.max(value, 0), PROGRESS_LIMITS.number) : undefined);

/**
 * The progress in a heartbeat's details, as the console may show it, or null when there is none to show.
 * Lengths are capped, hidden characters dropped, numbers clamped (done between 0 and total; a total of 0
 * or less is unknown), an unknown unit left out. A bare string (an agent of an earlier release heartbeat
 * its message alone) is that message.
 */
export function readStepProgress(details: unknown): StepProgress | null {
  if (typeof details === 'string') {
    const message = line(details, PROGRESS_LIMITS.message);
    return message ? { step: 'working', message } : null;
  }
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return null;
  const raw = details as Record<string, unknown>;
  const step = line(raw.step, PROGRESS_LIMITS.step);
  if (!step) return null;
  const message = line(raw.message, PROGRESS_LIMITS.message);
  const total = amount(raw.total) || undefined;
  let done = amount(raw.done);
  if (done !== undefined && total !== undefined) done = Math.min(done, total);
  const unit = PROGRESS_UNITS.find((u) => u === raw.unit);
  const parsed = StepProgress.safeParse({ step, message, done, total, unit });
  return parsed.success ? parsed.data : null;
}

/** The share done, 0 to 1, when the total is known; null for an indeterminate bar. */
export const progressFraction = (p: Pick<StepProgress, 'done' | 'total'>): number | null => (p.total === undefined ? null : Math.min(Math.max((p.done ?? 0) / p.total, 0), 1));
