// Workflow definitions (issue 14): an organization's named, ordered steps, saved as immutable versions.
// Company admins build their own organization's, MSP staff all; company users see them.
// authorize → validate → write → audit, like every service. Versions are only ever inserted (a database
// trigger refuses UPDATE and DELETE); a save whose content hashes the same as the current version adds none.
import crypto from 'node:crypto';
import { and, asc, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { organizations, users, workflowDefinitions, workflowVersions } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type DefinitionContent, type DefinitionExport, type Step } from '../../protocol/workflow-definition.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { listScope } from '../list-scope.ts';
import {
  CreateDefinitionInput,
  DuplicateInput,
  ImportInput,
  ListDefinitionsQuery,
  SaveVersionInput,
  type DefinitionOutput,
  type DefinitionSummary,
  type VersionOutput,
  type VersionSummary,
} from './model.ts';
import { checkStepsAgainstRecords } from './validate.ts';

type DefinitionRow = typeof workflowDefinitions.$inferSelect;
type VersionRow = typeof workflowVersions.$inferSelect;

/** The hash a version is known by: SHA-256 of the canonical JSON of what it holds. */
export const contentHash = (c: DefinitionContent): string =>
  crypto
    .createHash('sha256')
    .update(canonicalJson({ name: c.name, description: c.description, steps: c.steps }))
    .digest('hex');

const versionSummary = (v: VersionRow, createdBy: string | null): VersionSummary => ({
  number: v.number,
  contentHash: v.contentHash,
  stepCount: v.steps.length,
  createdBy,
  createdAt: v.createdAt.toISOString(),
});

const selectDefinitions = (db: Db | Tx) =>
  db
    .select({ d: workflowDefinitions, v: workflowVersions, organizationName: organizations.name, createdBy: users.email })
    .from(workflowDefinitions)
    .innerJoin(organizations, eq(organizations.id, workflowDefinitions.organizationId))
    .innerJoin(workflowVersions, eq(workflowVersions.id, workflowDefinitions.currentVersionId))
    .leftJoin(users, eq(users.id, workflowDefinitions.createdBy));

type Selected = { d: DefinitionRow; v: VersionRow; organizationName: string; createdBy: string | null };

const toSummary = ({ d, v, organizationName, createdBy }: Selected, versionCreatedBy: string | null = null): DefinitionSummary => ({
  id: d.id,
  organizationId: d.organizationId,
  organizationName,
  name: d.name,
  description: d.description,
  archivedAt: d.archivedAt?.toISOString() ?? null,
  currentVersion: versionSummary(v, versionCreatedBy),
  createdBy,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

const target = (d: DefinitionRow) => auditTarget('workflow_definition', d);

/** The definition, if the actor may do `action` to it (another organization's is "not found"). */
export async function findDefinition(ctx: ServiceContext, id: string, action: 'workflow_definition.view' | 'workflow_definition.build'): Promise<Selected> {
  if (!isUuid(id)) throw new NotFoundError('workflow definition');
  const [row] = await selectDefinitions(ctx.db).where(eq(workflowDefinitions.id, id));
  if (!row) throw new NotFoundError('workflow definition');
  await authorize(ctx, action, { organizationId: row.d.organizationId, type: 'workflow_definition', id });
  return row;
}

async function versionsOf(db: Db | Tx, definitionId: string) {
  return db
    .select({ v: workflowVersions, createdBy: users.email })
    .from(workflowVersions)
    .leftJoin(users, eq(users.id, workflowVersions.createdBy))
    .where(eq(workflowVersions.definitionId, definitionId))
    .orderBy(desc(workflowVersions.number));
}

async function output(db: Db | Tx, id: string): Promise<DefinitionOutput> {
  const [row] = await selectDefinitions(db).where(eq(workflowDefinitions.id, id));
  const versions = await versionsOf(db, id);
  const current = versions.find((x) => x.v.id === row!.v.id);
  return { ...toSummary(row!, current?.createdBy ?? null), steps: row!.v.steps as Step[], versions: versions.map((x) => versionSummary(x.v, x.createdBy)) };
}

export async function listDefinitions(ctx: ServiceContext, query: unknown): Promise<{ items: DefinitionSummary[] }> {
  const q = parseInput(ListDefinitionsQuery, query ?? {});
  const organizationId = await listScope(ctx, 'workflow_definition.view', q.organizationId);
  const archived = q.archived === 'only' ? isNotNull(workflowDefinitions.archivedAt) : q.archived === 'exclude' ? isNull(workflowDefinitions.archivedAt) : undefined;
  const rows = await selectDefinitions(ctx.db)
    .where(and(organizationId ? eq(workflowDefinitions.organizationId, organizationId) : undefined, archived))
    .orderBy(asc(organizations.name), asc(sql`lower(${workflowDefinitions.name})`));
  return { items: rows.map((r) => toSummary(r)) };
}

export async function getDefinition(ctx: ServiceContext, id: string): Promise<DefinitionOutput> {
  await findDefinition(ctx, id, 'workflow_definition.view');
  return output(ctx.db, id);
}

export async function getVersion(ctx: ServiceContext, id: string, number: number): Promise<VersionOutput> {
  await findDefinition(ctx, id, 'workflow_definition.view');
  const [row] = await ctx.db
    .select({ v: workflowVersions, createdBy: users.email })
    .from(workflowVersions)
    .leftJoin(users, eq(users.id, workflowVersions.createdBy))
    .where(and(eq(workflowVersions.definitionId, id), eq(workflowVersions.number, number)));
  if (!row) throw new NotFoundError('version of this workflow definition');
  const { v, createdBy } = row;
  return { ...versionSummary(v, createdBy), definitionId: id, name: v.name, description: v.description, steps: v.steps as Step[] };
}

/** The organization a definition is built in, refused when archived (`field` names what chose it). */
async function buildableOrganization(ctx: ServiceContext, organizationId: string, field: string) {
  await authorize(ctx, 'workflow_definition.build', { organizationId, type: 'organization', id: organizationId });
  const [org] = await ctx.db.select().from(organizations).where(eq(organizations.id, organizationId));
  if (!org) throw new NotFoundError('organization');
  if (org.archivedAt) throw new ConflictError(field, `${org.name} is archived; workflow definitions cannot be added to it.`);
  return org;
}

/** Inserts a definition and its version 1 in one transaction; a taken name is a 409 on `nameField`. */
async function insertDefinition(ctx: ServiceContext, org: { id: string; name: string }, content: DefinitionContent, nameField: string): Promise<DefinitionRow> {
  try {
    return await ctx.db.transaction(async (tx) => {
      const [d] = await tx
        .insert(workflowDefinitions)
        .values({ organizationId: org.id, name: content.name, description: content.description, createdBy: ctx.actor.userId })
        .returning();
      const [v] = await tx
        .insert(workflowVersions)
        .values({ definitionId: d!.id, number: 1, ...content, contentHash: contentHash(content), createdBy: ctx.actor.userId })
        .returning();
      await tx.update(workflowDefinitions).set({ currentVersionId: v!.id }).where(eq(workflowDefinitions.id, d!.id));
      return d!;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(nameField, `${org.name} already has a workflow definition named "${content.name}".`);
    throw err;
  }
}

const auditDetails = (content: DefinitionContent, number: number) => ({ name: content.name, version: number, contentHash: contentHash(content), steps: content.steps.length });

export async function createDefinition(ctx: ServiceContext, input: unknown): Promise<DefinitionOutput> {
  const { organizationId, ...content } = parseInput(CreateDefinitionInput, input ?? {});
  const org = await buildableOrganization(ctx, organizationId, 'organizationId');
  await checkStepsAgainstRecords(ctx.db, org, content.steps);
  const d = await insertDefinition(ctx, org, content, 'name');
  await recordSuccess(ctx.db, ctx.actor, 'workflow_definition.create', target(d), auditDetails(content, 1));
  return output(ctx.db, d.id);
}

/**
 * Saves the content as a new version, numbered after the last; the same content as the current version
 * (same hash) adds none. The definition's row is locked, so two saves at once number their versions in turn.
 */
export async function saveVersion(ctx: ServiceContext, id: string, input: unknown): Promise<DefinitionOutput & { versionCreated: boolean }> {
  const found = await findDefinition(ctx, id, 'workflow_definition.build');
  const body = parseInput(SaveVersionInput, input ?? {});
  if (found.d.archivedAt) throw new ConflictError('archivedAt', `${found.d.name} is archived: unarchive it before saving.`);
  const content: DefinitionContent = { name: body.name ?? found.d.name, description: body.description ?? found.d.description, steps: body.steps };
  await checkStepsAgainstRecords(ctx.db, { id: found.d.organizationId, name: found.organizationName }, content.steps);
  const hash = contentHash(content);
  let number: number | null;
  try {
    number = await ctx.db.transaction(async (tx) => {
      const [d] = await tx.select().from(workflowDefinitions).where(eq(workflowDefinitions.id, id)).for('update');
      const [last] = await tx.select().from(workflowVersions).where(eq(workflowVersions.definitionId, id)).orderBy(desc(workflowVersions.number)).limit(1);
      const current = await tx.select().from(workflowVersions).where(eq(workflowVersions.id, d!.currentVersionId!));
      if (current[0]?.contentHash === hash) return null;
      const next = (last?.number ?? 0) + 1;
      const [v] = await tx
        .insert(workflowVersions)
        .values({ definitionId: id, number: next, ...content, contentHash: hash, createdBy: ctx.actor.userId })
        .returning();
      await tx
        .update(workflowDefinitions)
        .set({ currentVersionId: v!.id, name: content.name, description: content.description, updatedAt: new Date() })
        .where(eq(workflowDefinitions.id, id));
      return next;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('name', `${found.organizationName} already has a workflow definition named "${content.name}".`);
    throw err;
  }
  if (number !== null) await recordSuccess(ctx.db, ctx.actor, 'workflow_definition.save', target(found.d), auditDetails(content, number));
  return { ...(await output(ctx.db, id)), versionCreated: number !== null };
}

/** A new definition in the same organization with the current version's steps. */
export async function duplicateDefinition(ctx: ServiceContext, id: string, input: unknown): Promise<DefinitionOutput> {
  const found = await findDefinition(ctx, id, 'workflow_definition.build');
  const body = parseInput(DuplicateInput, input ?? {});
  const org = await buildableOrganization(ctx, found.d.organizationId, 'organizationId');
  const content: DefinitionContent = { name: body.name ?? `Copy of ${found.d.name}`.slice(0, 100), description: found.v.description, steps: found.v.steps as Step[] };
  // Its records may have changed since the original was saved (a connection deleted): the copy is checked anew.
  await checkStepsAgainstRecords(ctx.db, org, content.steps);
  const d = await insertDefinition(ctx, org, content, 'name');
  await recordSuccess(ctx.db, ctx.actor, 'workflow_definition.duplicate', target(d), { ...auditDetails(content, 1), from: found.d.id });
  return output(ctx.db, d.id);
}

export async function setDefinitionArchived(ctx: ServiceContext, id: string, archived: boolean): Promise<DefinitionOutput> {
  const { d } = await findDefinition(ctx, id, 'workflow_definition.build');
  if (archived === (d.archivedAt !== null)) return output(ctx.db, id);
  await ctx.db
    .update(workflowDefinitions)
    .set({ archivedAt: archived ? new Date() : null, updatedAt: new Date() })
    .where(eq(workflowDefinitions.id, id));
  await recordSuccess(ctx.db, ctx.actor, archived ? 'workflow_definition.archive' : 'workflow_definition.unarchive', target(d), { name: d.name });
  return output(ctx.db, id);
}

/** The current version (or `number`) as a document import takes. */
export async function exportDefinition(ctx: ServiceContext, id: string, number?: number): Promise<DefinitionExport> {
  const v = number === undefined ? (await findDefinition(ctx, id, 'workflow_definition.view')).v : await getVersion(ctx, id, number);
  return { format: EXPORT_FORMAT, formatVersion: EXPORT_FORMAT_VERSION, name: v.name, description: v.description, steps: v.steps as Step[] };
}

/** A new definition from an exported document: validated like a save, its ids checked against the organization. */
export async function importDefinition(ctx: ServiceContext, input: unknown): Promise<DefinitionOutput> {
  const { organizationId, name, definition } = parseInput(ImportInput, input ?? {});
  const org = await buildableOrganization(ctx, organizationId, 'organizationId');
  const content: DefinitionContent = { name: name ?? definition.name, description: definition.description, steps: definition.steps };
  await checkStepsAgainstRecords(ctx.db, org, content.steps, 'definition.steps');
  const d = await insertDefinition(ctx, org, content, name ? 'name' : 'definition.name');
  await recordSuccess(ctx.db, ctx.actor, 'workflow_definition.import', target(d), auditDetails(content, 1));
  return output(ctx.db, d.id);
}
