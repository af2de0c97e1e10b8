// Nodes as records: a managed machine of a customer organization (or of the MSP's shared infrastructure).
// MSP staff see and manage every node; a company admin sees their own organization's nodes; a company user
// sees none. Status stays 'pending' until an agent enrolls (the agent is another issue).
import { aliasedTable, and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { NODE_STATUSES, nodes, organizations, users } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { recordSuccess } from '../audit/record.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { displayText } from '../display-text.ts';
import { ConflictError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { listScope } from '../list-scope.ts';
import { afterCursor, PageQuery, toPage } from '../pagination.ts';

export const MAX_LABELS = 20;
const NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i;
const LABEL_PATTERN = /^[A-Za-z0-9._=:/-]+$/;

export const NodeName = z
  .string('name is required')
  .trim()
  .min(1, 'name is required')
  .max(63, 'name must be at most 63 characters')
  .regex(NAME_PATTERN, 'name may contain only letters, digits, dots and hyphens, and must start and end with a letter or digit');
export const NodeLabel = z
  .string('each label must be text')
  .trim()
  .min(1, 'a label cannot be empty')
  .max(63, { error: (issue) => `label "${String(issue.input).slice(0, 20)}…" is longer than 63 characters` })
  .regex(LABEL_PATTERN, { error: (issue) => `label "${String(issue.input)}" may contain only letters, digits and . _ = : / -` });
export const NodeLabels = z.array(NodeLabel, 'labels must be a list of text labels').max(MAX_LABELS, `at most ${MAX_LABELS} labels`);
export const NodeNotes = displayText('notes', 2000);

export const CreateNodeInput = z.object({
  organizationId: z.string('organizationId is required').uuid('organizationId must be a UUID'),
  name: NodeName,
  labels: NodeLabels.default([]),
  notes: NodeNotes.default(''),
});
export const UpdateNodeInput = z.object({ name: NodeName.optional(), labels: NodeLabels.optional(), notes: NodeNotes.optional() });
export const ListNodesQuery = PageQuery.extend({
  organizationId: z.string().uuid('organizationId must be a UUID').optional(),
  status: z.enum(NODE_STATUSES, `status must be one of ${NODE_STATUSES.join(', ')}`).optional(),
});

export const NodeOutput = z.object({
  id: z.string().uuid(),
  organizationId: z.string().uuid(),
  organizationName: z.string(),
  name: z.string(),
  labels: z.array(z.string()),
  notes: z.string(),
  status: z.enum(NODE_STATUSES),
  createdBy: z.string().nullable().describe('email of the person who created the record'),
  createdAt: z.string(),
  updatedAt: z.string(),
  enrolledAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastSeenAt: z.string().nullable().describe('when the agent last reported'),
  agent: z.object({ version: z.string(), hostname: z.string(), os: z.string(), dockerVersion: z.string().nullable() }).nullable().describe('from the last report of the agent'),
});
export type NodeOutput = z.infer<typeof NodeOutput>;

const creators = aliasedTable(users, 'creators');

function selectNodes(ctx: ServiceContext) {
  return ctx.db
    .select({ node: nodes, organizationName: organizations.name, createdBy: creators.email })
    .from(nodes)
    .innerJoin(organizations, eq(organizations.id, nodes.organizationId))
    .leftJoin(creators, eq(creators.id, nodes.createdBy));
}

type Joined = { node: typeof nodes.$inferSelect; organizationName: string; createdBy: string | null };
const toOutput = ({ node: n, organizationName, createdBy }: Joined): NodeOutput => ({
  id: n.id,
  organizationId: n.organizationId,
  organizationName,
  name: n.name,
  labels: n.labels,
  notes: n.notes,
  status: n.status,
  createdBy,
  createdAt: n.createdAt.toISOString(),
  updatedAt: n.updatedAt.toISOString(),
  enrolledAt: n.enrolledAt?.toISOString() ?? null,
  revokedAt: n.revokedAt?.toISOString() ?? null,
  lastSeenAt: n.lastSeenAt?.toISOString() ?? null,
  agent: agentOf(n.lastReport),
});

function agentOf(report: Record<string, unknown> | null): NodeOutput['agent'] {
  if (!report) return null;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    version: text(report.agentVersion),
    hostname: text(report.hostname),
    os: text(report.os),
    dockerVersion: typeof report.dockerVersion === 'string' ? report.dockerVersion : null,
  };
}

const nodeTarget = (n: { id: string; organizationId: string }) => ({ organizationId: n.organizationId, type: 'node', id: n.id });
const uniqueLabels = (labels: string[]) => [...new Set(labels)];

/** The node, if the actor may see it: another organization's node is "not found", like a missing one. */
async function findVisible(ctx: ServiceContext, id: string): Promise<Joined> {
  if (!isUuid(id)) throw new NotFoundError('node');
  const [row] = await selectNodes(ctx).where(eq(nodes.id, id)).limit(1);
  if (!row) throw new NotFoundError('node');
  await authorize(ctx, 'node.view', nodeTarget(row.node));
  return row;
}

function nameTaken(err: unknown, name: string, organizationName: string): never {
  if (isUniqueViolation(err, 'nodes_org_name_unique')) {
    throw new ConflictError('name', `A node named "${name}" already exists in ${organizationName} (names are compared ignoring case).`);
  }
  throw err;
}

export async function listNodes(ctx: ServiceContext, query: unknown) {
  const q = parseInput(ListNodesQuery, query ?? {});
  const organizationId = await listScope(ctx, 'node.view', q.organizationId);
  const rows = await selectNodes(ctx)
    .where(
      and(
        organizationId ? eq(nodes.organizationId, organizationId) : undefined,
        q.status ? eq(nodes.status, q.status) : undefined,
        afterCursor(q.cursor, nodes.createdAt, nodes.id),
      ),
    )
    .orderBy(asc(nodes.createdAt), asc(nodes.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => ({ at: r.node.createdAt.toISOString(), id: r.node.id }));
  return { items: page.items.map(toOutput), nextCursor: page.nextCursor };
}

export async function getNode(ctx: ServiceContext, id: string): Promise<NodeOutput> {
  return toOutput(await findVisible(ctx, id));
}

export async function createNode(ctx: ServiceContext, input: unknown): Promise<NodeOutput> {
  await authorize(ctx, 'node.create');
  const { organizationId, name, labels, notes } = parseInput(CreateNodeInput, input);
  const [org] = await ctx.db.select().from(organizations).where(eq(organizations.id, organizationId)).limit(1);
  if (!org) throw new NotFoundError('organization');
  const archived = () => new ConflictError('organizationId', `${org.name} is archived; nodes cannot be added to it.`);
  if (org.archivedAt) throw archived();
  // The record and its audit event commit together; a duplicate name aborts the transaction, so the
  // unique violation is translated outside it.
  const row = await ctx.db
    .transaction(async (tx) => {
      // Share-locked, so an archive of the organization cannot commit between this check and the insert.
      const [current] = await tx.select({ archivedAt: organizations.archivedAt }).from(organizations).where(eq(organizations.id, organizationId)).for('share');
      if (current?.archivedAt) throw archived();
      const [created] = await tx
        .insert(nodes)
        .values({ organizationId, name, labels: uniqueLabels(labels), notes, status: 'pending', createdBy: ctx.actor.userId })
        .returning();
      await recordSuccess(tx, ctx.actor, 'node.create', { type: 'node', id: created!.id, organizationId }, { name, labels: created!.labels });
      return created!;
    })
    .catch((e: unknown) => nameTaken(e, name, org.name));
  return getNode(ctx, row.id);
}

export async function updateNode(ctx: ServiceContext, id: string, input: unknown): Promise<NodeOutput> {
  const before = await findVisible(ctx, id);
  await authorize(ctx, 'node.update', nodeTarget(before.node));
  const parsed = parseInput(UpdateNodeInput, input ?? {});
  const next = { ...parsed, ...(parsed.labels ? { labels: uniqueLabels(parsed.labels) } : {}) };
  const set: Partial<typeof nodes.$inferInsert> = {};
  // What the audit event says changed: old and new values, except free-text notes (only that they changed).
  const changes: Record<string, unknown> = {};
  if (next.name !== undefined && next.name !== before.node.name) {
    set.name = next.name;
    changes.name = { from: before.node.name, to: next.name };
  }
  if (next.labels !== undefined && JSON.stringify(next.labels) !== JSON.stringify(before.node.labels)) {
    set.labels = next.labels;
    changes.labels = { from: before.node.labels, to: next.labels };
  }
  if (next.notes !== undefined && next.notes !== before.node.notes) {
    set.notes = next.notes;
    changes.notes = { changed: true };
  }
  const changed = Object.keys(set);
  if (changed.length === 0) return toOutput(before);
  await ctx.db
    .transaction(async (tx) => {
      await tx
        .update(nodes)
        .set({ ...set, updatedAt: new Date() })
        .where(eq(nodes.id, id));
      await recordSuccess(
        tx,
        ctx.actor,
        'node.update',
        { type: 'node', id, organizationId: before.node.organizationId },
        { name: next.name ?? before.node.name, changed, changes },
      );
    })
    .catch((e: unknown) => nameTaken(e, String(next.name), before.organizationName));
  return getNode(ctx, id);
}
