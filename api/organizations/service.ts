// Organizations: the MSP's customers, plus the MSP's own "shared infrastructure". MSP staff see and manage
// all of them; company people see only their own.
import { and, asc, count, eq, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { apiTokens, invitations, nodes, organizations, sessions, users } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { recordSuccess } from '../audit/record.ts';
import { authorize, canSeeOrganization, type ServiceContext } from '../authz.ts';
import { displayName } from '../display-text.ts';
import { ConflictError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { listedOrganizationId } from '../list-scope.ts';
import { afterCursor, PageQuery, toPage } from '../pagination.ts';
import { isTimeZone } from '../schedules/calendar.ts';

export const OrganizationName = displayName('name', 100);
export const CreateOrganizationInput = z.object({ name: OrganizationName });
export const UpdateOrganizationInput = z.object({ name: OrganizationName });
export const ListOrganizationsQuery = PageQuery.extend({
  archived: z.enum(['include', 'exclude', 'only']).default('exclude'),
});

export const OrganizationOutput = z.object({
  id: z.string().uuid(),
  name: z.string(),
  kind: z.enum(['msp', 'customer']),
  createdAt: z.string(),
  archivedAt: z.string().nullable(),
  forbidSelfApproval: z.boolean(),
  timeZone: z.string().describe('IANA time zone: schedules’ times are shown, and new schedules read, in it'),
});
export const TimeZoneInput = z.object({
  timeZone: z.string('timeZone is required').refine(isTimeZone, 'timeZone must be an IANA time zone such as Europe/Berlin'),
});
export const ApprovalPolicyInput = z.object({ forbidSelfApproval: z.boolean('forbidSelfApproval must be true or false') });
export type OrganizationOutput = z.infer<typeof OrganizationOutput>;

type Row = typeof organizations.$inferSelect;
const toOutput = (o: Row): OrganizationOutput => ({
  id: o.id,
  name: o.name,
  kind: o.kind,
  createdAt: o.createdAt.toISOString(),
  archivedAt: o.archivedAt?.toISOString() ?? null,
  forbidSelfApproval: o.forbidSelfApproval,
  timeZone: o.timeZone,
});

const target = (id: string) => ({ organizationId: id, type: 'organization', id });

async function findVisible(ctx: ServiceContext, id: string): Promise<Row> {
  if (!isUuid(id)) throw new NotFoundError('organization');
  // Existence is only revealed to those who may see the organization.
  if (!canSeeOrganization(ctx.actor, id)) await authorize(ctx, 'organization.view', target(id));
  const [row] = await ctx.db.select().from(organizations).where(eq(organizations.id, id)).limit(1);
  if (!row) throw new NotFoundError('organization');
  return row;
}

function nameTaken(err: unknown, name: string): never {
  if (isUniqueViolation(err, 'organizations_name_unique')) throw new ConflictError('name', `An organization named "${name}" already exists.`);
  throw err;
}

export async function listOrganizations(ctx: ServiceContext, query: unknown) {
  const q = parseInput(ListOrganizationsQuery, query ?? {});
  const own = listedOrganizationId(ctx.actor, undefined);
  const rows = await ctx.db
    .select()
    .from(organizations)
    .where(
      and(
        own ? eq(organizations.id, own) : undefined,
        q.archived === 'exclude' ? isNull(organizations.archivedAt) : q.archived === 'only' ? sql`${organizations.archivedAt} is not null` : undefined,
        afterCursor(q.cursor, organizations.createdAt, organizations.id),
      ),
    )
    .orderBy(asc(organizations.createdAt), asc(organizations.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (o) => ({ at: o.createdAt.toISOString(), id: o.id }));
  return { items: page.items.map(toOutput), nextCursor: page.nextCursor };
}

export async function getOrganization(ctx: ServiceContext, id: string): Promise<OrganizationOutput> {
  await authorize(ctx, 'organization.view', target(id));
  return toOutput(await findVisible(ctx, id));
}

export async function createOrganization(ctx: ServiceContext, input: unknown): Promise<OrganizationOutput> {
  await authorize(ctx, 'organization.create');
  const { name } = parseInput(CreateOrganizationInput, input);
  // The record and its audit event commit together. A duplicate name aborts the transaction, so the
  // unique violation is translated outside it.
  const row = await ctx.db
    .transaction(async (tx) => {
      const [created] = await tx.insert(organizations).values({ name, kind: 'customer' }).returning();
      await recordSuccess(tx, ctx.actor, 'organization.create', { type: 'organization', id: created!.id, organizationId: created!.id }, { name });
      return created!;
    })
    .catch((e: unknown) => nameTaken(e, name));
  return toOutput(row);
}

export async function renameOrganization(ctx: ServiceContext, id: string, input: unknown): Promise<OrganizationOutput> {
  await authorize(ctx, 'organization.update', target(id));
  const before = await findVisible(ctx, id);
  const { name } = parseInput(UpdateOrganizationInput, input);
  if (before.archivedAt) throw new ConflictError('id', 'This organization is archived; it cannot be renamed.');
  const row = await ctx.db
    .transaction(async (tx) => {
      // Conditional on still being active, so a rename racing an archive cannot slip past it.
      const [updated] = await tx
        .update(organizations)
        .set({ name })
        .where(and(eq(organizations.id, id), isNull(organizations.archivedAt)))
        .returning();
      if (!updated) throw new ConflictError('id', 'This organization is archived; it cannot be renamed.');
      await recordSuccess(tx, ctx.actor, 'organization.rename', { type: 'organization', id, organizationId: id }, { from: before.name, to: name });
      return updated;
    })
    .catch((e: unknown) => nameTaken(e, name));
  return toOutput(row);
}

/** The organization's time zone (MSP staff): schedules' upcoming times are shown in it; new schedules default to it. */
export async function setTimeZone(ctx: ServiceContext, id: string, input: unknown): Promise<OrganizationOutput> {
  await authorize(ctx, 'organization.update', target(id));
  const before = await findVisible(ctx, id);
  const { timeZone } = parseInput(TimeZoneInput, input);
  const row = await ctx.db.transaction(async (tx) => {
    const [updated] = await tx.update(organizations).set({ timeZone }).where(eq(organizations.id, id)).returning();
    if (before.timeZone !== timeZone)
      await recordSuccess(tx, ctx.actor, 'organization.time_zone', { type: 'organization', id, organizationId: id }, { from: before.timeZone, to: timeZone });
    return updated!;
  });
  return toOutput(row);
}

/** Whether the requester of a job for this organization (its machines and instances) may also approve it (jobs requested from now on). */
export async function setApprovalPolicy(ctx: ServiceContext, id: string, input: unknown): Promise<OrganizationOutput> {
  await authorize(ctx, 'organization.update', target(id));
  const before = await findVisible(ctx, id);
  const { forbidSelfApproval } = parseInput(ApprovalPolicyInput, input);
  const row = await ctx.db.transaction(async (tx) => {
    const [updated] = await tx.update(organizations).set({ forbidSelfApproval }).where(eq(organizations.id, id)).returning();
    if (before.forbidSelfApproval !== forbidSelfApproval) {
      await recordSuccess(tx, ctx.actor, 'organization.approval_policy', { type: 'organization', id, organizationId: id }, { forbidSelfApproval });
    }
    return updated!;
  });
  return toOutput(row);
}

/**
 * Archives a customer organization, which ends its people's access: in one transaction its pending
 * invitations are withdrawn, its active people deactivated, their sessions ended and their API tokens
 * revoked, and the archive is audited with how many of each.
 */
export async function archiveOrganization(ctx: ServiceContext, id: string): Promise<OrganizationOutput> {
  await authorize(ctx, 'organization.archive', target(id));
  const org = await findVisible(ctx, id);
  if (org.kind === 'msp') throw new ConflictError('id', 'The shared infrastructure organization cannot be archived.');
  if (org.archivedAt) throw new ConflictError('id', 'This organization is already archived.');
  const row = await ctx.db.transaction(async (tx) => {
    // The organization row is locked so nodes added (they lock it to share) and a second archive wait.
    const [locked] = await tx.select().from(organizations).where(eq(organizations.id, id)).for('update');
    if (!locked) throw new NotFoundError('organization');
    if (locked.archivedAt) throw new ConflictError('id', 'This organization is already archived.');
    const [{ n }] = (await tx.select({ n: count() }).from(nodes).where(eq(nodes.organizationId, id))) as [{ n: number }];
    if (n > 0) {
      throw new ConflictError('id', `This organization still owns ${n} node${n === 1 ? '' : 's'}: move or remove ${n === 1 ? 'it' : 'them'} before archiving.`);
    }
    const now = new Date();
    // Invitations first: an acceptance in flight either committed before (its person is deactivated
    // below) or finds its invitation withdrawn.
    const withdrawn = await tx
      .update(invitations)
      .set({ revokedAt: now })
      .where(and(eq(invitations.organizationId, id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning({ id: invitations.id });
    const deactivated = await tx
      .update(users)
      .set({ active: false, deactivatedAt: now })
      .where(and(eq(users.organizationId, id), eq(users.active, true)))
      .returning({ id: users.id });
    const people = tx.select({ id: users.id }).from(users).where(eq(users.organizationId, id));
    const ended = await tx.delete(sessions).where(inArray(sessions.userId, people)).returning({ id: sessions.id });
    const revoked = await tx
      .update(apiTokens)
      .set({ revokedAt: now })
      .where(and(inArray(apiTokens.userId, people), isNull(apiTokens.revokedAt)))
      .returning({ id: apiTokens.id });
    const [archived] = await tx.update(organizations).set({ archivedAt: now }).where(eq(organizations.id, id)).returning();
    // signInsEnded: sessions deleted; apiAccessRevoked: API tokens revoked (named so the redactor keeps them).
    await recordSuccess(
      tx,
      ctx.actor,
      'organization.archive',
      { type: 'organization', id, organizationId: id },
      {
        name: org.name,
        peopleDeactivated: deactivated.length,
        signInsEnded: ended.length,
        apiAccessRevoked: revoked.length,
        invitationsRevoked: withdrawn.length,
      },
    );
    return archived!;
  });
  return toOutput(row);
}
