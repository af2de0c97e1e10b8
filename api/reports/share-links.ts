// Share links of the customer report (ADR 0021): a read-only link to one organization's report for a fixed
// period, which anyone holding it opens without signing in, until it expires (always: at most 90 days) or an
// MSP person revokes it. The link carries 256 random bits; only their SHA-256 is stored, so the database
// holds no link that works. Creating and revoking are audited.
import crypto from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { organizations, reportShareLinks, users } from '../../db/schema.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { hashToken } from '../auth/token-hash.ts';
import { AppError, ConflictError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { afterCursor, PageQuery, toPage } from '../pagination.ts';
import { PeriodQuery, periodOf } from './period.ts';
import { buildReport, organizationOf, type ReportOutput } from './service.ts';

export const SHARE_LINK_PREFIX = 'awrep_';
export const MAX_SHARE_DAYS = 90;
/** Where the console serves a link's report (outside the signed-in console). */
export const sharedReportPath = (token: string) => `/reports/shared/${token}`;

export const CreateShareLinkInput = PeriodQuery.extend({
  expiresInDays: z
    .number('expiresInDays is required: a share link always expires')
    .int('expiresInDays must be a whole number of days')
    .min(1, `expiresInDays must be between 1 and ${MAX_SHARE_DAYS}`)
    .max(MAX_SHARE_DAYS, `expiresInDays must be between 1 and ${MAX_SHARE_DAYS}`),
});

export const ShareLinkOutput = z.object({
  id: z.string().uuid(),
  organizationId: z.string().uuid(),
  from: z.string(),
  to: z.string(),
  status: z.enum(['active', 'expired', 'revoked']),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  lastOpenedAt: z.string().nullable().describe('When someone last opened it'),
});
export type ShareLinkOutput = z.infer<typeof ShareLinkOutput>;
export const CreatedShareLinkOutput = z.object({
  link: ShareLinkOutput,
  token: z.string().describe('Shown once: only its hash is stored'),
  path: z.string().describe('The report’s page in the console, to put after the console’s address'),
});

type Row = typeof reportShareLinks.$inferSelect;
const statusOf = (r: Pick<Row, 'revokedAt' | 'expiresAt'>, now: Date) => (r.revokedAt ? 'revoked' : r.expiresAt <= now ? 'expired' : 'active');
const toOutput = (r: Row, createdBy: string | null, now: Date): ShareLinkOutput => ({
  id: r.id,
  organizationId: r.organizationId,
  from: r.fromDate,
  to: r.toDate,
  status: statusOf(r, now),
  createdBy,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
  lastOpenedAt: r.lastOpenedAt?.toISOString() ?? null,
});

const orgTarget = (id: string) => ({ organizationId: id, type: 'organization', id });

export async function createShareLink(ctx: ServiceContext, organizationId: string, input: unknown, now = new Date()): Promise<z.infer<typeof CreatedShareLinkOutput>> {
  if (!isUuid(organizationId)) throw new NotFoundError('organization');
  await authorize(ctx, 'report.share', orgTarget(organizationId));
  const org = await organizationOf(ctx.db, organizationId);
  const { expiresInDays, ...periodQuery } = parseInput(CreateShareLinkInput, input ?? {});
  const period = periodOf(periodQuery, org.timeZone, now);
  const [archived] = await ctx.db.select({ at: organizations.archivedAt }).from(organizations).where(eq(organizations.id, organizationId));
  if (archived?.at) throw new ConflictError('id', 'This organization is archived; its report cannot be shared.');
  const token = SHARE_LINK_PREFIX + encodeBase32LowerCaseNoPadding(crypto.randomBytes(32));
  const expiresAt = new Date(now.getTime() + expiresInDays * 24 * 60 * 60 * 1000);
  const row = await ctx.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(reportShareLinks)
      .values({ organizationId, tokenHash: hashToken(token), fromDate: period.from, toDate: period.to, createdBy: ctx.actor.userId, createdAt: now, expiresAt })
      .returning();
    await recordSuccess(tx, ctx.actor, 'report.share_link.create', auditTarget('report_share_link', created!), {
      from: period.from,
      to: period.to,
      expiresAt: expiresAt.toISOString(),
    });
    return created!;
  });
  return { link: toOutput(row, ctx.actor.email, now), token, path: sharedReportPath(token) };
}

export const ListShareLinksQuery = PageQuery;

export async function listShareLinks(ctx: ServiceContext, organizationId: string, query: unknown, now = new Date()) {
  if (!isUuid(organizationId)) throw new NotFoundError('organization');
  await authorize(ctx, 'report.share', orgTarget(organizationId));
  await organizationOf(ctx.db, organizationId);
  const q = parseInput(ListShareLinksQuery, query ?? {});
  const rows = await ctx.db
    .select({ link: reportShareLinks, createdBy: users.email })
    .from(reportShareLinks)
    .leftJoin(users, eq(users.id, reportShareLinks.createdBy))
    .where(and(eq(reportShareLinks.organizationId, organizationId), afterCursor(q.cursor, reportShareLinks.createdAt, reportShareLinks.id, 'desc')))
    .orderBy(desc(reportShareLinks.createdAt), desc(reportShareLinks.id))
    .limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => ({ at: r.link.createdAt.toISOString(), id: r.link.id }));
  return { items: page.items.map((r) => toOutput(r.link, r.createdBy, now)), nextCursor: page.nextCursor };
}

export async function revokeShareLink(ctx: ServiceContext, id: string, now = new Date()): Promise<ShareLinkOutput> {
  if (!isUuid(id)) throw new NotFoundError('share link');
  const [found] = await ctx.db.select().from(reportShareLinks).where(eq(reportShareLinks.id, id));
  if (!found) throw new NotFoundError('share link');
  await authorize(ctx, 'report.share', { organizationId: found.organizationId, type: 'report_share_link', id: found.id });
  if (found.revokedAt) throw new ConflictError('id', 'This share link is already revoked.');
  const row = await ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(reportShareLinks)
      .set({ revokedAt: now, revokedBy: ctx.actor.userId })
      .where(and(eq(reportShareLinks.id, id), isNull(reportShareLinks.revokedAt)))
      .returning();
    if (!updated) throw new ConflictError('id', 'This share link is already revoked.');
    await recordSuccess(tx, ctx.actor, 'report.share_link.revoke', auditTarget('report_share_link', updated), { from: updated.fromDate, to: updated.toDate });
    return updated;
  });
  const [creator] = row.createdBy ? await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, row.createdBy)) : [];
  return toOutput(row, creator?.email ?? null, now);
}

/** A share link that shows nothing: never issued (404), or revoked or expired (410); the page says which. */
export class ShareLinkError extends AppError {
  readonly problem: 'unknown' | 'revoked' | 'expired';
  constructor(problem: 'unknown' | 'revoked' | 'expired') {
    super(
      problem === 'unknown' ? 404 : 410,
      problem === 'unknown' ? 'Not Found' : 'Gone',
      problem === 'unknown'
        ? 'This report link is not valid. Ask the person who shared it for a new one.'
        : problem === 'revoked'
          ? 'This report link has been revoked. Ask the person who shared it for a new one.'
          : 'This report link has expired. Ask the person who shared it for a new one.',
    );
    this.problem = problem;
  }
}

/**
 * The report a share link shows, for anyone holding the link: its organization only, for the link's fixed
 * period. The token is the only credential, looked up by its hash.
 */
export async function openSharedReport(db: Db, token: string, now = new Date()): Promise<ReportOutput> {
  if (!token.startsWith(SHARE_LINK_PREFIX) || token.length > 200) throw new ShareLinkError('unknown');
  const [row] = await db
    .select({ link: reportShareLinks, archivedAt: organizations.archivedAt })
    .from(reportShareLinks)
    .innerJoin(organizations, eq(organizations.id, reportShareLinks.organizationId))
    .where(eq(reportShareLinks.tokenHash, hashToken(token)));
  if (!row) throw new ShareLinkError('unknown');
  // An archived organization's people lost their access; so does its report.
  if (row.link.revokedAt || row.archivedAt) throw new ShareLinkError('revoked');
  if (row.link.expiresAt <= now) throw new ShareLinkError('expired');
  await db.update(reportShareLinks).set({ lastOpenedAt: now }).where(eq(reportShareLinks.id, row.link.id));
  const org = await organizationOf(db, row.link.organizationId);
  return buildReport(db, org, periodOf({ from: row.link.fromDate, to: row.link.toDate }, org.timeZone, now), now);
}
