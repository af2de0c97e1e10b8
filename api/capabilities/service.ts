// The capability catalogue: everyone signed in reads it; MSP admins add their own entries, edit and delete
// them, and disable or enable any entry (built-in ones included). ADR 0012.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { capabilities, capabilityAttachments, instances, organizations, permissions } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { recordSuccess } from '../audit/record.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { CreateCapabilityInput, ListCapabilitiesQuery, UpdateCapabilityInput, type CapabilityOutput } from './model.ts';

type Row = typeof capabilities.$inferSelect;

export const toCapabilityOutput = (c: Row): CapabilityOutput => ({
  id: c.id,
  key: c.key,
  kind: c.kind,
  name: c.name,
  description: c.description,
  version: c.version,
  builtIn: c.builtIn,
  provider: c.provider,
  openclawTool: c.openclawTool,
  actions: c.actions,
  packItems: c.packItems,
  disabledAt: c.disabledAt?.toISOString() ?? null,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

// The catalogue is the MSP's: its rows belong to the MSP's organization for authorization and audit.
async function mspOrganizationId(ctx: ServiceContext): Promise<string> {
  const [msp] = await ctx.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.kind, 'msp'));
  return msp?.id ?? ctx.actor.organizationId;
}

export async function findCapability(ctx: ServiceContext, id: string): Promise<Row> {
  if (!isUuid(id)) throw new NotFoundError('capability');
  const [row] = await ctx.db.select().from(capabilities).where(eq(capabilities.id, id));
  if (!row) throw new NotFoundError('capability');
  return row;
}

export async function listCapabilities(ctx: ServiceContext, query: unknown): Promise<{ items: CapabilityOutput[] }> {
  const q = parseInput(ListCapabilitiesQuery, query ?? {});
  await authorize(ctx, 'capability.view');
  const words = q.q?.toLowerCase();
  const rows = await ctx.db
    .select()
    .from(capabilities)
    .where(
      and(
        q.kind ? eq(capabilities.kind, q.kind) : undefined,
        q.disabled === 'exclude' ? sql`${capabilities.disabledAt} is null` : q.disabled === 'only' ? sql`${capabilities.disabledAt} is not null` : undefined,
        words ? sql`lower(${capabilities.key} || ' ' || ${capabilities.name} || ' ' || ${capabilities.description}) like ${`%${words.replace(/[%_\\]/g, '\\$&')}%`}` : undefined,
        q.risk ? sql`${capabilities.actions} @> ${JSON.stringify([{ risk: q.risk }])}::jsonb` : undefined,
      ),
    )
    .orderBy(asc(capabilities.kind), asc(capabilities.key));
  return { items: rows.map(toCapabilityOutput) };
}

export async function getCapability(ctx: ServiceContext, id: string): Promise<CapabilityOutput> {
  await authorize(ctx, 'capability.view');
  return toCapabilityOutput(await findCapability(ctx, id));
}

/** A pack's items must name existing entries that are not packs, with actions those entries offer. */
async function checkShape(ctx: ServiceContext, kind: Row['kind'], input: z.infer<typeof UpdateCapabilityInput>): Promise<void> {
  const keys = new Set<string>();
  input.actions.forEach((a, i) => {
    if (keys.has(a.key)) throw new InvalidInputError({ [`actions.${i}.key`]: `the action "${a.key}" is listed twice` });
    keys.add(a.key);
  });
  if (kind === 'pack') {
    if (input.actions.length) throw new InvalidInputError({ actions: 'a pack has no actions of its own: list packItems' });
    if (!input.packItems.length) throw new InvalidInputError({ packItems: 'a pack holds at least one capability' });
    for (const [i, item] of input.packItems.entries()) {
      const [member] = await ctx.db.select().from(capabilities).where(eq(capabilities.key, item.capabilityKey));
      if (!member) throw new InvalidInputError({ [`packItems.${i}.capabilityKey`]: `no capability "${item.capabilityKey}" is in the catalogue` });
      if (member.kind === 'pack') throw new InvalidInputError({ [`packItems.${i}.capabilityKey`]: `"${item.capabilityKey}" is a pack: a pack holds capabilities, not packs` });
      const unknown = item.actions.filter((a) => !member.actions.some((m) => m.key === a));
      if (unknown.length) throw new InvalidInputError({ [`packItems.${i}.actions`]: `${member.name} has no action ${unknown.map((a) => `"${a}"`).join(', ')}` });
    }
  } else {
    if (input.packItems.length) throw new InvalidInputError({ packItems: `only a pack holds other capabilities; this is a ${kind}` });
    if (!input.actions.length) throw new InvalidInputError({ actions: `a ${kind} offers at least one action (with its risk)` });
  }
}

async function audit(ctx: ServiceContext, action: string, row: Pick<Row, 'id' | 'key'>, details: Record<string, unknown> = {}) {
  await recordSuccess(ctx.db, ctx.actor, action, { type: 'capability', id: row.id, organizationId: await mspOrganizationId(ctx) }, { key: row.key, ...details });
}

export async function createCapability(ctx: ServiceContext, input: unknown): Promise<CapabilityOutput> {
  await authorize(ctx, 'capability.manage');
  const data = parseInput(CreateCapabilityInput, input ?? {});
  await checkShape(ctx, data.kind, data);
  try {
    const [row] = await ctx.db
      .insert(capabilities)
      .values({ ...data, builtIn: false, createdBy: ctx.actor.userId })
      .returning();
    await audit(ctx, 'capability.create', row!, { kind: data.kind });
    return toCapabilityOutput(row!);
  } catch (err) {
    if (isUniqueViolation(err, 'capabilities_key_unique')) throw new ConflictError('key', `A capability with the key "${data.key}" already exists.`);
    throw err;
  }
}

export async function updateCapability(ctx: ServiceContext, id: string, input: unknown): Promise<CapabilityOutput> {
  await authorize(ctx, 'capability.manage');
  const row = await findCapability(ctx, id);
  if (row.builtIn) throw new ConflictError('id', `${row.name} is built in: it changes with the product's releases. Disable it, or create your own entry.`);
  const data = parseInput(UpdateCapabilityInput, input ?? {});
  await checkShape(ctx, row.kind, data);
  const [updated] = await ctx.db
    .update(capabilities)
    .set({ ...data, updatedAt: new Date() })
    .where(eq(capabilities.id, id))
    .returning();
  await audit(ctx, 'capability.update', updated!);
  return toCapabilityOutput(updated!);
}

/** Disables (nothing may run it, anywhere) or enables an entry again. */
export async function setCapabilityDisabled(ctx: ServiceContext, id: string, disabled: boolean): Promise<CapabilityOutput> {
  await authorize(ctx, 'capability.manage');
  const row = await findCapability(ctx, id);
  const [updated] = await ctx.db
    .update(capabilities)
    .set({ disabledAt: disabled ? (row.disabledAt ?? new Date()) : null, updatedAt: new Date() })
    .where(eq(capabilities.id, id))
    .returning();
  await audit(ctx, disabled ? 'capability.disable' : 'capability.enable', updated!);
  return toCapabilityOutput(updated!);
}

/** What uses an entry: permissions (by organization), packs and instance attachments. */
async function usesOf(ctx: ServiceContext, row: Row): Promise<string[]> {
  const perms = await ctx.db
    .select({ name: organizations.name })
    .from(permissions)
    .innerJoin(organizations, eq(organizations.id, permissions.organizationId))
    .where(eq(permissions.capabilityId, row.id));
  const packs = await ctx.db
    .select({ name: capabilities.name })
    .from(capabilities)
    .where(sql`${capabilities.packItems} @> ${JSON.stringify([{ capabilityKey: row.key }])}::jsonb`);
  const attached = await ctx.db
    .select({ name: instances.name })
    .from(capabilityAttachments)
    .innerJoin(instances, eq(instances.id, capabilityAttachments.instanceId))
    .where(eq(capabilityAttachments.capabilityId, row.id));
  return [...perms.map((p) => `the permission of ${p.name}`), ...packs.map((p) => `the pack ${p.name}`), ...attached.map((a) => `the instance ${a.name}`)];
}

export async function deleteCapability(ctx: ServiceContext, id: string): Promise<CapabilityOutput> {
  await authorize(ctx, 'capability.manage');
  const row = await findCapability(ctx, id);
  if (row.builtIn) throw new ConflictError('id', `${row.name} is built in: disable it instead (a release would bring it back).`);
  const uses = await usesOf(ctx, row);
  if (uses.length)
    throw new ConflictError('id', `${row.name} is in use by ${uses.slice(0, 10).join(', ')}${uses.length > 10 ? ` and ${uses.length - 10} more` : ''}: remove those first.`);
  await ctx.db.delete(capabilities).where(eq(capabilities.id, id));
  await audit(ctx, 'capability.delete', row, { name: row.name });
  return toCapabilityOutput(row);
}
