// Asks a node's agent for its container inventory now (the node page's "Refresh inventory"), as a job
// without approval: it only reads. The step is signed on the control plane for this job only, runs only
// on the node's own queue, and its result is believed only if the node's registered agent signed it
// (workflows/node-job.ts). A node that does not pick it up in time fails the job with "node offline".
import { proxyActivities } from '@temporalio/workflow';
import type { NodeDispatchActivities } from '../activities/node-jobs.ts';
import { asJob, jobRecorder } from './job-record.ts';
import { runOnNode } from './node-job.ts';

const controlPlane = proxyActivities<NodeDispatchActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: ['NotThisJobsRun'] },
});

export interface RefreshNodeInventoryInput {
  jobId: string;
  nodeId: string;
  offlineAfterSeconds?: number;
}

export async function refreshNodeInventory(input: RefreshNodeInventoryInput): Promise<{ containers: number }> {
  const record = jobRecorder(input.jobId);
  return asJob(input.jobId, async () => {
    await record({ state: 'running', step: 'inventory' });
    // Reading the inventory changes nothing, but one attempt is enough: the next heartbeat brings it anyway.
    const output = await runOnNode({
      nodeId: input.nodeId,
      action: 'inventory.list',
      params: {},
      mode: 'at-most-once',
      waitForNodeSeconds: input.offlineAfterSeconds ?? 120,
      runSeconds: 60,
    });
    const stored = await controlPlane.storeNodeInventory({ jobId: input.jobId, containers: output.containers });
    await record({ state: 'completed', step: null, result: stored });
    return stored;
  });
}
