// The fleet rollout with a stand-in child, for workflows/fleet-rollout.workflow.test.ts: each target's run
// waits a while, says it ran (a mocked activity), and succeeds, fails or reports an unhealthy instance as
// its input says, so that the parent's batches, thresholds, approvals and controls are tested alone.
import { ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';

export { fleetRollout } from './fleet-rollout.ts';

export interface StandInTargetInput {
  name: string;
  outcome: 'ok' | 'fail' | 'unhealthy';
  seconds: number;
}

const act = proxyActivities<{ targetRan(input: { name: string }): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

export async function standInTarget(input: StandInTargetInput): Promise<Record<string, unknown>> {
  await sleep(input.seconds * 1000);
  await act.targetRan({ name: input.name });
  if (input.outcome === 'fail') throw ApplicationFailure.nonRetryable(`${input.name} did not come back`, 'JobFailed');
  return { state: 'completed', healthy: input.outcome !== 'unhealthy' };
}
