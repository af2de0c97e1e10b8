// Sharing a workflow definition with company users (issue 14): its organization's company admins and MSP
// staff run every definition; a company user runs the ones shared with them (api/authz.ts `workflow.run`).
// Sharing is who may run, not what runs: it adds no version. A run re-reads the share at each step, so
// unsharing (or deactivating the person) stops their runs in flight at the next step.
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Tx } from '../../db/client.ts';
import { jobs, users, workflowDefinitionShares } from '../../db/schema.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import { can, type Actor, type ServiceContext, type Target } from '../authz.ts';
import { InvalidInputError, parseInput, type FieldErrors } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { findDefinition } from './service.ts';

export const SetSharesInput = z.object({
  userIds: z
    .array(z.string().uuid('userIds holds people’s ids (UUIDs)'), 'userIds must be a list of people’s ids')
    .max(500, 'a definition is shared with at most 500 people')
    .describe('Every company user of the organization the definition is shared with (the whole set: anyone left out is unshared)'),
});

export const SharedPerson = z.object({ userId: z.string().uuid(), email: z.string(), name: z.string(), active: z.boolean(), sharedAt: z.string() });
export const SharesOutput = z.object({ definitionId: z.string().uuid(), sharedWith: z.array(SharedPerson) });
export type SharesOutput = z.infer<typeof SharesOutput>;

/** Whether the definition is shared with this person. */
export async function isSharedWith(db: Db | Tx, definitionId: string, userId: string | undefined): Promise<boolean> {
  if (!userId || !isUuid(definitionId)) return false;
  const [row] = await db
    .select({ userId: workflowDefinitionShares.userId })
    .from(workflowDefinitionShares)
    .where(and(eq(workflowDefinitionShares.definitionId, definitionId), eq(workflowDefinitionShares.userId, userId)));
  return Boolean(row);
}

/** A definition as the target of running it: its organization, and whether it is shared with the actor. */
export async function runTarget(db: Db | Tx, actor: Actor, d: { id: string; organizationId: string }): Promise<Target & { type: string; id: string }> {
  const sharedWith = actor.role === 'company_user' && (await isSharedWith(db, d.id, actor.userId));
  return { organizationId: d.organizationId, type: 'workflow_definition', id: d.id, sharedWith };
}

/** For a step of a run: whether the run's definition is shared with the actor (a company user acts on no instance otherwise). */
export async function runSharedWith(db: Db | Tx, actor: Actor, runJobId: string): Promise<boolean> {
  if (actor.role !== 'company_user') return false;
  const [run] = isUuid(runJobId) ? await db.select({ params: jobs.params }).from(jobs).where(eq(jobs.id, runJobId)) : [];
  const definitionId = run?.params.definitionId;
  return typeof definitionId === 'string' && isSharedWith(db, definitionId, actor.userId);
}

async function sharesOf(db: Db | Tx, definitionId: string): Promise<SharesOutput> {
  const rows = await db
    .select({ userId: users.id, email: users.email, name: users.name, active: users.active, sharedAt: workflowDefinitionShares.sharedAt })
    .from(workflowDefinitionShares)
    .innerJoin(users, eq(users.id, workflowDefinitionShares.userId))
    .where(eq(workflowDefinitionShares.definitionId, definitionId))
    .orderBy(asc(users.email));
  return { definitionId, sharedWith: rows.map((r) => ({ ...r, sharedAt: r.sharedAt.toISOString() })) };
}

/** Who the definition is shared with (its builders see it: the list names the organization's people). */
export async function getShares(ctx: ServiceContext, id: string): Promise<SharesOutput> {
  const { d } = await findDefinition(ctx, id, 'workflow_definition.build');
  return sharesOf(ctx.db, d.id);
}

/** Replaces the set of company users the definition is shared with; each must be an active company user of its organization. */
export async function setShares(ctx: ServiceContext, id: string, input: unknown): Promise<SharesOutput> {
  const { d, organizationName } = await findDefinition(ctx, id, 'workflow_definition.build');
  const userIds = [...new Set(parseInput(SetSharesInput, input ?? {}).userIds)];
  const people = new Map(
    (
      await ctx.db
        .select({ id: users.id, role: users.role, active: users.active, organizationId: users.organizationId })
        .from(users)
        .where(eq(users.organizationId, d.organizationId))
    ).map((p) => [p.id, p]),
  );
  const errors: FieldErrors = {};
  userIds.forEach((userId, i) => {
    const p = people.get(userId);
    // Someone of another organization reads as nobody: the answer must not tell who exists elsewhere.
    if (!p) errors[`userIds.${i}`] = `no person with this id in ${organizationName}`;
    else if (!p.active) errors[`userIds.${i}`] = 'this person is deactivated';
    else if (p.role !== 'company_user') errors[`userIds.${i}`] = `a ${p.role.replace('_', ' ')} runs every workflow of ${organizationName} already: share with company users only`;
  });
  if (Object.keys(errors).length) throw new InvalidInputError(errors);
  const before = await sharesOf(ctx.db, d.id);
  const had = new Set(before.sharedWith.map((s) => s.userId));
  const added = userIds.filter((u) => !had.has(u));
  const removed = [...had].filter((u) => !userIds.includes(u));
  await ctx.db.transaction(async (tx) => {
    for (const userId of removed)
      await tx.delete(workflowDefinitionShares).where(and(eq(workflowDefinitionShares.definitionId, d.id), eq(workflowDefinitionShares.userId, userId)));
    if (added.length) await tx.insert(workflowDefinitionShares).values(added.map((userId) => ({ definitionId: d.id, userId, sharedBy: ctx.actor.userId })));
    if (added.length || removed.length) await recordSuccess(tx, ctx.actor, 'workflow_definition.share', auditTarget('workflow_definition', d), { name: d.name, added, removed });
  });
  return sharesOf(ctx.db, d.id);
}

/** Whether the actor may run the definition (the console shows Run and Simulate only then). */
export async function mayRun(ctx: ServiceContext, d: { id: string; organizationId: string; archivedAt: string | null }): Promise<boolean> {
  return !d.archivedAt && can(ctx.actor, 'workflow.run', await runTarget(ctx.db, ctx.actor, d));
}
