// Organizations: the MSP's customers, plus the MSP's own "shared infrastructure". MSP staff see and manage
// all of them; company people see only their own.
import { and, asc, count, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../../db/audit.ts';
import { nodes, organizations } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { auditActor, authorize, canSeeOrganization, isMspStaff, type ServiceContext } from '../authz.ts';
import { ConflictError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { decodeCursor, PageQuery, toPage } from '../pagination.ts';

export const OrganizationName = z.string().trim().min(1, 'name is required').max(100, 'name must be at most 100 characters');
export const CreateOrganizationInput = z.object({ name: OrganizationName });
export const UpdateOrganizationInput = z.object({ name: OrganizationName });
export const ListOrganizationsQuery = PageQuery.extend({
  archived: z.enum(['include', 'exclude', 'only']).default('exclude'),
});

export const OrganizationOutput = z.object({
  id: z.string().uuid(), name: z.string(), kind: z.enum(['msp', 'customer']), createdAt: z.string(), archivedAt: z.string().nullable(),
});
export type OrganizationOutput = z.infer<typeof OrganizationOutput>;

type Row = typeof organizations.$inferSelect;
const toOutput = (o: Row): OrganizationOutput => ({
  id: o.id, name: o.name, kind: o.kind, createdAt: o.createdAt.toISOString(), archivedAt: o.archivedAt?.toISOString() ?? null,
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
  const after = decodeCursor(q.cursor);
  const rows = await ctx.db.select().from(organizations).where(and(
    isMspStaff(ctx.actor) ? undefined : eq(organizations.id, ctx.actor.organizationId),
    q.archived === 'exclude' ? isNull(organizations.archivedAt) : q.archived === 'only' ? sql`${organizations.archivedAt} is not null` : undefined,
    after ? or(gt(organizations.createdAt, new Date(after.at)), and(eq(organizations.createdAt, new Date(after.at)), gt(organizations.id, after.id))) : undefined,
  )).orderBy(asc(organizations.createdAt), asc(organizations.id)).limit(q.limit + 1);
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
  const [row] = await ctx.db.insert(organizations).values({ name, kind: 'customer' }).returning().catch((e) => nameTaken(e, name));
  await recordAudit(ctx.db, {
    ...auditActor(ctx.actor), organizationId: row!.id, action: 'organization.create', targetType: 'organization', targetId: row!.id,
    outcome: 'success', details: { name },
  });
  return toOutput(row!);
}

export async function renameOrganization(ctx: ServiceContext, id: string, input: unknown): Promise<OrganizationOutput> {
  await authorize(ctx, 'organization.update', target(id));
  const before = await findVisible(ctx, id);
  const { name } = parseInput(UpdateOrganizationInput, input);
  if (before.archivedAt) throw new ConflictError('id', 'This organization is archived; it cannot be renamed.');
  const [row] = await ctx.db.update(organizations).set({ name }).where(eq(organizations.id, id)).returning().catch((e) => nameTaken(e, name));
  await recordAudit(ctx.db, {
    ...auditActor(ctx.actor), organizationId: id, action: 'organization.rename', targetType: 'organization', targetId: id,
    outcome: 'success', details: { from: before.name, to: name },
  });
  return toOutput(row!);
}

export async function archiveOrganization(ctx: ServiceContext, id: string): Promise<OrganizationOutput> {
  await authorize(ctx, 'organization.archive', target(id));
  const org = await findVisible(ctx, id);
  if (org.kind === 'msp') throw new ConflictError('id', 'The shared infrastructure organization cannot be archived.');
  if (org.archivedAt) throw new ConflictError('id', 'This organization is already archived.');
  const [{ n }] = (await ctx.db.select({ n: count() }).from(nodes).where(eq(nodes.organizationId, id))) as [{ n: number }];
  if (n > 0) {
    throw new ConflictError('id', `This organization still owns ${n} node${n === 1 ? '' : 's'}: move or remove ${n === 1 ? 'it' : 'them'} before archiving.`);
  }
  const [row] = await ctx.db.update(organizations).set({ archivedAt: new Date() }).where(eq(organizations.id, id)).returning();
  await recordAudit(ctx.db, {
    ...auditActor(ctx.actor), organizationId: id, action: 'organization.archive', targetType: 'organization', targetId: id, outcome: 'success',
  });
  return toOutput(row!);
}
