// "Refresh inventory" on a node: a job (inventory_refresh) whose workflow sends a signed inventory step to
// the node's own queue. MSP staff only; a node without a working agent (pending or revoked) is refused
// before anything starts. The answer links to the run in Temporal Web.
import { z } from 'zod';
import { loadConfig } from '../../infra/config.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError } from '../errors.ts';
import type { JobOutput } from '../jobs/job-output.ts';
import type { JobOrigin } from '../jobs/job-type.ts';
import { startJob } from '../jobs/service.ts';
import { inventoryRefreshJob } from './job-types.ts';
import { findNode, nodeTarget } from './service.ts';

export const InventoryRefreshOutput = z.object({ workflowId: z.string(), runId: z.string(), temporalUrl: z.string(), jobId: z.string() });
export type InventoryRefreshOutput = z.infer<typeof InventoryRefreshOutput>;

/** Starts the refresh as a job (its row is what lets the control plane sign the node step). */
export async function requestInventoryRefresh(ctx: ServiceContext, nodeId: string, origin: JobOrigin = {}): Promise<InventoryRefreshOutput & { job: JobOutput }> {
  const node = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'node.refresh_inventory', nodeTarget(node));
  if (node.revokedAt) throw new ConflictError('id', `Node ${node.name} is revoked: its agent takes no jobs until it is enrolled again.`);
  if (!node.agentPublicKey) throw new ConflictError('id', `Node ${node.name} has no enrolled agent yet: run the enrollment command on the machine first.`);
  const jobId = crypto.randomUUID();
  const job = await startJob(ctx, inventoryRefreshJob, {
    id: jobId,
    node,
    organizationId: node.organizationId,
    params: {},
    args: { jobId, nodeId: node.id, offlineAfterSeconds: loadConfig().NODE_WAIT_SECONDS },
    retryOf: origin.retryOf,
  });
  const runId = /\/workflows\/[^/]+\/([^/]+)\/history$/.exec(job.temporalUrl)?.[1] ?? '';
  return { workflowId: job.workflowId, runId: decodeURIComponent(runId), temporalUrl: job.temporalUrl, jobId: job.id, job };
}
