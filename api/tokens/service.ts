// Personal API tokens: shown once at creation, only a SHA-256 hash kept; a token acts as its creator
// (same role, same organization) within its scopes (api/authz.ts) until it expires or is revoked, or its
// person is deactivated or owes a second factor.
import crypto from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../../db/client.ts';
import { apiTokens, TOKEN_SCOPES, users } from '../../db/schema.ts';
import { hashToken } from '../auth/token-hash.ts';
import { owesTwoFactorEnrolment } from '../auth/two-factor-state.ts';
import { filedUnderActor, recordDenied, recordSuccess } from '../audit/record.ts';
import { authorize, type Actor, type ServiceContext } from '../authz.ts';
import { displayName } from '../display-text.ts';
import { ConflictError, ForbiddenError, NotFoundError, parseInput, UnauthorizedError } from '../errors.ts';
import { isUuid } from '../ids.ts';

export const TOKEN_PREFIX = 'awpat_';
const LAST_USED_PRECISION_MS = 60_000; // write last_used_at at most once a minute per token
export const DEFAULT_EXPIRY_DAYS = 90;
export const MAX_EXPIRY_DAYS = 365;
const DAY_MS = 86_400_000;

const Scope = z.enum(TOKEN_SCOPES, { error: `scopes may hold only ${TOKEN_SCOPES.join(', ')}` });

export const CreateTokenInput = z.object({
  name: displayName('name', 100),
  scopes: z
    .array(Scope)
    .min(1, `scopes must name at least one of ${TOKEN_SCOPES.join(', ')}`)
    .default(['read'])
    // Kept in one order, each once, so the list and the audit trail read the same for everyone.
    .transform((chosen) => TOKEN_SCOPES.filter((scope) => chosen.includes(scope)))
    .describe(
      'What the token may be used for: read (GET requests), operate (requests that start or change things, except decisions on a job), approve (approve, reject or cancel a job). Default: read.',
    ),
  expiresInDays: z
    .number({ error: 'expiresInDays must be a number of days' })
    .int('expiresInDays must be a whole number of days')
    .min(1, 'expiresInDays must be at least 1')
    .max(MAX_EXPIRY_DAYS, `expiresInDays must be at most ${MAX_EXPIRY_DAYS}`)
    .default(DEFAULT_EXPIRY_DAYS)
    .describe(`Days until the token stops working (1–${MAX_EXPIRY_DAYS}; default ${DEFAULT_EXPIRY_DAYS}).`),
});

export const TokenOutput = z.object({
  id: z.string().uuid(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(TOKEN_SCOPES)),
  createdAt: z.string(),
  expiresAt: z.string(),
  expired: z.boolean().describe('Whether expiresAt has passed (an expired token is refused with 401)'),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type TokenOutput = z.infer<typeof TokenOutput>;

const toOutput = (t: typeof apiTokens.$inferSelect): TokenOutput => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  scopes: t.scopes,
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt.toISOString(),
  expired: t.expiresAt.getTime() <= Date.now(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
});

export async function listOwnTokens(ctx: ServiceContext): Promise<TokenOutput[]> {
  await authorize(ctx, 'account.manage_own');
  const rows = await ctx.db.select().from(apiTokens).where(eq(apiTokens.userId, ctx.actor.userId)).orderBy(desc(apiTokens.createdAt));
  return rows.map(toOutput);
}

export const TOKEN_FROM_TOKEN_REFUSED = 'API tokens can only be created from a signed-in console session.';

/**
 * Creates a token for the signed-in person. Only a person's console session may do this: a token (which
 * may have leaked) cannot mint further tokens that would outlive its own revocation.
 */
export async function createToken(ctx: ServiceContext, input: unknown): Promise<{ token: string; record: TokenOutput }> {
  await authorize(ctx, 'account.manage_own');
  if (ctx.actor.kind !== 'person') {
    await recordDenied(ctx.db, ctx.actor, 'api_token.create', filedUnderActor(ctx.actor, 'api_token', null), 'an API token may not create API tokens');
    throw new ForbiddenError(TOKEN_FROM_TOKEN_REFUSED);
  }
  const { name, scopes, expiresInDays } = parseInput(CreateTokenInput, input);
  const token = TOKEN_PREFIX + encodeBase32LowerCaseNoPadding(crypto.randomBytes(32));
  const row = await ctx.db.transaction(async (tx) => {
    // One creation per person at a time, so two concurrent requests cannot both take the same name.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`api_token:${ctx.actor.userId}`}))`);
    const existing = await tx
      .select({ id: apiTokens.id })
      .from(apiTokens)
      .where(and(eq(apiTokens.userId, ctx.actor.userId), eq(apiTokens.name, name), isNull(apiTokens.revokedAt)));
    if (existing.length) throw new ConflictError('name', `You already have an active token named "${name}".`);
    const [created] = await tx
      .insert(apiTokens)
      .values({
        userId: ctx.actor.userId,
        name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, 12),
        scopes,
        expiresAt: new Date(Date.now() + expiresInDays * DAY_MS),
      })
      .returning();
    await recordSuccess(tx, ctx.actor, 'api_token.create', filedUnderActor(ctx.actor, 'api_token', created!.id), { name, scopes, expiresAt: created!.expiresAt.toISOString() });
    return created!;
  });
  return { token, record: toOutput(row) };
}

/** Revokes one of the caller's tokens (allowed with a token too: it only reduces access). */
export async function revokeToken(ctx: ServiceContext, id: string): Promise<TokenOutput> {
  await authorize(ctx, 'account.manage_own');
  if (!isUuid(id)) throw new NotFoundError('API token');
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, ctx.actor.userId), isNull(apiTokens.revokedAt)))
      .returning();
    if (!row) throw new NotFoundError('API token');
    await recordSuccess(tx, ctx.actor, 'api_token.revoke', filedUnderActor(ctx.actor, 'api_token', row.id), { name: row.name });
    return toOutput(row);
  });
}

const day = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'medium' });
export const tokenExpiredMessage = (expiresAt: Date) => `This API token expired on ${day.format(expiresAt)}; create a new one under Account → API tokens.`;
export const TOKEN_OWES_SECOND_FACTOR =
  'Your API tokens work again once you turn on two-factor sign-in, which MSP staff must use: ' + 'sign in to the console and set it up under Account → Two-factor sign-in.';

/**
 * The actor a bearer token stands for, or null when it is unknown, revoked, or its person is deactivated.
 * A token that is known but may not be used now says why: expired (401), or its person owes a second
 * factor (403, audited: the same rule that keeps their console session from signing in).
 */
export async function actorFromApiToken(db: Db, token: string): Promise<Actor | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const [row] = await db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row || !row.user.active) return null;
  if (row.token.expiresAt.getTime() <= Date.now()) throw new UnauthorizedError(tokenExpiredMessage(row.token.expiresAt));
  const { id, email, name, role, organizationId } = row.user;
  const actor: Actor = { kind: 'api_token', tokenId: row.token.id, userId: id, email, name, role, organizationId, scopes: row.token.scopes };
  if (await owesTwoFactorEnrolment(db, { role, totpEnabled: row.user.totpEnabledAt !== null })) {
    await recordDenied(db, actor, 'api_token.use', { type: 'api_token', id: row.token.id, organizationId }, 'the person must turn on two-factor sign-in first');
    throw new ForbiddenError(TOKEN_OWES_SECOND_FACTOR);
  }
  if (!row.token.lastUsedAt || Date.now() - row.token.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
    await db.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, row.token.id));
  }
  return actor;
}

/** Revokes every active token of a person; returns how many. Pass a transaction to make it part of one. */
export async function revokeAllTokensOf(db: Executor, userId: string): Promise<number> {
  const revoked = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return revoked.length;
}
