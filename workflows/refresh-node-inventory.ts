// Asks a node's agent for its container inventory now (the node page's "Refresh inventory"). The job is
// signed on the control plane, runs only on the node's own queue, and its result is believed only if
// the node's registered agent signed it (workflows/node-job.ts). A node that does not pick the job up in
// time fails the run with "node offline".
import { proxyActivities } from '@temporalio/workflow';
import type { NodeDispatchActivities } from '../activities/node-jobs.ts';
import { runOnNode } from './node-job.ts';

const controlPlane = proxyActivities<NodeDispatchActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export interface RefreshNodeInventoryInput { nodeId: string; offlineAfterSeconds?: number }

export async function refreshNodeInventory(input: RefreshNodeInventoryInput): Promise<{ containers: number }> {
  // Reading the inventory changes nothing, but one attempt is enough: the next heartbeat brings it anyway.
  const output = await runOnNode({
    nodeId: input.nodeId, action: 'inventory.list', params: {}, mode: 'at-most-once',
    waitForNodeSeconds: input.offlineAfterSeconds ?? 120, runSeconds: 60,
  });
  return controlPlane.storeNodeInventory({ nodeId: input.nodeId, containers: output.containers });
}
