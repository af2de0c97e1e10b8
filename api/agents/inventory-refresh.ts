// "Refresh inventory" on a node: starts the refreshNodeInventory workflow, which sends a signed inventory
// job to the node's own queue. MSP staff only; a node without a working agent (pending or revoked) is
// refused before anything starts. The answer links to the run in Temporal Web.
import { z } from 'zod';
import { recordAudit } from '../../db/audit.ts';
import { refreshNodeInventory } from '../../workflows/refresh-node-inventory.ts';
import { auditActor, authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, UnavailableError } from '../errors.ts';
import { controlPlaneTaskQueue, getTemporalClient, workflowRunUrl } from '../temporal-client.ts';
import { findNode, nodeTarget } from './service.ts';

export const InventoryRefreshOutput = z.object({ workflowId: z.string(), runId: z.string(), temporalUrl: z.string() });
export type InventoryRefreshOutput = z.infer<typeof InventoryRefreshOutput>;

export async function requestInventoryRefresh(ctx: ServiceContext, nodeId: string): Promise<InventoryRefreshOutput> {
  const node = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'node.refresh_inventory', nodeTarget(node));
  if (node.revokedAt) throw new ConflictError('id', `Node ${node.name} is revoked: its agent takes no jobs until it is enrolled again.`);
  if (!node.agentPublicKey) throw new ConflictError('id', `Node ${node.name} has no enrolled agent yet: run the enrollment command on the machine first.`);

  const workflowId = `refresh-node-inventory-${node.id}-${crypto.randomUUID()}`;
  let runId: string;
  try {
    const client = await getTemporalClient();
    const handle = await client.workflow.start(refreshNodeInventory, {
      taskQueue: controlPlaneTaskQueue(), workflowId, args: [{ nodeId: node.id }], workflowExecutionTimeout: '10 minutes',
    });
    runId = handle.firstExecutionRunId;
  } catch (err) {
    await recordAudit(ctx.db, {
      ...auditActor(ctx.actor), organizationId: node.organizationId, action: 'node.inventory_refresh.start',
      targetType: 'node', targetId: node.id, outcome: 'failure', reason: `Temporal did not accept the run: ${(err as Error).message}`,
    });
    throw new UnavailableError('The inventory refresh could not be started: Temporal is not reachable. Try again shortly.');
  }
  await recordAudit(ctx.db, {
    ...auditActor(ctx.actor), organizationId: node.organizationId, action: 'node.inventory_refresh.start',
    targetType: 'node', targetId: node.id, outcome: 'success', details: { nodeName: node.name, workflowId, runId },
  });
  return { workflowId, runId, temporalUrl: workflowRunUrl(workflowId, runId) };
}
