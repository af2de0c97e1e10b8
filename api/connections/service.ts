// Connections (ADR 0013): an organization's links to its SaaS providers. Company admins manage their own
// organization's, company users see that they exist, MSP staff all. Credentials are write-only: sealed
// under the organization's data key as they arrive, never returned, never in the audit trail.
// authorize → validate → write → audit, like every service.
import { and, asc, eq } from 'drizzle-orm';
import type { z } from 'zod';
import { capabilities, capabilityAttachments, connections, instances, organizations, users, type ConnectionStatus } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { auditTarget, recordActorEvent, recordSuccess } from '../audit/record.ts';
import { authorize, can, type ServiceContext } from '../authz.ts';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { listScope } from '../list-scope.ts';
import type { ConnectionOutput } from './model.ts';
import { CreateConnectionInput, CREDENTIAL_PLACEHOLDER, ListConnectionsQuery, SetCredentialsInput, UpdateConnectionInput } from './model.ts';
import { LiveNotAvailableError, ProviderAuthError, ProviderRequestError, type ProviderDefinition } from './providers/provider.ts';
import { providerOf } from './providers/registry.ts';
import { CredentialsUnavailableError, revokeAtProvider, sealCredentials, testConnectionCall, type RunnerOptions } from './runner.ts';
import { setConnectionStatus, type ConnectionRow } from './status.ts';

/** A hint only for a long secret, so the last four characters never are most of it. */
const HINT_MIN_LENGTH = 12;
export const hintOf = (provider: ProviderDefinition, credentials: Record<string, unknown>): string | null => {
  const value = credentials[provider.hintField];
  return typeof value === 'string' && value.length >= HINT_MIN_LENGTH ? `…${value.slice(-4)}` : null;
};

/** Parses a provider's part of the input (its credentials or metadata), naming fields as `prefix.field`. */
function parseProviderPart<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) errors[[prefix, ...issue.path].join('.')] ??= issue.message;
  throw new InvalidInputError(errors);
}

const select = (ctx: ServiceContext) =>
  ctx.db
    .select({ c: connections, organizationName: organizations.name, createdBy: users.email })
    .from(connections)
    .innerJoin(organizations, eq(organizations.id, connections.organizationId))
    .leftJoin(users, eq(users.id, connections.createdBy));

export type Selected = { c: ConnectionRow; organizationName: string; createdBy: string | null };

const toOutput = ({ c, organizationName, createdBy }: Selected): ConnectionOutput => ({
  id: c.id,
  organizationId: c.organizationId,
  organizationName,
  provider: c.provider as ConnectionOutput['provider'],
  providerName: providerOf(c.provider).name,
  name: c.name,
  status: c.status,
  statusReason: c.statusReason,
  statusChangedAt: c.statusChangedAt.toISOString(),
  mode: c.mode,
  lastTest: c.lastTestedAt ? { at: c.lastTestedAt.toISOString(), ok: c.lastTestOk ?? false, message: c.lastTestMessage ?? '' } : null,
  credentials: { set: c.credentialsSealed !== null, placeholder: c.credentialsSealed ? CREDENTIAL_PLACEHOLDER : null, hint: c.credentialsHint },
  metadata: c.metadata,
  createdBy,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

const target = (c: ConnectionRow) => ({ organizationId: c.organizationId, type: 'connection', id: c.id });

/** The connection, if the actor may do `action` to it (another organization's is "not found"). */
export async function findConnection(ctx: ServiceContext, id: string, action: 'connection.view' | 'connection.manage'): Promise<Selected> {
  if (!isUuid(id)) throw new NotFoundError('connection');
  const [row] = await select(ctx).where(eq(connections.id, id));
  if (!row) throw new NotFoundError('connection');
  await authorize(ctx, action, target(row.c));
  return row;
}

export const reload = async (ctx: ServiceContext, id: string) => toOutput((await select(ctx).where(eq(connections.id, id)))[0]!);

export async function listConnections(ctx: ServiceContext, query: unknown): Promise<{ items: ConnectionOutput[] }> {
  const q = parseInput(ListConnectionsQuery, query ?? {});
  const organizationId = await listScope(ctx, 'connection.view', q.organizationId);
  const rows = await select(ctx)
    .where(organizationId ? eq(connections.organizationId, organizationId) : undefined)
    .orderBy(asc(organizations.name), asc(connections.name));
  return { items: rows.map(toOutput) };
}

export async function getConnection(ctx: ServiceContext, id: string): Promise<ConnectionOutput> {
  return toOutput(await findConnection(ctx, id, 'connection.view'));
}

export async function createConnection(ctx: ServiceContext, input: unknown): Promise<ConnectionOutput> {
  const { organizationId, provider: providerId, name, mode, metadata } = parseInput(CreateConnectionInput, input ?? {});
  await authorize(ctx, 'connection.manage', { organizationId, type: 'organization', id: organizationId });
  const provider = providerOf(providerId);
  const meta = parseProviderPart(provider.metadataSchema, metadata, 'metadata') as Record<string, unknown>;
  const [org] = await ctx.db.select().from(organizations).where(eq(organizations.id, organizationId));
  if (!org) throw new NotFoundError('organization');
  if (org.archivedAt) throw new ConflictError('organizationId', `${org.name} is archived; connections cannot be added to it.`);
  const statusReason = mode === 'demo' ? 'Demo mode: test the connection to start answering with built-in sample data.' : 'No credentials yet: set them, then test the connection.';
  try {
    const [row] = await ctx.db
      .insert(connections)
      .values({ organizationId, provider: provider.id, name, mode, metadata: meta, statusReason, createdBy: ctx.actor.userId })
      .returning();
    await recordSuccess(ctx.db, ctx.actor, 'connection.create', auditTarget('connection', row!), { provider: provider.id, name, mode, metadata: meta });
    return reload(ctx, row!.id);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('name', `${org.name} already has a connection named "${name}".`);
    throw err;
  }
}

/**
 * Renames the connection, switches its mode or replaces its metadata. A change of mode or metadata makes
 * an enabled connection wait for a test again: what was tested is no longer what will be called.
 */
export async function updateConnection(ctx: ServiceContext, id: string, input: unknown): Promise<ConnectionOutput> {
  const { c, organizationName } = await findConnection(ctx, id, 'connection.manage');
  const body = parseInput(UpdateConnectionInput, input ?? {});
  const provider = providerOf(c.provider);
  const changes: Partial<Pick<ConnectionRow, 'name' | 'mode' | 'metadata'>> = {};
  if (body.name !== undefined && body.name !== c.name) changes.name = body.name;
  if (body.mode !== undefined && body.mode !== c.mode) changes.mode = body.mode;
  if (body.metadata !== undefined) {
    const metadata = parseProviderPart(provider.metadataSchema, body.metadata, 'metadata') as Record<string, unknown>;
    if (JSON.stringify(metadata) !== JSON.stringify(c.metadata)) changes.metadata = metadata;
  }
  if (Object.keys(changes).length === 0) return reload(ctx, c.id);
  let row: ConnectionRow;
  try {
    [row] = (await ctx.db
      .update(connections)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(connections.id, c.id))
      .returning()) as [ConnectionRow];
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('name', `${organizationName} already has a connection named "${changes.name}".`);
    throw err;
  }
  if ((changes.mode || changes.metadata) && c.status !== 'disabled') {
    const reason = row.mode === 'demo' ? 'Demo mode: test the connection to start answering with built-in sample data.' : 'Changed: test the connection again.';
    await setConnectionStatus(ctx.db, row, 'pending', reason);
  }
  await recordSuccess(ctx.db, ctx.actor, 'connection.update', auditTarget('connection', c), {
    provider: c.provider,
    name: row.name,
    changed: Object.keys(changes).sort(),
    ...changes,
  });
  return reload(ctx, c.id);
}

/** The organization's instances with a capability of this connection's provider attached: what uses it. */
export async function linkedInstances(ctx: ServiceContext, id: string): Promise<{ id: string; name: string }[]> {
  const { c } = await findConnection(ctx, id, 'connection.view');
  if (!can(ctx.actor, 'instance.view', { organizationId: c.organizationId })) return [];
  return ctx.db
    .selectDistinct({ id: instances.id, name: instances.name })
    .from(instances)
    .innerJoin(capabilityAttachments, eq(capabilityAttachments.instanceId, instances.id))
    .innerJoin(capabilities, eq(capabilities.id, capabilityAttachments.capabilityId))
    .where(and(eq(instances.organizationId, c.organizationId), eq(capabilities.provider, c.provider)))
    .orderBy(asc(instances.name));
}

/** Seals and stores new credentials (write-only); a live connection then waits for a test. */
export async function setConnectionCredentials(ctx: ServiceContext, id: string, input: unknown): Promise<ConnectionOutput> {
  const { c } = await findConnection(ctx, id, 'connection.manage');
  const provider = providerOf(c.provider);
  const body = parseInput(SetCredentialsInput, input ?? {});
  const credentials = parseProviderPart(provider.credentialSchema, body.credentials, 'credentials') as Record<string, unknown>;
  const metadata = body.metadata === undefined ? c.metadata : (parseProviderPart(provider.metadataSchema, body.metadata, 'metadata') as Record<string, unknown>);
  const sealed = await sealCredentials(ctx.db, c, credentials);
  const [row] = await ctx.db
    .update(connections)
    .set({ credentialsSealed: sealed, credentialsHint: hintOf(provider, credentials), metadata, updatedAt: new Date() })
    .where(eq(connections.id, c.id))
    .returning();
  if (c.mode === 'live' && c.status !== 'disabled') await setConnectionStatus(ctx.db, row!, 'pending', 'Credentials set: test the connection.');
  // Which fields were set, never their values.
  await recordSuccess(ctx.db, ctx.actor, 'connection.credentials.set', auditTarget('connection', c), {
    provider: c.provider,
    name: c.name,
    fields: Object.keys(credentials).sort(),
    ...(body.metadata !== undefined ? { metadata } : {}),
  });
  return reload(ctx, c.id);
}

/** Calls the provider's test (or the demo answer) and records the outcome on the connection and in the audit trail. */
export async function testConnection(ctx: ServiceContext, id: string, opts: RunnerOptions = {}): Promise<ConnectionOutput> {
  const { c } = await findConnection(ctx, id, 'connection.manage');
  if (c.status === 'disabled') throw new ConflictError('status', `${c.name} is disabled: enable it first.`);
  let ok = false;
  let message: string;
  let next: { status: ConnectionStatus; reason: string } | null = null;
  try {
    const result = await testConnectionCall(ctx.db, c, opts);
    ok = true;
    message = `${result.source}: ${result.message}`;
    next = { status: 'connected', reason: result.source === 'Demo' ? 'Demo mode: actions answer with built-in sample data, labelled Demo.' : `Tested: ${result.message}` };
  } catch (err) {
    if (err instanceof LiveNotAvailableError || err instanceof CredentialsUnavailableError || err instanceof ProviderRequestError) message = err.message;
    else if (err instanceof ProviderAuthError) {
      message = `${providerOf(c.provider).name} refused the credentials: ${err.message}`;
      next = { status: 'needs_reconnect', reason: `${message}. Reconnect it.` };
    } else throw err;
  }
  const now = new Date();
  const [row] = await ctx.db.update(connections).set({ lastTestedAt: now, lastTestOk: ok, lastTestMessage: message, updatedAt: now }).where(eq(connections.id, c.id)).returning();
  if (next) await setConnectionStatus(ctx.db, row!, next.status, next.reason);
  await recordActorEvent(ctx.db, ctx.actor, 'connection.test', auditTarget('connection', c), {
    outcome: ok ? 'success' : 'failure',
    reason: ok ? null : message,
    details: { provider: c.provider, name: c.name, mode: c.mode },
  });
  return reload(ctx, c.id);
}

export async function setConnectionDisabled(ctx: ServiceContext, id: string, disabled: boolean): Promise<ConnectionOutput> {
  const { c } = await findConnection(ctx, id, 'connection.manage');
  if (disabled === (c.status === 'disabled')) return reload(ctx, c.id);
  await setConnectionStatus(ctx.db, c, disabled ? 'disabled' : 'pending', disabled ? `Disabled by ${ctx.actor.email}.` : 'Enabled again: test the connection.');
  await recordSuccess(ctx.db, ctx.actor, disabled ? 'connection.disable' : 'connection.enable', auditTarget('connection', c), { provider: c.provider, name: c.name });
  return reload(ctx, c.id);
}

/** Revokes the credentials at the provider where it can, then deletes the connection and its sealed credentials. */
export async function deleteConnection(ctx: ServiceContext, id: string, opts: RunnerOptions = {}): Promise<ConnectionOutput> {
  const found = await findConnection(ctx, id, 'connection.manage');
  const revoked = await revokeAtProvider(ctx.db, found.c, opts);
  await ctx.db.delete(connections).where(and(eq(connections.id, id), eq(connections.organizationId, found.c.organizationId)));
  await recordSuccess(ctx.db, ctx.actor, 'connection.delete', auditTarget('connection', found.c), { provider: found.c.provider, name: found.c.name, revoke: revoked });
  return toOutput(found);
}
