// The rollout's arithmetic alone: the canary first, then batches; what stops it after a batch.
import { describe, expect, it } from '@jest/globals';
import { initialState, nextBatch, stopReason, tally, type RolloutSettings, type RolloutState } from './fleet-rollout-plan.ts';

const settings: RolloutSettings = { batchSize: 2, canarySize: 1, pauseSeconds: 0, maxFailuresPerBatch: 2, maxFailureRatio: 0.5, secondApproval: false };
const six = () => initialState(Array.from({ length: 6 }, (_, i) => ({ id: `i${i}`, name: `t${i + 1}` })));

/** Runs batches, marking the named targets failed, until `until` batches ran. */
function run(state: RolloutState, s: RolloutSettings, failed: string[], until: number): number[][] {
  const batches: number[][] = [];
  while (state.next < state.targets.length && state.batches < until) {
    const batch = nextBatch(state, s);
    for (const i of batch) Object.assign(state.targets[i]!, { batch: state.batches, state: failed.includes(state.targets[i]!.name) ? 'failed' : 'completed' });
    state.next += batch.length;
    state.batches += 1;
    batches.push(batch);
  }
  return batches;
}

describe('fleet rollout plan', () => {
  it('takes the canary alone, then batches of batchSize, the last one shorter', () => {
    expect(run(six(), settings, [], 10)).toEqual([[0], [1, 2], [3, 4], [5]]);
    expect(run(six(), { ...settings, canarySize: 0, batchSize: 4 }, [], 10)).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
  });

  it('stops after a failed canary, a batch at its failure limit, or past the failure ratio', () => {
    const canary = six();
    run(canary, settings, ['t1'], 1);
    expect(stopReason(canary, settings, 0)).toBe('the canary failed on t1');

    const batch = six();
    run(batch, settings, ['t2', 't3'], 2);
    expect(stopReason(batch, settings, 1)).toBe('batch 2 had 2 failure(s) (the limit is 2)');

    const ratio = six();
    run(ratio, { ...settings, canarySize: 0, maxFailuresPerBatch: 5, maxFailureRatio: 0.25 }, ['t1'], 1);
    expect(stopReason(ratio, { ...settings, canarySize: 0, maxFailuresPerBatch: 5, maxFailureRatio: 0.25 }, 0)).toBe('1 of 2 target(s) failed, above the failure ratio of 25%');

    const fine = six();
    run(fine, settings, ['t2'], 2);
    expect(stopReason(fine, settings, 1)).toBeUndefined();
    expect(tally(fine)).toEqual({ total: 6, completed: 2, failed: 1, running: 0, pending: 3 });
  });
});
