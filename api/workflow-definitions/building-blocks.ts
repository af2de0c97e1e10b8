// What a person building a workflow in an organization may choose from (the console's editor asks, so
// it needs no JSON): the catalogue's capabilities that act through a connection, each action with its
// input schema as JSON Schema (zod's own conversion of the provider's input, so the form and the save's
// check read the same schema), the organization's connections, managed instances and approver groups.
// Only builders of that organization get it; each list comes from its own service, which authorizes too.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { organizations } from '../../db/schema.ts';
import { listApproverGroups } from '../approver-groups/service.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { listCapabilities } from '../capabilities/service.ts';
import { providerOf } from '../connections/providers/registry.ts';
import { listConnections } from '../connections/service.ts';
import { NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { listInstances } from '../instances/list.ts';

/** A JSON Schema as zod writes it (draft 2020-12); the editor reads `properties`, `required` and each property's type, enum, default, description. */
export type JsonSchema = Record<string, unknown>;

export interface BuildingBlocks {
  organization: { id: string; name: string };
  capabilities: { key: string; name: string; provider: string; actions: { key: string; description: string; risk: string; inputSchema: JsonSchema }[] }[];
  connections: { id: string; name: string; provider: string; status: string; mode: string }[];
  instances: { id: string; name: string; nodeName: string }[];
  approverGroups: { id: string; name: string; mspWide: boolean }[];
}

/** The action's input as the client fills it in: what a caller may send (`io: 'input'`: defaults are optional). */
export const inputSchemaOf = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

export async function buildingBlocks(ctx: ServiceContext, organizationId: string): Promise<BuildingBlocks> {
  if (!isUuid(organizationId)) throw new NotFoundError('organization');
  await authorize(ctx, 'workflow_definition.build', { organizationId, type: 'organization', id: organizationId });
  const [org] = await ctx.db.select({ id: organizations.id, name: organizations.name }).from(organizations).where(eq(organizations.id, organizationId));
  if (!org) throw new NotFoundError('organization');
  const catalogue = (await listCapabilities(ctx, { kind: 'tool', disabled: 'exclude' })).items;
  return {
    organization: org,
    // A step may name only actions its provider implements (api/workflow-definitions/validate.ts says the same on save).
    capabilities: catalogue.flatMap((c) => {
      if (!c.provider) return [];
      const provider = providerOf(c.provider);
      const actions = c.actions.flatMap((a) => {
        const defined = provider.actions[a.key];
        return defined ? [{ key: a.key, description: a.description, risk: a.risk, inputSchema: inputSchemaOf(defined.input) }] : [];
      });
      return actions.length ? [{ key: c.key, name: c.name, provider: c.provider, actions }] : [];
    }),
    connections: (await listConnections(ctx, { organizationId })).items.map(({ id, name, provider, status, mode }) => ({ id, name, provider, status, mode })),
    instances: (await listInstances(ctx, { organizationId, state: 'managed', limit: 200 })).items.map(({ id, name, nodeName }) => ({ id, name, nodeName })),
    approverGroups: (await listApproverGroups(ctx, { organizationId })).items.map(({ id, name, mspWide }) => ({ id, name, mspWide })),
  };
}
