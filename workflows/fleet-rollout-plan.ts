// The arithmetic of a fleet rollout (ADR 0030), apart from Temporal so that it is tested plainly: which
// targets the next batch takes (a canary batch first), and whether a finished batch stops the rollout
// (failures in the batch, the failure ratio so far, any failure of the canary). Pure and deterministic.

export interface RolloutSettings {
  /** Targets run at the same time in one batch (after the canary). */
  batchSize: number;
  /** Targets of the first batch, the canary; 0: no canary. */
  canarySize: number;
  /** Wait between two batches. */
  pauseSeconds: number;
  /** A batch with this many failures stops the rollout. */
  maxFailuresPerBatch: number;
  /** Failed / finished targets above this (0..1) stop the rollout. */
  maxFailureRatio: number;
  /** A second approval after the canary batch passed, before the rest. */
  secondApproval: boolean;
}

export type TargetState = 'pending' | 'running' | 'completed' | 'failed';

export interface TargetOutcome {
  /** The instance's or node's id. */
  id: string;
  name: string;
  state: TargetState;
  /** Its batch (0 is the canary when there is one). */
  batch?: number;
  /** The child job that acted on it. */
  jobId?: string;
  reason?: string;
}

export interface RolloutState {
  targets: TargetOutcome[];
  /** Index of the first target of the next batch. */
  next: number;
  /** Batches started so far. */
  batches: number;
  /** The rollout's own approval (and the one after the canary) were given. */
  approved: boolean;
  canaryApproved: boolean;
  /** Why the rollout stopped by itself (a threshold), until someone resumes it. */
  stopped?: string;
}

export const initialState = (targets: { id: string; name: string }[]): RolloutState => ({
  targets: targets.map((t) => ({ id: t.id, name: t.name, state: 'pending' })),
  next: 0,
  batches: 0,
  approved: false,
  canaryApproved: false,
});

/** Whether the batch about to run (or just run) is the canary. */
export const isCanary = (settings: RolloutSettings, batch: number) => batch === 0 && settings.canarySize > 0;

/** How many targets batch `batch` takes: the canary's size first, then batchSize (at least one). */
export const batchSizeOf = (settings: RolloutSettings, batch: number) => Math.max(1, isCanary(settings, batch) ? settings.canarySize : settings.batchSize);

/** The indices of the next batch. */
export function nextBatch(state: RolloutState, settings: RolloutSettings): number[] {
  const end = Math.min(state.targets.length, state.next + batchSizeOf(settings, state.batches));
  return Array.from({ length: end - state.next }, (_, i) => state.next + i);
}

/** Why the rollout stops after this batch, in one sentence; undefined when it goes on. */
export function stopReason(state: RolloutState, settings: RolloutSettings, batch: number): string | undefined {
  const inBatch = state.targets.filter((t) => t.batch === batch);
  const failed = inBatch.filter((t) => t.state === 'failed');
  if (failed.length && isCanary(settings, batch)) return `the canary failed on ${failed.map((t) => t.name).join(', ')}`;
  if (failed.length >= settings.maxFailuresPerBatch) return `batch ${batch + 1} had ${failed.length} failure(s) (the limit is ${settings.maxFailuresPerBatch})`;
  const finished = state.targets.filter((t) => t.state === 'completed' || t.state === 'failed');
  const allFailed = finished.filter((t) => t.state === 'failed').length;
  if (finished.length && allFailed / finished.length > settings.maxFailureRatio)
    return `${allFailed} of ${finished.length} target(s) failed, above the failure ratio of ${Math.round(settings.maxFailureRatio * 100)}%`;
  return undefined;
}

/** Counts for the page and the job's record. */
export function tally(state: RolloutState) {
  const count = (s: TargetState) => state.targets.filter((t) => t.state === s).length;
  return { total: state.targets.length, completed: count('completed'), failed: count('failed'), running: count('running'), pending: count('pending') };
}
