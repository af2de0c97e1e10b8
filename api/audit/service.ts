// Reading the audit trail, newest first, with filters. MSP staff see every event; a company admin sees
// only their own organization's events (another organization does not exist for them); company users
// see none. Reading the audit is not itself audited.
import { and, desc, eq, gte, ilike, like, lt, lte, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { auditEventStatement } from '../../db/audit.ts';
import { ACTOR_TYPES, AUDIT_OUTCOMES, auditEvents } from '../../db/schema.ts';
import type { ServiceContext } from '../authz.ts';
import { InvalidInputError, parseInput } from '../errors.ts';
import { listScope } from '../list-scope.ts';
import { escapeLike } from '../like.ts';
import { decodeCursor, encodeCursor, PageQuery } from '../pagination.ts';

const ACTION_FILTER = /^[A-Za-z0-9_.:/-]*\*?$/;

export const ListAuditEventsQuery = PageQuery.extend({
  organizationId: z.string().uuid('organizationId must be a UUID').optional(),
  actor: z
    .string()
    .trim()
    .max(200, 'actor must be at most 200 characters')
    .optional()
    .describe('part of the actor label (an email, "… (API token)", an agent or workflow name), ignoring case'),
  action: z
    .string()
    .trim()
    .max(100, 'action must be at most 100 characters')
    .regex(ACTION_FILTER, 'action must be an action name like node.create, or a prefix ending in * like auth.*')
    .optional()
    .describe('an exact action, or a prefix ending in * (e.g. auth.*)'),
  outcome: z.enum(AUDIT_OUTCOMES, `outcome must be one of ${AUDIT_OUTCOMES.join(', ')}`).optional(),
  from: z.iso
    .datetime({ offset: true, error: 'from must be an ISO 8601 date and time with a time zone, e.g. 2026-01-31T09:00:00Z' })
    .optional()
    .describe('events at or after this time'),
  to: z.iso
    .datetime({ offset: true, error: 'to must be an ISO 8601 date and time with a time zone, e.g. 2026-01-31T18:00:00Z' })
    .optional()
    .describe('events at or before this time'),
});
export type ListAuditEventsQuery = z.input<typeof ListAuditEventsQuery>;

export const AuditEventOutput = z.object({
  id: z.number().int(),
  at: z.string(),
  actorType: z.enum(ACTOR_TYPES),
  actorLabel: z.string(),
  organizationId: z.string().uuid().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  reason: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEventOutput = z.infer<typeof AuditEventOutput>;

type Row = typeof auditEvents.$inferSelect;
const toOutput = (e: Row): AuditEventOutput => ({ id: e.id, at: e.at.toISOString(), ...auditEventStatement(e) });

function cursorId(cursor: string | undefined): number | undefined {
  const decoded = decodeCursor(cursor);
  if (!decoded) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(decoded.id)) throw new InvalidInputError({ cursor: 'cursor is not one this API returned' });
  return Number(decoded.id);
}

export async function listAuditEvents(ctx: ServiceContext, query: unknown): Promise<{ items: AuditEventOutput[]; nextCursor: string | null }> {
  const q = parseInput(ListAuditEventsQuery, query ?? {});
  const organizationId = await listScope(ctx, 'audit.view', q.organizationId);
  const before = cursorId(q.cursor);
  if (q.from && q.to && Date.parse(q.from) > Date.parse(q.to)) throw new InvalidInputError({ to: 'to must not be before from' });

  const conditions: (SQL | undefined)[] = [
    organizationId ? eq(auditEvents.organizationId, organizationId) : undefined,
    q.actor ? ilike(auditEvents.actorLabel, `%${escapeLike(q.actor)}%`) : undefined,
    q.action ? (q.action.endsWith('*') ? like(auditEvents.action, `${escapeLike(q.action.slice(0, -1))}%`) : eq(auditEvents.action, q.action)) : undefined,
    q.outcome ? eq(auditEvents.outcome, q.outcome) : undefined,
    q.from ? gte(auditEvents.at, new Date(q.from)) : undefined,
    q.to ? lte(auditEvents.at, new Date(q.to)) : undefined,
    before !== undefined ? lt(auditEvents.id, before) : undefined,
  ];
  const rows = await ctx.db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toOutput),
    nextCursor: rows.length > q.limit && last ? encodeCursor({ at: last.at.toISOString(), id: String(last.id) }) : null,
  };
}
