// People and invitations. A person joins by an invitation link carrying a one-time token (only its SHA-256
// is stored; the console shows the link once, no mail server needed). Who may invite or deactivate whom is
// decided in api/authz.ts ('person.invite', 'person.deactivate'); this file adds the record rules: the
// role must fit the organization's kind, an email belongs to one person, one pending invitation per email,
// and the MSP keeps at least one active MSP admin.
import crypto from 'node:crypto';
import { and, asc, count, desc, eq, gt, isNull, lte, ne, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import { invitations, organizations, ROLES, sessions, users, type Role } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/unique-violation.ts';
import { hashPassword, normalizeEmail } from '../../db/users.ts';
import { hashToken } from '../auth/token-hash.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import { authorize, can, canSeeOrganization, COMPANY_ROLES, MSP_ROLES, ROLE_LABELS, type ServiceContext } from '../authz.ts';
import { displayName } from '../display-text.ts';
import { ConflictError, fieldErrorsOf, ForbiddenError, InvalidInputError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { listedOrganizationId, listScope } from '../list-scope.ts';
import { afterCursor, PageQuery, toPage } from '../pagination.ts';
import { revokeAllTokensOf } from '../tokens/service.ts';

// ---------------------------------------------------------------------------------------------------
// Schemas (shared by the REST endpoints, the OpenAPI document and the console)

const OrganizationId = z.string().uuid('organizationId must be a UUID');
const booleanParam = (field: string) => z.union([z.boolean(), z.stringbool()], { error: `${field} must be true or false` });

export const ListPeopleQuery = PageQuery.extend({
  organizationId: OrganizationId.optional(),
  includeDeactivated: booleanParam('includeDeactivated').default(false),
});

export const INVITATION_STATUSES = ['pending', 'accepted', 'expired', 'revoked'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const ListInvitationsQuery = z.object({
  organizationId: OrganizationId.optional(),
  status: z.enum(INVITATION_STATUSES, { error: `status must be one of ${INVITATION_STATUSES.join(', ')}` }).optional(),
});

export const DEFAULT_INVITATION_HOURS = 168;
export const MAX_INVITATION_HOURS = 720;

export const InviteInput = z.object({
  organizationId: z.string({ error: 'organizationId is required' }).uuid('organizationId must be a UUID'),
  email: z
    .string({ error: 'email is required' })
    .trim()
    .min(1, 'email is required')
    .max(254, 'email must be at most 254 characters')
    .pipe(z.email('email is not a valid email address')),
  role: z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` }),
  expiresInHours: z
    .number({ error: 'expiresInHours must be a whole number of hours' })
    .int('expiresInHours must be a whole number of hours')
    .min(1, `expiresInHours must be between 1 and ${MAX_INVITATION_HOURS}`)
    .max(MAX_INVITATION_HOURS, `expiresInHours must be between 1 and ${MAX_INVITATION_HOURS}`)
    .default(DEFAULT_INVITATION_HOURS),
});

const InviteTarget = InviteInput.pick({ organizationId: true, role: true });

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

export const AcceptInvitationInput = z
  .object({
    name: displayName('name', 100),
    password: z
      .string({ error: 'password is required' })
      .min(PASSWORD_MIN, `password must be at least ${PASSWORD_MIN} characters`)
      .max(PASSWORD_MAX, `password must be at most ${PASSWORD_MAX} characters`),
    passwordConfirm: z.string({ error: 'confirm the password' }),
  })
  .refine((v) => v.password === v.passwordConfirm, { path: ['passwordConfirm'], message: 'the two passwords do not match' });

export const PersonOutput = z.object({
  id: z.string().uuid(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  organizationId: z.string().uuid(),
  organizationName: z.string(),
  active: z.boolean(),
  createdAt: z.string(),
  deactivatedAt: z.string().nullable(),
  twoFactorEnabled: z.boolean(),
});
export type PersonOutput = z.infer<typeof PersonOutput>;

export const InvitationOutput = z.object({
  id: z.string().uuid(),
  organizationId: z.string().uuid(),
  organizationName: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  status: z.enum(INVITATION_STATUSES),
  invitedBy: z.string().uuid().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  acceptedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type InvitationOutput = z.infer<typeof InvitationOutput>;

export const InvitationCreatedOutput = z.object({
  invitation: InvitationOutput,
  /** The invitation link with its one-time token: returned once, never stored. */
  link: z.string(),
});

// ---------------------------------------------------------------------------------------------------
// Output mapping

// Only these columns are ever read for output: never the password hash or the TOTP key.
const personColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  organizationId: users.organizationId,
  organizationName: organizations.name,
  active: users.active,
  createdAt: users.createdAt,
  deactivatedAt: users.deactivatedAt,
  totpEnabledAt: users.totpEnabledAt,
};
type PersonRow = {
  id: string;
  email: string;
  name: string;
  role: Role;
  organizationId: string;
  organizationName: string;
  active: boolean;
  createdAt: Date;
  deactivatedAt: Date | null;
  totpEnabledAt: Date | null;
};

const toPerson = (p: PersonRow): PersonOutput => ({
  id: p.id,
  email: p.email,
  name: p.name,
  role: p.role,
  organizationId: p.organizationId,
  organizationName: p.organizationName,
  active: p.active,
  createdAt: p.createdAt.toISOString(),
  deactivatedAt: p.deactivatedAt?.toISOString() ?? null,
  twoFactorEnabled: p.totpEnabledAt !== null,
});

type InvitationRow = typeof invitations.$inferSelect;

export function invitationStatus(i: Pick<InvitationRow, 'acceptedAt' | 'revokedAt' | 'expiresAt'>, now = new Date()): InvitationStatus {
  if (i.revokedAt) return 'revoked';
  if (i.acceptedAt) return 'accepted';
  return i.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending';
}

const toInvitation = (i: InvitationRow, organizationName: string): InvitationOutput => ({
  id: i.id,
  organizationId: i.organizationId,
  organizationName,
  email: i.email,
  role: i.role,
  status: invitationStatus(i),
  invitedBy: i.invitedBy,
  createdAt: i.createdAt.toISOString(),
  expiresAt: i.expiresAt.toISOString(),
  acceptedAt: i.acceptedAt?.toISOString() ?? null,
  revokedAt: i.revokedAt?.toISOString() ?? null,
});

// The roles an organization of each kind takes.
export const rolesFor = (kind: 'msp' | 'customer'): readonly Role[] => (kind === 'msp' ? MSP_ROLES : COMPANY_ROLES);

// A pending invitation: not accepted, not revoked, not yet expired.
const pending = () => and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, sql`now()`));

// ---------------------------------------------------------------------------------------------------
// People

/**
 * MSP staff: everyone (optionally one organization). Company admins: their own organization (another
 * organization's id is "not found"). Company users: only themselves.
 */
export async function listPeople(ctx: ServiceContext, query: unknown) {
  const q = parseInput(ListPeopleQuery, query ?? {});
  const { actor } = ctx;
  const organizationId = listedOrganizationId(actor, q.organizationId);
  let scope: SQL | undefined;
  if (organizationId && !can(actor, 'person.list', { organizationId }) && canSeeOrganization(actor, organizationId)) {
    // Someone who may not list their organization's people still sees themselves.
    await authorize(ctx, 'person.view', { organizationId, userId: actor.userId, type: 'person', id: actor.userId });
    scope = eq(users.id, actor.userId);
  } else {
    const listed = await listScope(ctx, 'person.list', q.organizationId);
    scope = listed ? eq(users.organizationId, listed) : undefined;
  }
  const rows = await ctx.db
    .select(personColumns)
    .from(users)
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(and(scope, q.includeDeactivated ? undefined : eq(users.active, true), afterCursor(q.cursor, users.createdAt, users.id)))
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (p) => ({ at: p.createdAt.toISOString(), id: p.id }));
  return { items: page.items.map(toPerson), nextCursor: page.nextCursor };
}

async function findPerson(db: Db, id: string): Promise<PersonRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select(personColumns).from(users).innerJoin(organizations, eq(organizations.id, users.organizationId)).where(eq(users.id, id)).limit(1);
  return row;
}

const personTarget = (p: Pick<PersonRow, 'id' | 'organizationId' | 'role'>) => ({ organizationId: p.organizationId, role: p.role, userId: p.id, type: 'person', id: p.id });

export async function getPerson(ctx: ServiceContext, id: string): Promise<PersonOutput> {
  const row = await findPerson(ctx.db, id);
  if (!row) throw new NotFoundError('person');
  await authorize(ctx, 'person.view', personTarget(row));
  return toPerson(row);
}

/**
 * Deactivates a person: they can no longer sign in, their sessions end and their API tokens are revoked.
 * Nobody deactivates themselves, and the last active MSP admin stays.
 */
export async function deactivatePerson(ctx: ServiceContext, id: string): Promise<PersonOutput> {
  const row = await findPerson(ctx.db, id);
  if (!row) throw new NotFoundError('person');
  try {
    await authorize(ctx, 'person.deactivate', personTarget(row));
  } catch (err) {
    if (err instanceof ForbiddenError && row.id === ctx.actor.userId) {
      throw new ForbiddenError('You cannot deactivate yourself; ask another admin to do it.');
    }
    throw err;
  }
  if (!row.active) throw new ConflictError('id', 'This person is already deactivated.');

  // The deactivation, its consequences and its audit event commit together, or not at all.
  const deactivatedAt = await ctx.db.transaction(async (tx) => {
    // One deactivation of an MSP admin at a time, so two admins cannot deactivate each other at once.
    if (row.role === 'msp_admin') {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('people.msp_admins'))`);
      const [{ n }] = (await tx
        .select({ n: count() })
        .from(users)
        .where(and(eq(users.role, 'msp_admin'), eq(users.active, true), ne(users.id, row.id)))) as [{ n: number }];
      if (n === 0) throw new ConflictError('id', 'This is the last active MSP admin; make someone else an MSP admin first.');
    }
    const [updated] = await tx
      .update(users)
      .set({ active: false, deactivatedAt: new Date() })
      .where(and(eq(users.id, row.id), eq(users.active, true)))
      .returning({ deactivatedAt: users.deactivatedAt });
    if (!updated) throw new ConflictError('id', 'This person is already deactivated.');
    const ended = await tx.delete(sessions).where(eq(sessions.userId, row.id)).returning({ id: sessions.id });
    const tokensRevoked = await revokeAllTokensOf(tx, row.id);
    // Invitations they sent and nobody has used yet stop working with them.
    const withdrawn = await tx
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(and(eq(invitations.invitedBy, row.id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning({ id: invitations.id });
    // Counts of sessions and API tokens are named so the audit redactor (keys like "token", "session")
    // keeps them.
    await recordSuccess(tx, ctx.actor, 'person.deactivate', auditTarget('person', row), {
      email: row.email,
      role: row.role,
      signInsEnded: ended.length,
      apiAccessRevoked: tokensRevoked,
      invitationsRevoked: withdrawn.length,
    });
    return updated.deactivatedAt!;
  });
  return toPerson({ ...row, active: false, deactivatedAt });
}

// ---------------------------------------------------------------------------------------------------
// Invitations

/**
 * Creates an invitation and returns its link, once. Authorization comes first (it needs only the
 * organization and the role), so a company admin naming another organization learns nothing about it.
 */
export async function invitePerson(ctx: ServiceContext, input: unknown, opts: { baseUrl: string }) {
  const parsed = InviteInput.safeParse(input ?? {});
  // Without a valid organization and role there is nothing to authorize against: report every bad field.
  const who = InviteTarget.safeParse(input ?? {});
  if (!who.success) throw new InvalidInputError(fieldErrorsOf(parsed.success ? who.error : parsed.error));
  await authorize(ctx, 'person.invite', { ...who.data, type: 'invitation' });
  if (!parsed.success) throw new InvalidInputError(fieldErrorsOf(parsed.error));
  const { organizationId, role, expiresInHours } = parsed.data;
  const email = normalizeEmail(parsed.data.email);

  const [org] = await ctx.db.select().from(organizations).where(eq(organizations.id, organizationId)).limit(1);
  if (!org) throw new InvalidInputError({ organizationId: 'No such organization.' });
  if (org.archivedAt) throw new ConflictError('organizationId', `${org.name} is archived; nobody can be invited into it.`);
  const fitting = rolesFor(org.kind);
  if (!fitting.includes(role)) {
    throw new InvalidInputError({
      role: `${org.kind === 'msp' ? 'The MSP organization' : 'A customer organization'} takes the roles ${fitting.map((r) => ROLE_LABELS[r]).join(' or ')}, not ${ROLE_LABELS[role]}.`,
    });
  }

  const token = crypto.randomBytes(32).toString('base64url');
  const row = await ctx.db.transaction(async (tx) => {
    // One invitation per email at a time: concurrent invitations of the same address queue here.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`invitation:${email}`}))`);
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1);
    if (existing) throw new ConflictError('email', 'Someone with this email address already has an account.');
    const [open] = await tx
      .select({ id: invitations.id })
      .from(invitations)
      .where(and(eq(invitations.email, email), pending()))
      .limit(1);
    if (open) throw new ConflictError('email', 'An invitation for this email address is already pending; revoke it first, or let it expire.');
    const [created] = await tx
      .insert(invitations)
      .values({
        organizationId,
        email,
        role,
        tokenHash: hashToken(token),
        invitedBy: ctx.actor.userId,
        expiresAt: new Date(Date.now() + expiresInHours * 3600_000),
      })
      .returning();
    await recordSuccess(tx, ctx.actor, 'person.invite', { type: 'invitation', id: created!.id, organizationId }, { email, role, expiresAt: created!.expiresAt.toISOString() });
    return created!;
  });
  return { invitation: toInvitation(row, org.name), link: `${opts.baseUrl.replace(/\/+$/, '')}/invite/${token}` };
}

/** Invitations of the organizations the actor manages people of (MSP staff: all, or one organization). */
export async function listInvitations(ctx: ServiceContext, query: unknown): Promise<{ items: InvitationOutput[] }> {
  const q = parseInput(ListInvitationsQuery, query ?? {});
  const organizationId = await listScope(ctx, 'person.list', q.organizationId);
  const status =
    q.status === 'pending'
      ? pending()
      : q.status === 'accepted'
        ? sql`${invitations.acceptedAt} is not null`
        : q.status === 'revoked'
          ? sql`${invitations.revokedAt} is not null`
          : q.status === 'expired'
            ? and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), lte(invitations.expiresAt, sql`now()`))
            : undefined;
  const rows = await ctx.db
    .select({ invitation: invitations, organizationName: organizations.name })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(and(organizationId ? eq(invitations.organizationId, organizationId) : undefined, status))
    .orderBy(desc(invitations.createdAt), desc(invitations.id))
    .limit(500);
  return { items: rows.map((r) => toInvitation(r.invitation, r.organizationName)) };
}

export async function revokeInvitation(ctx: ServiceContext, id: string): Promise<InvitationOutput> {
  if (!isUuid(id)) throw new NotFoundError('invitation');
  const [found] = await ctx.db
    .select({ invitation: invitations, organizationName: organizations.name })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(eq(invitations.id, id))
    .limit(1);
  if (!found) throw new NotFoundError('invitation');
  const inv = found.invitation;
  await authorize(ctx, 'person.invite', { organizationId: inv.organizationId, role: inv.role, type: 'invitation', id: inv.id });
  // Conditional, so a revocation and an acceptance racing each other cannot both win.
  const row = await ctx.db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(invitations)
      .set({ revokedAt: new Date() })
      .where(and(eq(invitations.id, id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning();
    if (!revoked) {
      const [now] = await tx.select().from(invitations).where(eq(invitations.id, id)).limit(1);
      throw new ConflictError('id', now?.acceptedAt ? 'This invitation has already been accepted; deactivate the person instead.' : 'This invitation was already withdrawn.');
    }
    await recordSuccess(tx, ctx.actor, 'person.revoke_invitation', auditTarget('invitation', inv), { email: inv.email, role: inv.role });
    return revoked;
  });
  return toInvitation(row, found.organizationName);
}

// ---------------------------------------------------------------------------------------------------
// Accepting (public: the token is the credential)

export type InvitationProblem = 'unknown' | 'expired' | 'used' | 'revoked';

export const INVITATION_PROBLEMS: Record<InvitationProblem, string> = {
  unknown: 'This invitation link is not valid.',
  expired: 'This invitation has expired; ask for a new one.',
  used: 'This invitation has already been used.',
  revoked: 'This invitation was withdrawn.',
};

/** A token that cannot be used; `problem` says why (the console answers 400 for unknown, 410 otherwise). */
export class InvitationTokenError extends InvalidInputError {
  readonly problem: InvitationProblem;
  /** The invitation the token belongs to, when it is a known one (for the audit trail, never shown). */
  readonly invitation?: Pick<InvitationRow, 'id' | 'organizationId'>;
  constructor(problem: InvitationProblem, invitation?: Pick<InvitationRow, 'id' | 'organizationId'>) {
    super({ token: INVITATION_PROBLEMS[problem] }, INVITATION_PROBLEMS[problem]);
    this.problem = problem;
    if (invitation) this.invitation = { id: invitation.id, organizationId: invitation.organizationId };
  }
}

function problemOf(i: Pick<InvitationRow, 'acceptedAt' | 'revokedAt' | 'expiresAt'>): InvitationProblem | null {
  if (i.revokedAt) return 'revoked';
  if (i.acceptedAt) return 'used';
  if (i.expiresAt.getTime() <= Date.now()) return 'expired';
  return null;
}

async function usableInvitation(db: Db, token: unknown) {
  if (typeof token !== 'string' || token.length === 0 || token.length > 200) throw new InvitationTokenError('unknown');
  const [found] = await db
    .select({ invitation: invitations, organization: organizations })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(eq(invitations.tokenHash, hashToken(token)))
    .limit(1);
  if (!found) throw new InvitationTokenError('unknown');
  const problem = problemOf(found.invitation) ?? (found.organization.archivedAt ? 'revoked' : null);
  if (problem) throw new InvitationTokenError(problem, found.invitation);
  return found;
}

/**
 * Records a refused use of an invitation token. The token is a credential: only the first 12 hex
 * characters of its SHA-256 are kept, enough to tell repeated attempts with the same link apart (the
 * key avoids the word "token", which the audit redactor hides).
 */
async function auditRefusedInvitation(db: Db, token: unknown, err: InvitationTokenError): Promise<void> {
  await recordAudit(db, {
    actorType: 'system',
    actorId: null,
    actorLabel: 'anonymous',
    organizationId: err.invitation?.organizationId ?? null,
    action: 'person.accept_invitation',
    targetType: 'invitation',
    targetId: err.invitation?.id ?? null,
    outcome: 'denied',
    reason: err.problem,
    details: { linkHashPrefix: typeof token === 'string' ? hashToken(token).slice(0, 12) : null },
  });
}

export interface InvitationDescription {
  organizationName: string;
  email: string;
  role: Role;
  roleLabel: string;
  expiresAt: string;
}

/** What an invitation link is for, or an InvitationTokenError saying why it cannot be used. */
export async function describeInvitation(db: Db, token: string): Promise<InvitationDescription> {
  const { invitation: i, organization: o } = await usableInvitation(db, token);
  return { organizationName: o.name, email: i.email, role: i.role, roleLabel: ROLE_LABELS[i.role], expiresAt: i.expiresAt.toISOString() };
}

/**
 * Creates the invited person and marks the invitation used, in one transaction: the conditional update
 * lets exactly one of two concurrent acceptances win. Returns the new user's id.
 */
export async function acceptInvitation(db: Db, token: string, input: unknown): Promise<string> {
  try {
    return await claimInvitation(db, token, input);
  } catch (err) {
    // A token that cannot be used is audited (after the transaction rolled back, so it is kept).
    if (err instanceof InvitationTokenError) await auditRefusedInvitation(db, token, err);
    throw err;
  }
}

async function claimInvitation(db: Db, token: string, input: unknown): Promise<string> {
  const { invitation } = await usableInvitation(db, token);
  const { name, password } = parseInput(AcceptInvitationInput, input ?? {});
  const passwordHash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .update(invitations)
      .set({ acceptedAt: new Date() })
      .where(and(eq(invitations.id, invitation.id), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, sql`now()`)))
      .returning();
    if (!claimed) {
      const [now] = await tx.select().from(invitations).where(eq(invitations.id, invitation.id)).limit(1);
      throw new InvitationTokenError((now && problemOf(now)) ?? 'used', invitation);
    }
    const [user] = await tx
      .insert(users)
      .values({
        email: claimed.email,
        name,
        passwordHash,
        role: claimed.role,
        organizationId: claimed.organizationId,
      })
      .returning({ id: users.id, email: users.email })
      .catch((err: unknown) => {
        if (isUniqueViolation(err)) throw new ConflictError('token', 'Someone with this email address already has an account; sign in instead.');
        throw err;
      });
    await tx.update(invitations).set({ acceptedUserId: user!.id }).where(eq(invitations.id, claimed.id));
    // Audited inside the transaction: the person exists exactly when the acceptance is recorded.
    await recordAudit(tx, {
      actorType: 'person',
      actorId: user!.id,
      actorLabel: user!.email,
      organizationId: claimed.organizationId,
      action: 'person.accept_invitation',
      targetType: 'invitation',
      targetId: claimed.id,
      outcome: 'success',
      details: { email: claimed.email, role: claimed.role, name },
    });
    return user!.id;
  });
}
