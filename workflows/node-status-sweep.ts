// The node status sweep (ADR 0029): one long-running workflow per control plane (id
// `node-status-sweep.<control-plane queue>`, started by every control-plane worker if not running) that
// turns silent nodes stale and then offline. Each pass is one activity (one transaction over Postgres,
// activities/nodes.ts), which also says when the next one is due: when the first node could cross a
// threshold, so that a fleet whose heartbeats flow costs one pass per stale threshold or so, and a node that
// falls silent is caught on time. Heartbeats themselves never reach Temporal; the API turns a node online.
// The run continues as new every few hundred passes to keep its history bounded.
import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { NodeActivities } from '../activities/nodes.ts';

export interface NodeStatusSweepInput {
  /** Passes before continuing as new (a few hundred in production; small in tests). */
  passesPerRun?: number;
}

export const NODE_STATUS_SWEEP_ID_PREFIX = 'node-status-sweep.';
export const nodeStatusSweepId = (controlPlaneQueue: string) => `${NODE_STATUS_SWEEP_ID_PREFIX}${controlPlaneQueue}`;

// A pass is idempotent (conditional UPDATEs), so it may retry for as long as Postgres is away.
const { sweepNodeStatuses } = proxyActivities<NodeActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' }, // no maximumAttempts: until it lands
});

export async function nodeStatusSweep(input: NodeStatusSweepInput = {}): Promise<never> {
  const passesPerRun = input.passesPerRun ?? 300;
  for (let pass = 0; pass < passesPerRun && !workflowInfo().continueAsNewSuggested; pass += 1) {
    const { nextInMs } = await sweepNodeStatuses();
    await sleep(nextInMs);
  }
  return continueAsNew<typeof nodeStatusSweep>(input);
}
