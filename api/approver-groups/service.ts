// Approver groups (issue 14): named sets of people per organization who may approve where an approval
// policy names the group. A customer's group holds its own people and MSP staff; a group of the MSP's own
// organization is MSP-wide (MSP staff only). Company admins manage their organization's groups, MSP staff
// all; everyone in the organization sees them (the Approvals inbox says why a request is theirs).
// Membership is read at each decision (activities/jobs.ts confirmDecision), so removing a person takes
// effect on the next approval, even for requests already waiting.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { approverGroupMembers, approverGroups, organizations, permissions, users } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import { authorize, isMspStaff, type ServiceContext } from '../authz.ts';
import { ConflictError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { listScope } from '../list-scope.ts';
import { CreateApproverGroupInput, ListApproverGroupsQuery, UpdateApproverGroupInput, type ApproverGroupOutput } from './model.ts';

type GroupRow = typeof approverGroups.$inferSelect;
type Selected = { g: GroupRow; organizationName: string; organizationKind: string };

const select = (ctx: ServiceContext) =>
  ctx.db
    .select({ g: approverGroups, organizationName: organizations.name, organizationKind: organizations.kind })
    .from(approverGroups)
    .innerJoin(organizations, eq(organizations.id, approverGroups.organizationId));

async function withMembers(ctx: ServiceContext, rows: Selected[]): Promise<ApproverGroupOutput[]> {
  const ids = rows.map((r) => r.g.id);
  const members = ids.length
    ? await ctx.db
        .select({ groupId: approverGroupMembers.groupId, userId: users.id, email: users.email, name: users.name, role: users.role, active: users.active })
        .from(approverGroupMembers)
        .innerJoin(users, eq(users.id, approverGroupMembers.userId))
        .where(inArray(approverGroupMembers.groupId, ids))
        .orderBy(asc(users.email))
    : [];
  return rows.map(({ g, organizationName, organizationKind }) => ({
    id: g.id,
    organizationId: g.organizationId,
    organizationName,
    mspWide: organizationKind === 'msp',
    name: g.name,
    description: g.description,
    members: members.filter((m) => m.groupId === g.id).map(({ groupId: _, ...m }) => m),
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
  }));
}

const target = (g: GroupRow) => ({ organizationId: g.organizationId, type: 'approver_group', id: g.id });

async function findGroup(ctx: ServiceContext, id: string, action: 'approver_group.view' | 'approver_group.manage'): Promise<Selected> {
  if (!isUuid(id)) throw new NotFoundError('approver group');
  const [row] = await select(ctx).where(eq(approverGroups.id, id));
  if (!row) throw new NotFoundError('approver group');
  await authorize(ctx, action, target(row.g));
  return row;
}

const reload = async (ctx: ServiceContext, id: string) => (await withMembers(ctx, await select(ctx).where(eq(approverGroups.id, id))))[0]!;

const nameTaken = (organizationName: string, name: string) => new ConflictError('name', `${organizationName} already has an approver group named "${name}".`);

/** The organization's groups and the MSP-wide ones (its policies may name both); MSP staff: all, or one organization's. */
export async function listApproverGroups(ctx: ServiceContext, query: unknown): Promise<{ items: ApproverGroupOutput[] }> {
  const q = parseInput(ListApproverGroupsQuery, query ?? {});
  const organizationId = await listScope(ctx, 'approver_group.view', q.organizationId);
  const rows = await select(ctx)
    .where(organizationId ? sql`(${eq(approverGroups.organizationId, organizationId)} or ${eq(organizations.kind, 'msp')})` : undefined)
    .orderBy(asc(organizations.name), asc(approverGroups.name));
  return { items: await withMembers(ctx, rows) };
}

export async function getApproverGroup(ctx: ServiceContext, id: string): Promise<ApproverGroupOutput> {
  const row = await findGroup(ctx, id, 'approver_group.view');
  return (await withMembers(ctx, [row]))[0]!;
}

export async function createApproverGroup(ctx: ServiceContext, input: unknown): Promise<ApproverGroupOutput> {
  const { organizationId, name, description } = parseInput(CreateApproverGroupInput, input ?? {});
  await authorize(ctx, 'approver_group.manage', { organizationId, type: 'organization', id: organizationId });
  const [org] = await ctx.db.select().from(organizations).where(eq(organizations.id, organizationId));
  if (!org) throw new NotFoundError('organization');
  if (org.archivedAt) throw new ConflictError('organizationId', `${org.name} is archived; approver groups cannot be added to it.`);
  try {
    const [row] = await ctx.db.insert(approverGroups).values({ organizationId, name, description, createdBy: ctx.actor.userId }).returning();
    await recordSuccess(ctx.db, ctx.actor, 'approver_group.create', auditTarget('approver_group', row!), { name, description });
    return reload(ctx, row!.id);
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(org.name, name);
    throw err;
  }
}

export async function updateApproverGroup(ctx: ServiceContext, id: string, input: unknown): Promise<ApproverGroupOutput> {
  const { g, organizationName } = await findGroup(ctx, id, 'approver_group.manage');
  const body = parseInput(UpdateApproverGroupInput, input ?? {});
  const changes = Object.fromEntries(Object.entries(body).filter(([k, v]) => v !== undefined && v !== g[k as keyof GroupRow]));
  if (Object.keys(changes).length === 0) return reload(ctx, id);
  try {
    await ctx.db
      .update(approverGroups)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(approverGroups.id, id));
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(organizationName, String(changes.name));
    throw err;
  }
  await recordSuccess(ctx.db, ctx.actor, 'approver_group.update', auditTarget('approver_group', g), { before: { name: g.name, description: g.description }, after: changes });
  return reload(ctx, id);
}

/** Deletes a group that no permission names (a policy naming a deleted group would silently mean fewer approvers). */
export async function deleteApproverGroup(ctx: ServiceContext, id: string): Promise<ApproverGroupOutput> {
  const found = await findGroup(ctx, id, 'approver_group.manage');
  const naming = await ctx.db
    .select({ organizationId: permissions.organizationId })
    .from(permissions)
    .where(sql`${permissions.approval}->'approverGroupIds' @> ${JSON.stringify([id])}::jsonb`);
  if (naming.length)
    throw new ConflictError('id', `${naming.length === 1 ? 'A permission names' : `${naming.length} permissions name`} ${found.g.name} as approvers: change them first.`);
  const before = (await withMembers(ctx, [found]))[0]!;
  await ctx.db.delete(approverGroups).where(eq(approverGroups.id, id));
  await recordSuccess(ctx.db, ctx.actor, 'approver_group.delete', auditTarget('approver_group', found.g), { name: found.g.name, members: before.members.map((m) => m.email) });
  return before;
}

/** Adds a person: one of the group's organization, or MSP staff (an MSP-wide group: MSP staff only). */
export async function addApproverGroupMember(ctx: ServiceContext, id: string, userId: string): Promise<ApproverGroupOutput> {
  const { g, organizationKind } = await findGroup(ctx, id, 'approver_group.manage');
  const [person] = isUuid(userId) ? await ctx.db.select().from(users).where(eq(users.id, userId)) : [];
  // A person the actor may not see is "not found", like any record of another organization.
  if (!person || (!isMspStaff(ctx.actor) && person.organizationId !== ctx.actor.organizationId && !isMspStaff(person))) throw new NotFoundError('person');
  const mspPerson = isMspStaff(person);
  if (organizationKind === 'msp' ? !mspPerson : !mspPerson && person.organizationId !== g.organizationId)
    throw new ConflictError(
      'userId',
      `${person.email} may not join ${g.name}: its members are ${organizationKind === 'msp' ? 'MSP staff' : 'people of its organization and MSP staff'}.`,
    );
  if (!person.active) throw new ConflictError('userId', `${person.email} is deactivated.`);
  const added = await ctx.db.insert(approverGroupMembers).values({ groupId: id, userId, addedBy: ctx.actor.userId }).onConflictDoNothing().returning();
  if (added.length) await recordSuccess(ctx.db, ctx.actor, 'approver_group.member_add', auditTarget('approver_group', g), { name: g.name, member: person.email });
  return reload(ctx, id);
}

export async function removeApproverGroupMember(ctx: ServiceContext, id: string, userId: string): Promise<ApproverGroupOutput> {
  const { g } = await findGroup(ctx, id, 'approver_group.manage');
  if (!isUuid(userId)) throw new NotFoundError('member');
  const removed = await ctx.db
    .delete(approverGroupMembers)
    .where(and(eq(approverGroupMembers.groupId, id), eq(approverGroupMembers.userId, userId)))
    .returning();
  if (!removed.length) throw new NotFoundError('member');
  const [person] = await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  await recordSuccess(ctx.db, ctx.actor, 'approver_group.member_remove', auditTarget('approver_group', g), { name: g.name, member: person?.email ?? userId });
  return reload(ctx, id);
}
