// Loads what the policy engine decides on (engine.ts) from PostgreSQL: the catalogue entry, the
// organization's effective permission (its own row, or the built-in default), an instance's attachments,
// the connection and the usage of the last hour and day.
import { and, count, desc, eq, gte, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { capabilities, capabilityAttachments, capabilityUsage, connections, instances, organizations, permissions } from '../../db/schema.ts';
import { builtIn } from '../capabilities/catalogue.ts';
import type { CapabilityFacts, PermissionFacts, PolicyFacts } from './engine.ts';

type Capability = typeof capabilities.$inferSelect;

/** What the engine needs of a catalogue row. */
export const capabilityFacts = (c: Capability): CapabilityFacts => ({
  key: c.key,
  name: c.name,
  kind: c.kind,
  disabled: c.disabledAt !== null,
  actions: c.actions,
  provider: c.provider,
});

export interface PolicyQuestion {
  organizationId: string;
  capabilityKey: string;
  action: string;
  instance?: { id: string; name: string };
  /** The connection the action goes through (a workflow step names one); else the organization's to the provider. */
  connectionId?: string;
}

/** The organization's own permission for the capability, or the built-in default when it has none. */
export async function effectivePermission(db: Db | Tx, organizationId: string, capability: Capability): Promise<PermissionFacts | null> {
  const [row] = await db
    .select()
    .from(permissions)
    .where(and(eq(permissions.organizationId, organizationId), eq(permissions.capabilityId, capability.id)));
  if (row) {
    const { enabled, allowedActions, confirmation, approval, runsPerHour, runsPerDay, enforced } = row;
    // Rows written before N-of-M name no groups.
    return {
      enabled,
      allowedActions,
      confirmation,
      approval: { ...approval, approverGroupIds: approval.approverGroupIds ?? [] },
      runsPerHour,
      runsPerDay,
      enforced,
      source: 'organization',
    };
  }
  const fallback = capability.builtIn ? builtIn(capability.key)?.defaultPermission : undefined;
  if (!fallback) return null;
  return {
    enabled: true,
    allowedActions: fallback.allowedActions === 'all' ? capability.actions.map((a) => a.key) : fallback.allowedActions,
    confirmation: fallback.confirmation,
    approval: { ...fallback.approval, approverGroupIds: fallback.approval.approverGroupIds ?? [] },
    runsPerHour: null,
    runsPerDay: null,
    enforced: false,
    source: 'default',
  };
}

/** What an instance's attachments allow, capability key → actions (packs expanded), or null when it has none. */
export async function attachedActions(db: Db | Tx, instanceId: string): Promise<Record<string, string[]> | null> {
  const attached = await db
    .select({ capability: capabilities })
    .from(capabilityAttachments)
    .innerJoin(capabilities, eq(capabilities.id, capabilityAttachments.capabilityId))
    .where(eq(capabilityAttachments.instanceId, instanceId));
  if (!attached.length) return null;
  const allowed: Record<string, Set<string>> = {};
  const add = (key: string, actions: string[]) => actions.forEach((a) => (allowed[key] ??= new Set()).add(a));
  for (const { capability: c } of attached) {
    // A disabled pack brings nothing; a disabled tool is blocked by its own rule anyway.
    if (c.kind === 'pack' && !c.disabledAt) c.packItems.forEach((item) => add(item.capabilityKey, item.actions));
    else if (c.kind !== 'pack')
      add(
        c.key,
        c.actions.map((a) => a.key),
      );
  }
  return Object.fromEntries(Object.entries(allowed).map(([k, v]) => [k, [...v]]));
}

/**
 * The organization's connection to a provider, as the engine sees it: a connected one if it has one
 * (several may exist: a demo and a live one), else the one whose status changed last; null when none.
 */
export async function connectionFacts(db: Db | Tx, organizationId: string, provider: string): Promise<{ name: string; status: string } | null> {
  const [row] = await db
    .select({ name: connections.name, status: connections.status })
    .from(connections)
    .where(and(eq(connections.organizationId, organizationId), eq(connections.provider, provider)))
    .orderBy(sql`${connections.status} = 'connected' desc`, desc(connections.statusChangedAt))
    .limit(1);
  return row ?? null;
}

/** One connection of the organization to the provider, as the engine sees it; null when it is not one. */
async function namedConnectionFacts(db: Db | Tx, organizationId: string, provider: string, id: string): Promise<{ name: string; status: string } | null> {
  const [row] = await db
    .select({ name: connections.name, status: connections.status })
    .from(connections)
    .where(and(eq(connections.id, id), eq(connections.organizationId, organizationId), eq(connections.provider, provider)));
  return row ?? null;
}

/** Allowed runs of the capability by the organization in the last hour and the last day. */
export async function usageOf(db: Db | Tx, organizationId: string, capabilityId: string, now = new Date()) {
  const since = (ms: number) => new Date(now.getTime() - ms);
  const countSince = async (from: Date) => {
    const [row] = await db
      .select({ n: count() })
      .from(capabilityUsage)
      .where(and(eq(capabilityUsage.organizationId, organizationId), eq(capabilityUsage.capabilityId, capabilityId), gte(capabilityUsage.at, from)));
    return row?.n ?? 0;
  };
  return { lastHour: await countSince(since(3_600_000)), lastDay: await countSince(since(86_400_000)) };
}

export async function loadFacts(db: Db | Tx, q: PolicyQuestion): Promise<PolicyFacts & { capabilityId: string | null }> {
  const [org] = await db.select({ id: organizations.id, name: organizations.name }).from(organizations).where(eq(organizations.id, q.organizationId));
  const organization = org ?? { id: q.organizationId, name: 'the organization' };
  const [capability] = await db.select().from(capabilities).where(eq(capabilities.key, q.capabilityKey));
  const base = { capabilityKey: q.capabilityKey, action: q.action, organization, usage: { lastHour: 0, lastDay: 0 } };
  if (!capability) return { ...base, capabilityId: null, capability: null, permission: null };
  return {
    ...base,
    capabilityId: capability.id,
    capability: capabilityFacts(capability),
    permission: await effectivePermission(db, organization.id, capability),
    ...(q.instance ? { instance: { name: q.instance.name, attached: await attachedActions(db, q.instance.id) } } : {}),
    ...(capability.provider
      ? {
          connection: q.connectionId
            ? await namedConnectionFacts(db, organization.id, capability.provider, q.connectionId)
            : await connectionFacts(db, organization.id, capability.provider),
        }
      : {}),
    usage: await usageOf(db, organization.id, capability.id),
  };
}

/** Whether the instance is one of the organization's (a workflow step's instance may have been removed since it was saved). */
export async function instanceInOrganization(db: Db | Tx, instanceId: string, organizationId: string): Promise<{ id: string; name: string } | null> {
  const [row] = await db
    .select({ id: instances.id, name: instances.name })
    .from(instances)
    .where(and(eq(instances.id, instanceId), eq(instances.organizationId, organizationId)));
  return row ?? null;
}
