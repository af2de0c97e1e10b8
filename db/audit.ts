// The audit trail: every state change and every denied attempt. Secrets are redacted before storage;
// each event is chained to the previous one by hash, so a changed or removed row is detectable.
import crypto from 'node:crypto';
import { asc, sql } from 'drizzle-orm';
import { redact, redactString } from '../infra/redact.ts';
import { canonicalJson } from '../protocol/canonical-json.ts';
import type { Db, Tx } from './client.ts';
import { auditEvents, type ACTOR_TYPES, type AUDIT_OUTCOMES } from './schema.ts';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditInput {
  actorType: (typeof ACTOR_TYPES)[number];
  actorId?: string | null;
  actorLabel: string;
  organizationId?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  outcome: (typeof AUDIT_OUTCOMES)[number];
  reason?: string | null;
  details?: Record<string, unknown>;
  /** When it happened: now. Only tests write a past (a history to compute from); the chain follows ids, not times. */
  at?: Date;
}

/** A node's agent as the actor of what its verified reports change (it names itself by its host). */
export const agentAuditActor = (agent: { nodeId: string; hostname: string }) => ({ actorType: 'agent', actorId: agent.nodeId, actorLabel: `agent on ${agent.hostname}` }) as const;

type HashedFields = Omit<typeof auditEvents.$inferSelect, 'id' | 'hash'>;

/**
 * What an event says happened: by whom (as labelled), to which record, with what outcome and why. The
 * hash covers these as stored, and the API answers them as they are, so both take them from here.
 */
export function auditEventStatement(e: HashedFields) {
  return {
    actorType: e.actorType,
    actorLabel: e.actorLabel,
    organizationId: e.organizationId,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    outcome: e.outcome,
    reason: e.reason,
    details: e.details,
  };
}

export function hashAuditEvent(e: HashedFields): string {
  // canonicalJson sorts the keys, so the order they are spread in does not change the hash.
  const body = canonicalJson({ prevHash: e.prevHash, at: e.at.toISOString(), actorId: e.actorId, ...auditEventStatement(e) });
  return crypto.createHash('sha256').update(body).digest('hex');
}

/**
 * Text PostgreSQL can store, in a column or in jsonb: a lone UTF-16 surrogate or a NUL character
 * becomes U+FFFD. The API refuses such input at its edge; this keeps the audit trail from failing (and
 * the request with it) on a string that reached it another way, and hashes what is actually stored.
 */
export function storableText(value: string): string {
  return value.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

function storableDetails(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableDetails);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableDetails(v)]));
  }
  return value;
}

const storableOrNull = (value: string | null | undefined) => (value == null ? null : storableText(value));

/** Records one event; pass a transaction to make the event part of it. */
export async function recordAudit(db: Db | Tx, input: AuditInput): Promise<void> {
  await recordAudits(db, [input]);
}

/**
 * Records events in the order given, chained one after the other, in one insert: a sweep that changes a
 * thousand nodes' status at once writes a thousand events without a round trip each.
 */
export async function recordAudits(db: Db | Tx, inputs: AuditInput[]): Promise<void> {
  if (inputs.length === 0) return;
  await (db as Db).transaction(async (tx) => {
    // One writer at a time, so every event links to the event committed just before it.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('audit_events'))`);
    const [last] = await tx
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(sql`${auditEvents.id} desc`)
      .limit(1);
    let prevHash = last?.hash ?? GENESIS_HASH;
    const now = new Date();
    const rows = inputs.map((input) => {
      const fields: HashedFields = {
        at: input.at ?? now,
        actorType: input.actorType,
        actorId: input.actorId ?? null,
        actorLabel: storableText(redactString(input.actorLabel)),
        organizationId: input.organizationId ?? null,
        action: storableText(input.action),
        targetType: storableOrNull(input.targetType),
        targetId: storableOrNull(input.targetId),
        outcome: input.outcome,
        reason: input.reason ? storableText(redactString(input.reason)) : null,
        // redact() caps the depth, so this walk is bounded too.
        details: storableDetails(redact(input.details ?? {})) as Record<string, unknown>,
        prevHash,
      };
      const hash = hashAuditEvent(fields);
      prevHash = hash;
      return { ...fields, hash };
    });
    // The ids follow the order of the rows (one sequence, rows inserted in order), which is the chain's
    // order; a thousand rows an insert keeps within the protocol's 65,535 parameters.
    for (let i = 0; i < rows.length; i += 1000) await tx.insert(auditEvents).values(rows.slice(i, i + 1000));
  });
}

export type ChainVerdict = { ok: true; checked: number } | { ok: false; checked: number; eventId: number; problem: string };

/** Walks the whole chain in order and names the first event that does not fit. */
export async function verifyAuditChain(db: Db): Promise<ChainVerdict> {
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let lastId = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(sql`${auditEvents.id} > ${lastId}`)
      .orderBy(asc(auditEvents.id))
      .limit(1000);
    if (rows.length === 0) return { ok: true, checked };
    for (const row of rows) {
      if (row.prevHash !== prevHash) {
        return { ok: false, checked, eventId: row.id, problem: 'it does not link to the event before it (an event was removed or inserted)' };
      }
      if (hashAuditEvent(row) !== row.hash) {
        return { ok: false, checked, eventId: row.id, problem: 'its content does not match its hash (the event was changed)' };
      }
      prevHash = row.hash;
      lastId = row.id;
      checked += 1;
    }
  }
}
