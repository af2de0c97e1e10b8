// OpenClaw instances across nodes, as the Instances page and GET /instances show them: each with its
// organization (whose instance it is), its node, state, bundle version, last health, drift and the
// capabilities attached to it (one query for the page's rows, never one per row). Listed by the
// instance's organization, so a customer's instance hosted on the MSP's shared infrastructure is the
// customer's to see (api/list-scope.ts); the node is joined, never fetched per row.
import { aliasedTable, and, asc, eq, ilike, inArray, isNotNull, isNull, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { capabilities, capabilityAttachments, INSTANCE_STATES, instances, NODE_STATUSES, nodes, organizations } from '../../db/schema.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { escapeLike } from '../like.ts';
import { listScope } from '../list-scope.ts';
import { afterCursor, PageQuery, toPage } from '../pagination.ts';
import { HEALTH_STATUSES, healthIs, healthStatusOf, healthSummary, InstanceHealthSummary } from './health.ts';

export const ListInstancesQuery = PageQuery.extend({
  organizationId: z.string().uuid('organizationId must be a UUID').optional(),
  nodeId: z.string().uuid('nodeId must be a UUID').optional(),
  state: z.enum(INSTANCE_STATES, `state must be one of: ${INSTANCE_STATES.join(', ')}`).optional(),
  health: z.enum(HEALTH_STATUSES, `health must be one of: ${HEALTH_STATUSES.join(', ')}`).optional(),
  q: z.string().trim().max(100, 'q must be at most 100 characters').optional().describe('Text in the instance’s name'),
  drifted: z.enum(['yes', 'no'], 'drifted must be yes or no').optional().describe('yes: only instances whose gateway’s tool configuration drifted from the one applied'),
});

export const InstanceOutput = z.object({
  id: z.string(),
  name: z.string(),
  state: z.enum(INSTANCE_STATES).describe('discovered: seen on the node, never changed by us; managed: deployed or adopted'),
  organizationId: z.string().describe('whose instance it is'),
  organizationName: z.string(),
  nodeId: z.string(),
  nodeName: z.string(),
  nodeOrganizationId: z.string().describe('the node’s organization: the MSP’s own for a customer’s instance on shared infrastructure'),
  nodeStatus: z.enum(NODE_STATUSES),
  bundleVersion: z.string().nullable().describe('the OpenClaw bundle version of a managed instance'),
  port: z.number().nullable(),
  health: InstanceHealthSummary.nullable(),
  healthStatus: z.enum(HEALTH_STATUSES).describe('the last health check’s verdict; unknown when never checked'),
  driftedSince: z.string().nullable().describe('since when its gateway’s tool configuration differs from the one last applied (null: not drifted)'),
  capabilities: z
    .array(z.object({ id: z.string(), key: z.string(), name: z.string(), kind: z.string() }))
    .describe('the capabilities and packs attached to it, by key: what it may use, within its organization’s permissions'),
  managedSince: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type InstanceOutput = z.infer<typeof InstanceOutput>;

export const InstanceDetailOutput = InstanceOutput.extend({
  containerIds: z.array(z.string()),
  reasons: z.array(z.string()).describe('why discovery thinks it is OpenClaw'),
  confidence: z.string().nullable(),
  lastHealth: z.record(z.string(), z.unknown()).nullable().describe('the last health check’s full report: each container, /healthz, /readyz, openclaw gateway health'),
});
export type InstanceDetailOutput = z.infer<typeof InstanceDetailOutput>;

const hosts = aliasedTable(nodes, 'hosts');

function selectInstances(ctx: ServiceContext) {
  return ctx.db
    .select({ instance: instances, organizationName: organizations.name, nodeName: hosts.name, nodeOrganizationId: hosts.organizationId, nodeStatus: hosts.status })
    .from(instances)
    .innerJoin(organizations, eq(organizations.id, instances.organizationId))
    .innerJoin(hosts, eq(hosts.id, instances.nodeId));
}
type Row = Awaited<ReturnType<ReturnType<typeof selectInstances>['execute']>>[number];

type Attached = InstanceOutput['capabilities'];

/** The capabilities attached to each of these instances, in one query. */
async function attachedTo(ctx: ServiceContext, instanceIds: string[]): Promise<Map<string, Attached>> {
  const byInstance = new Map<string, Attached>();
  if (!instanceIds.length) return byInstance;
  const rows = await ctx.db
    .select({ instanceId: capabilityAttachments.instanceId, id: capabilities.id, key: capabilities.key, name: capabilities.name, kind: capabilities.kind })
    .from(capabilityAttachments)
    .innerJoin(capabilities, eq(capabilities.id, capabilityAttachments.capabilityId))
    .where(inArray(capabilityAttachments.instanceId, instanceIds))
    .orderBy(asc(capabilities.key));
  for (const { instanceId, ...capability } of rows) byInstance.set(instanceId, [...(byInstance.get(instanceId) ?? []), capability]);
  return byInstance;
}

function toOutput({ instance: i, organizationName, nodeName, nodeOrganizationId, nodeStatus }: Row, attached: Attached): InstanceOutput {
  const health = healthSummary(i.health, i.updatedAt);
  return {
    id: i.id,
    name: i.name,
    state: i.state,
    organizationId: i.organizationId,
    organizationName,
    nodeId: i.nodeId,
    nodeName,
    nodeOrganizationId,
    nodeStatus,
    bundleVersion: i.bundleVersion,
    port: i.port,
    health,
    healthStatus: healthStatusOf(health),
    driftedSince: i.driftedSince?.toISOString() ?? null,
    capabilities: attached,
    managedSince: i.managedSince?.toISOString() ?? null,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  };
}

export async function listInstances(ctx: ServiceContext, query: unknown): Promise<{ items: InstanceOutput[]; nextCursor: string | null }> {
  const q = parseInput(ListInstancesQuery, query ?? {});
  const organizationId = await listScope(ctx, 'instance.view', q.organizationId);
  const conditions: (SQL | undefined)[] = [
    organizationId ? eq(instances.organizationId, organizationId) : undefined,
    q.nodeId ? eq(instances.nodeId, q.nodeId) : undefined,
    q.state ? eq(instances.state, q.state) : undefined,
    q.health ? healthIs(q.health) : undefined,
    q.drifted ? (q.drifted === 'yes' ? isNotNull(instances.driftedSince) : isNull(instances.driftedSince)) : undefined,
    q.q ? ilike(instances.name, `%${escapeLike(q.q)}%`) : undefined,
    afterCursor(q.cursor, instances.createdAt, instances.id),
  ];
  const rows = await selectInstances(ctx)
    .where(and(...conditions))
    .orderBy(asc(instances.createdAt), asc(instances.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => ({ at: r.instance.createdAt.toISOString(), id: r.instance.id }));
  const attached = await attachedTo(
    ctx,
    page.items.map((r) => r.instance.id),
  );
  return { items: page.items.map((r) => toOutput(r, attached.get(r.instance.id) ?? [])), nextCursor: page.nextCursor };
}

/** One instance with its last health report; another organization's is "not found", like a missing one. */
export async function getInstance(ctx: ServiceContext, id: string): Promise<InstanceDetailOutput> {
  if (!isUuid(id)) throw new NotFoundError('instance');
  const [row] = await selectInstances(ctx).where(eq(instances.id, id)).limit(1);
  if (!row) throw new NotFoundError('instance');
  await authorize(ctx, 'instance.view', { organizationId: row.instance.organizationId, type: 'instance', id });
  const i = row.instance;
  const attached = await attachedTo(ctx, [id]);
  return { ...toOutput(row, attached.get(id) ?? []), containerIds: i.containerIds, reasons: i.reasons, confidence: i.confidence, lastHealth: i.health };
}
