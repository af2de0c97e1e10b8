// What each organization may do with each capability (ADR 0012). MSP staff set permissions; a company
// admin sees their own organization's and may only narrow one that is not enforced. Every change is
// audited with what it was before.
import { and, asc, eq, inArray, ne, or } from 'drizzle-orm';
import { z } from 'zod';
import { approverGroups, capabilities, CONFIRMATIONS, organizations, permissions, type Confirmation } from '../../db/schema.ts';
import { recordSuccess } from '../audit/record.ts';
import { authorize, can, type ServiceContext } from '../authz.ts';
import { findCapability } from '../capabilities/service.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { PermissionFacts } from '../policy/engine.ts';
import { effectivePermission } from '../policy/facts.ts';

const limit = (field: string) =>
  z
    .number(`${field} must be a whole number or null`)
    .int(`${field} must be a whole number`)
    .min(1, `${field} must be at least 1 (null: no limit)`)
    .max(1_000_000)
    .nullable()
    .default(null);

export const ApprovalPolicyInput = z.object({
  approvalsNeeded: z
    .number('approvalsNeeded must be a whole number')
    .int('approvalsNeeded must be a whole number')
    .min(1, 'approvalsNeeded must be at least 1')
    .max(5, 'approvalsNeeded is at most 5')
    .default(1)
    .describe('Distinct people who must approve (N-of-M)'),
  // Company people approve only through a named group: a role of theirs is never enough.
  approverRoles: z
    .array(z.enum(['msp_admin', 'msp_operator'], 'approverRoles may name msp_admin and msp_operator (company people approve through approver groups)'))
    .max(4)
    .default(['msp_admin', 'msp_operator']),
  approverGroupIds: z
    .array(z.string().uuid('approverGroupIds must be UUIDs'))
    .max(10, 'approverGroupIds names at most 10 groups')
    .default([])
    .describe('Approver groups (of the organization, or MSP-wide) whose members may approve too'),
  forbidSelfApproval: z.boolean('forbidSelfApproval must be true or false').default(false),
  expiresInHours: z.number('expiresInHours must be a number').positive('expiresInHours must be more than 0').max(720, 'expiresInHours is at most 720 (30 days)').default(24),
});

export const ApprovalPolicyOutput = z.object({
  approvalsNeeded: z.number().int(),
  approverRoles: z.array(z.string()),
  approverGroupIds: z.array(z.string()),
  forbidSelfApproval: z.boolean(),
  expiresInHours: z.number(),
});

export const SetPermissionInput = z.object({
  enabled: z.boolean('enabled must be true or false'),
  allowedActions: z.array(z.string().trim().min(1).max(100)).max(100),
  confirmation: z.enum(CONFIRMATIONS, `confirmation must be one of ${CONFIRMATIONS.join(', ')}`).default('by_risk'),
  approval: ApprovalPolicyInput.default(ApprovalPolicyInput.parse({})),
  runsPerHour: limit('runsPerHour'),
  runsPerDay: limit('runsPerDay'),
  enforced: z.boolean('enforced must be true or false').default(false),
});
type SetPermission = z.infer<typeof SetPermissionInput>;

export const PermissionOutput = z.object({
  capabilityId: z.string().uuid(),
  capabilityKey: z.string(),
  capabilityName: z.string(),
  capabilityDisabled: z.boolean(),
  source: z.enum(['organization', 'default', 'none']).describe('The organization’s own permission, the catalogue’s built-in default, or none (nothing allowed)'),
  enabled: z.boolean(),
  allowedActions: z.array(z.string()),
  confirmation: z.enum(CONFIRMATIONS),
  approval: ApprovalPolicyOutput.nullable(),
  runsPerHour: z.number().int().nullable(),
  runsPerDay: z.number().int().nullable(),
  enforced: z.boolean(),
});
export type PermissionOutput = z.infer<typeof PermissionOutput>;

type Capability = typeof capabilities.$inferSelect;

const toOutput = (c: Capability, p: PermissionFacts | null): PermissionOutput => ({
  capabilityId: c.id,
  capabilityKey: c.key,
  capabilityName: c.name,
  capabilityDisabled: c.disabledAt !== null,
  source: p?.source ?? 'none',
  enabled: p?.enabled ?? false,
  allowedActions: p?.allowedActions ?? [],
  confirmation: p?.confirmation ?? 'by_risk',
  approval: p?.approval ? { ...p.approval, approverGroupIds: p.approval.approverGroupIds ?? [] } : null,
  runsPerHour: p?.runsPerHour ?? null,
  runsPerDay: p?.runsPerDay ?? null,
  enforced: p?.enforced ?? false,
});

const orgTarget = (organizationId: string) => ({ organizationId, type: 'organization', id: organizationId });
/** A permission's events are about its capability, filed under the organization it belongs to. */
const permissionTarget = (organizationId: string, capability: { id: string }) => ({ type: 'capability', id: capability.id, organizationId });

/** Every capability (packs aside) with the organization's effective permission for it. */
export async function listPermissions(ctx: ServiceContext, organizationId: string): Promise<{ items: PermissionOutput[] }> {
  if (!isUuid(organizationId)) throw new NotFoundError('organization');
  await authorize(ctx, 'permission.view', orgTarget(organizationId));
  const rows = await ctx.db.select().from(capabilities).where(ne(capabilities.kind, 'pack')).orderBy(asc(capabilities.key));
  return { items: await Promise.all(rows.map(async (c) => toOutput(c, await effectivePermission(ctx.db, organizationId, c)))) };
}

const STRICTNESS: Record<Confirmation, number> = { never: 0, by_risk: 1, always: 2 };
const atMost = (next: number | null, before: number | null) => before === null || (next !== null && next <= before);

/** Why `next` is wider than `before` in some field, or null when it only narrows (what a company admin may do). */
function widening(before: PermissionFacts, next: SetPermission): [string, string] | null {
  if (next.enabled && !before.enabled) return ['enabled', 'only MSP staff turn a permission on'];
  const added = next.allowedActions.filter((a) => !before.allowedActions.includes(a));
  if (added.length) return ['allowedActions', `only MSP staff allow more actions (${added.join(', ')})`];
  if (STRICTNESS[next.confirmation] < STRICTNESS[before.confirmation]) return ['confirmation', 'only MSP staff ask for fewer confirmations'];
  const a = next.approval;
  const b = before.approval;
  if (a.approvalsNeeded < b.approvalsNeeded) return ['approval.approvalsNeeded', 'only MSP staff lower the approvals needed'];
  if (a.approverRoles.some((r) => !b.approverRoles.includes(r))) return ['approval.approverRoles', 'only MSP staff add approver roles'];
  if (a.approverGroupIds.some((g) => !(b.approverGroupIds ?? []).includes(g))) return ['approval.approverGroupIds', 'only MSP staff add approver groups'];
  if (b.forbidSelfApproval && !a.forbidSelfApproval) return ['approval.forbidSelfApproval', 'only MSP staff allow self-approval'];
  if (a.expiresInHours > b.expiresInHours) return ['approval.expiresInHours', 'only MSP staff lengthen the time to approve'];
  if (!atMost(next.runsPerHour, before.runsPerHour)) return ['runsPerHour', 'only MSP staff raise a usage limit'];
  if (!atMost(next.runsPerDay, before.runsPerDay)) return ['runsPerDay', 'only MSP staff raise a usage limit'];
  if (next.enforced !== before.enforced) return ['enforced', 'only MSP staff enforce a permission or release it'];
  return null;
}

/** The groups a policy names must be the organization's own or MSP-wide ones. */
async function checkApproverGroups(ctx: ServiceContext, organizationId: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const found = await ctx.db
    .select({ id: approverGroups.id })
    .from(approverGroups)
    .innerJoin(organizations, eq(organizations.id, approverGroups.organizationId))
    .where(and(inArray(approverGroups.id, ids), or(eq(approverGroups.organizationId, organizationId), eq(organizations.kind, 'msp'))));
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length) throw new InvalidInputError({ 'approval.approverGroupIds': `no approver group ${missing[0]} of this organization or the MSP` });
}

/** Sets an organization's permission for a capability (MSP staff), or narrows it (its company admin). */
export async function setPermission(ctx: ServiceContext, organizationId: string, capabilityId: string, input: unknown): Promise<PermissionOutput> {
  if (!isUuid(organizationId)) throw new NotFoundError('organization');
  await authorize(ctx, 'permission.narrow', orgTarget(organizationId));
  const capability = await findCapability(ctx, capabilityId);
  if (capability.kind === 'pack')
    throw new ConflictError('capabilityId', `${capability.name} is a pack: permissions are set on its capabilities; packs are attached to instances.`);
  const next = parseInput(SetPermissionInput, input ?? {});
  const unknown = next.allowedActions.filter((a) => !capability.actions.some((c) => c.key === a));
  if (unknown.length) throw new InvalidInputError({ allowedActions: `${capability.name} has no action ${unknown.map((a) => `"${a}"`).join(', ')}` });
  await checkApproverGroups(ctx, organizationId, next.approval.approverGroupIds);
  const before = await effectivePermission(ctx.db, organizationId, capability);
  if (!can(ctx.actor, 'permission.update', orgTarget(organizationId))) {
    if (!before) throw new ForbiddenError(`Your organization has no permission for ${capability.name}: only MSP staff grant one.`);
    if (before.enforced) throw new ForbiddenError(`The MSP enforces this permission for ${capability.name}: only MSP staff change it.`);
    const why = widening(before, next);
    if (why) throw new ForbiddenError(`${why[0]}: ${why[1]}. A company admin may only narrow a permission.`);
  }
  const values = { ...next, allowedActions: [...new Set(next.allowedActions)], updatedBy: ctx.actor.userId, updatedAt: new Date() };
  await ctx.db
    .insert(permissions)
    .values({ organizationId, capabilityId, ...values })
    .onConflictDoUpdate({ target: [permissions.organizationId, permissions.capabilityId], set: values });
  await recordSuccess(ctx.db, ctx.actor, 'permission.set', permissionTarget(organizationId, capability), { capability: capability.key, before, after: next });
  return toOutput(capability, await effectivePermission(ctx.db, organizationId, capability));
}

/** Removes an organization's own permission: the built-in default applies again, or nothing is allowed. */
export async function deletePermission(ctx: ServiceContext, organizationId: string, capabilityId: string): Promise<PermissionOutput> {
  if (!isUuid(organizationId)) throw new NotFoundError('organization');
  await authorize(ctx, 'permission.update', orgTarget(organizationId));
  const capability = await findCapability(ctx, capabilityId);
  const removed = await ctx.db
    .delete(permissions)
    .where(and(eq(permissions.organizationId, organizationId), eq(permissions.capabilityId, capabilityId)))
    .returning();
  if (!removed.length) throw new NotFoundError('permission of that organization');
  await recordSuccess(ctx.db, ctx.actor, 'permission.delete', permissionTarget(organizationId, capability), { capability: capability.key });
  return toOutput(capability, await effectivePermission(ctx.db, organizationId, capability));
}
