// Capabilities and packs attached to an OpenClaw instance, and what the instance may use as a result:
// its effective capabilities, decided by the policy engine action by action (ADR 0012).
import { and, asc, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import { capabilities, capabilityAttachments, INSTANCE_STATES, instances, organizations } from '../../db/schema.ts';
import { ToolPolicy } from '../../protocol/tool-policy.ts';
import { toolPolicyDrift, ToolPolicyDrift } from '../instances/drift.ts';
import { requestCapabilityApply } from '../instances/capabilities.ts';
import type { JobOutput } from '../jobs/job-output.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { decide } from '../policy/engine.ts';
import { attachedActions, capabilityFacts, connectionFacts, effectivePermission } from '../policy/facts.ts';
import { CapabilityOutput } from './model.ts';
import { LIFECYCLE_KEY } from './catalogue.ts';
import { findCapability, toCapabilityOutput } from './service.ts';
import { toolPolicyFor } from './tool-policy.ts';

export const AttachInput = z.object({ capabilityId: z.string('capabilityId is required').uuid('capabilityId must be a UUID') });

export const EffectiveCapability = z.object({
  capabilityKey: z.string(),
  name: z.string(),
  openclawTool: z.string().nullable(),
  /** Actions the instance may use now (some after a confirmation). */
  allowed: z.array(z.string()),
  /** Each action it may not use, with the rule that blocks it. */
  blocked: z.array(z.object({ action: z.string(), rule: z.string(), sentence: z.string() })),
});
export type EffectiveCapability = z.infer<typeof EffectiveCapability>;

export const InstanceCapabilitiesOutput = z.object({
  instance: z.object({ id: z.string().uuid(), name: z.string(), state: z.enum(INSTANCE_STATES), nodeId: z.string().uuid(), organizationId: z.string().uuid() }),
  attached: z.array(CapabilityOutput),
  effective: z.array(EffectiveCapability),
  /** What applying would write into its gateway's configuration, and in one sentence. */
  toolPolicy: z.object({ policy: ToolPolicy, summary: z.string() }),
  /** Its gateway's tool policy as last applied against as last reported (null: neither known yet). */
  drift: ToolPolicyDrift.nullable(),
});

async function findInstance(ctx: ServiceContext, id: string, action: 'instance.view_capabilities' | 'instance.attach_capabilities' | 'instance.apply_capabilities') {
  if (!isUuid(id)) throw new NotFoundError('instance');
  const [row] = await ctx.db.select().from(instances).where(eq(instances.id, id));
  if (!row) throw new NotFoundError('instance');
  await authorize(ctx, action, { organizationId: row.organizationId, type: 'instance', id: row.id });
  return row;
}

/** Every capability (packs aside), action by action, as the engine decides it for this instance (usage limits aside). */
export async function effectiveCapabilities(db: ServiceContext['db'], instance: typeof instances.$inferSelect): Promise<EffectiveCapability[]> {
  const [org] = await db.select({ id: organizations.id, name: organizations.name }).from(organizations).where(eq(organizations.id, instance.organizationId));
  const attached = await attachedActions(db, instance.id);
  // What the instance uses: the operations on it (its lifecycle jobs) are not among them.
  const all = await db
    .select()
    .from(capabilities)
    .where(and(ne(capabilities.kind, 'pack'), ne(capabilities.key, LIFECYCLE_KEY)))
    .orderBy(asc(capabilities.key));
  const out: EffectiveCapability[] = [];
  for (const c of all) {
    const permission = await effectivePermission(db, instance.organizationId, c);
    const connection = c.provider ? await connectionFacts(db, instance.organizationId, c.provider) : undefined;
    const entry: EffectiveCapability = { capabilityKey: c.key, name: c.name, openclawTool: c.openclawTool, allowed: [], blocked: [] };
    for (const a of c.actions) {
      const verdict = decide({
        capabilityKey: c.key,
        action: a.key,
        organization: org!,
        capability: capabilityFacts(c),
        permission,
        instance: { name: instance.name, attached },
        ...(connection !== undefined ? { connection } : {}),
        usage: { lastHour: 0, lastDay: 0 },
      });
      if (verdict.outcome === 'blocked') entry.blocked.push({ action: a.key, rule: verdict.rule, sentence: verdict.sentence });
      else entry.allowed.push(a.key);
    }
    out.push(entry);
  }
  return out;
}

export async function getInstanceCapabilities(ctx: ServiceContext, instanceId: string): Promise<z.infer<typeof InstanceCapabilitiesOutput>> {
  const instance = await findInstance(ctx, instanceId, 'instance.view_capabilities');
  const attached = await ctx.db
    .select({ capability: capabilities })
    .from(capabilityAttachments)
    .innerJoin(capabilities, eq(capabilities.id, capabilityAttachments.capabilityId))
    .where(eq(capabilityAttachments.instanceId, instance.id))
    .orderBy(asc(capabilities.key));
  const effective = await effectiveCapabilities(ctx.db, instance);
  return {
    instance: { id: instance.id, name: instance.name, state: instance.state, nodeId: instance.nodeId, organizationId: instance.organizationId },
    attached: attached.map((a) => toCapabilityOutput(a.capability)),
    effective,
    toolPolicy: toolPolicyFor(effective),
    drift: toolPolicyDrift(instance),
  };
}

async function auditAttachment(ctx: ServiceContext, action: string, instance: typeof instances.$inferSelect, capability: { id: string; key: string }) {
  await recordSuccess(ctx.db, ctx.actor, action, auditTarget('instance', instance), { instanceName: instance.name, capability: capability.key, capabilityId: capability.id });
}

/** Attaches a capability or pack: the instance may then use only what its attachments list. */
export async function attachCapability(ctx: ServiceContext, instanceId: string, input: unknown) {
  const instance = await findInstance(ctx, instanceId, 'instance.attach_capabilities');
  const { capabilityId } = parseInput(AttachInput, input ?? {});
  const capability = await findCapability(ctx, capabilityId);
  if (capability.disabledAt) throw new ConflictError('capabilityId', `${capability.name} is disabled in the catalogue: enable it first.`);
  const added = await ctx.db.insert(capabilityAttachments).values({ instanceId, capabilityId, createdBy: ctx.actor.userId }).onConflictDoNothing().returning();
  if (added.length) await auditAttachment(ctx, 'instance.capability.attach', instance, capability);
  return getInstanceCapabilities(ctx, instanceId);
}

export async function detachCapability(ctx: ServiceContext, instanceId: string, capabilityId: string) {
  const instance = await findInstance(ctx, instanceId, 'instance.attach_capabilities');
  const capability = await findCapability(ctx, capabilityId);
  const removed = await ctx.db
    .delete(capabilityAttachments)
    .where(and(eq(capabilityAttachments.instanceId, instanceId), eq(capabilityAttachments.capabilityId, capabilityId)))
    .returning();
  if (!removed.length) throw new NotFoundError(`attachment of ${capability.name} to ${instance.name}`);
  await auditAttachment(ctx, 'instance.capability.detach', instance, capability);
  return getInstanceCapabilities(ctx, instanceId);
}

/** Writes the instance's effective capabilities into its gateway, through an approval-gated job. */
export async function applyInstanceCapabilities(ctx: ServiceContext, instanceId: string): Promise<JobOutput> {
  const instance = await findInstance(ctx, instanceId, 'instance.apply_capabilities');
  const { policy, summary } = toolPolicyFor(await effectiveCapabilities(ctx.db, instance));
  return requestCapabilityApply(ctx, instance.id, policy, summary);
}
