// What a node's agent last reported running (its containers), and the OpenClaw instances seen among
// them: the node page's inventory, and GET /nodes/{id}/inventory. Whoever may see the node sees it.
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { INSTANCE_STATES, instances, nodeContainers, organizations } from '../../db/schema.ts';
import { asReported } from '../../protocol/heartbeat.ts';
import type { ServiceContext } from '../authz.ts';
import { toolPolicyDrift, ToolPolicyDrift } from '../instances/drift.ts';
import { healthSummary, InstanceHealthSummary } from '../instances/health.ts';
import { getNode } from './service.ts';

const Port = z.object({ privatePort: z.number(), publicPort: z.number().optional(), type: z.string(), ip: z.string().optional() });

export const NodeInventory = z.object({
  containers: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      image: z.string(),
      state: z.string(),
      health: z.string().nullable().describe('Docker’s own health status, when the image has a health check'),
      status: z.string(),
      ports: z.array(Port),
      networkMode: z.string().nullable().describe('host: the container shares the machine’s network; null from agents that did not report it'),
      startedAt: z.string().nullable(),
      seenAt: z.string().describe('when the agent last reported it'),
    }),
  ),
  instances: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      state: z.enum(INSTANCE_STATES),
      containerIds: z.array(z.string()),
      reasons: z.array(z.string()).describe('why discovery thinks it is OpenClaw'),
      confidence: z.string().nullable(),
      organizationId: z.string().describe('whose instance it is: the node’s organization, or a customer hosted on shared infrastructure'),
      organizationName: z.string(),
      bundleVersion: z.string().nullable(),
      port: z.number().nullable(),
      health: InstanceHealthSummary.nullable(),
      hostNetwork: z.boolean().describe('one of its containers runs on the machine’s own network (as last reported): it can reach the machine’s services'),
      toolPolicy: ToolPolicyDrift.nullable().describe('its gateway’s tool policy: applied (desired) against reported (actual), and whether it drifted; null when neither is known'),
    }),
  ),
});
export type NodeInventory = z.infer<typeof NodeInventory>;

/** What the node's agent last reported running, and the OpenClaw instances seen among it. */
export async function getNodeInventory(ctx: ServiceContext, id: string): Promise<NodeInventory> {
  const node = await getNode(ctx, id); // authorizes: another organization's node is "not found"
  const [containers, found] = await Promise.all([
    ctx.db.select().from(nodeContainers).where(eq(nodeContainers.nodeId, node.id)).orderBy(asc(nodeContainers.name)),
    ctx.db
      .select({ i: instances, organizationName: organizations.name })
      .from(instances)
      .innerJoin(organizations, eq(organizations.id, instances.organizationId))
      .where(eq(instances.nodeId, node.id))
      .orderBy(asc(instances.name)),
  ]);
  const onHostNetwork = new Set(containers.filter((c) => c.networkMode === 'host').map((c) => c.containerId));
  return {
    containers: containers.map((c) => ({
      id: c.containerId,
      ...asReported(c),
      networkMode: c.networkMode,
      startedAt: c.startedAt?.toISOString() ?? null,
      seenAt: c.seenAt.toISOString(),
    })),
    instances: found.map(({ i, organizationName }) => ({
      id: i.id,
      name: i.name,
      state: i.state,
      containerIds: i.containerIds,
      reasons: i.reasons,
      confidence: i.confidence,
      organizationId: i.organizationId,
      organizationName,
      bundleVersion: i.bundleVersion,
      port: i.port,
      health: healthSummary(i.health, i.updatedAt),
      hostNetwork: i.containerIds.some((id) => onHostNetwork.has(id)),
      toolPolicy: toolPolicyDrift(i),
    })),
  };
}
