// What a control-plane worker does for node status when it starts (ADR 0029): it starts the node status
// sweep of its control plane unless it is running (two workers starting at once start one), and ends the
// per-node monitors that the sweep replaced and that an older version left running on its queue.
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { nodeStatusSweep, nodeStatusSweepId } from '../workflows/node-status-sweep.ts';

/** Starts the sweep on `taskQueue`, or finds it running; answers its run id. */
export async function startNodeStatusSweep(client: Client, taskQueue: string): Promise<string> {
  const handle = await client.workflow.start(nodeStatusSweep, {
    workflowId: nodeStatusSweepId(taskQueue),
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return handle.firstExecutionRunId;
}

/**
 * Terminates the node monitors still running on `taskQueue` (found through Temporal's visibility): a
 * monitor left waiting for a beat that no longer comes would otherwise stay open for ever. Their
 * histories stay as they are and still replay. Answers how many were ended.
 */
export async function retireNodeMonitors(client: Client, taskQueue: string, log: Logger): Promise<number> {
  let ended = 0;
  for await (const run of client.workflow.list({ query: `WorkflowType = 'nodeMonitor' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'` })) {
    try {
      await client.workflow.getHandle(run.workflowId, run.runId).terminate('node status is decided by the node status sweep (ADR 0029)');
      ended += 1;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // ended meanwhile (another worker, or by itself)
    }
  }
  if (ended) log.info({ ended, taskQueue }, 'node monitors retired: the node status sweep decides node status now');
  return ended;
}
