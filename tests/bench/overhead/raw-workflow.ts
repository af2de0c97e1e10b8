// The limit of suite 1 (tests/bench/overhead/main.ts): the least a Temporal workflow can do between a
// decision and work on another worker — wait for an Update, then schedule one activity on the queue the
// benchmark's own activity worker polls. No record, no check, no signature.
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export const goUpdate = defineUpdate<void>('go');

export interface RawInput {
  /** The activity worker's queue (not this workflow's). */
  activityQueue: string;
  /** Names the sample, so that the activity's start is matched to its Update. */
  sample: string;
}

export async function rawUpdateThenActivity(input: RawInput): Promise<void> {
  let go = false;
  setHandler(goUpdate, () => {
    go = true;
  });
  await condition(() => go);
  await proxyActivities<{ stamp(sample: string): Promise<void> }>({ taskQueue: input.activityQueue, startToCloseTimeout: '30 seconds' }).stamp(input.sample);
}
