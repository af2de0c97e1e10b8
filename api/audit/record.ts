// What a signed-in person (or their API token) did, for the audit trail. Most events the API records
// have one shape: this actor, one record acted on, an outcome. These helpers fill in that shape, so a
// call site says only what is particular to it: the action, the record and the details or the reason.
import { recordAudit, type AuditInput } from '../../db/audit.ts';
import type { Executor } from '../../db/client.ts';
import type { Actor } from '../authz.ts';

/** The actor fields of an audit event. */
export function auditActor(actor: Actor) {
  return actor.kind === 'api_token'
    ? { actorType: 'api_token' as const, actorId: actor.tokenId ?? actor.userId, actorLabel: `${actor.email} (API token)` }
    : { actorType: 'person' as const, actorId: actor.userId, actorLabel: actor.email };
}

/** The record an event is about, and the organization whose admins may read the event (null: MSP staff only). */
export interface AuditTarget {
  type: string | null;
  id: string | null;
  organizationId: string | null;
}

/** A record that carries its own organization (a node, a job, an instance, an invitation) as the target. */
export const auditTarget = (type: string, record: { id: string; organizationId: string }): AuditTarget => ({ type, id: record.id, organizationId: record.organizationId });

/** A target filed under the actor's own organization: their account, their API tokens, a product-wide setting. */
export const filedUnderActor = (actor: Actor, type: string, id: string | null): AuditTarget => ({ type, id, organizationId: actor.organizationId });

type Details = AuditInput['details'];

/** Records one event of the actor's on the target. */
export function recordActorEvent(db: Executor, actor: Actor, action: string, target: AuditTarget, event: Pick<AuditInput, 'outcome' | 'reason' | 'details'>) {
  return recordAudit(db, { ...auditActor(actor), organizationId: target.organizationId, action, targetType: target.type, targetId: target.id, ...event });
}

/** Records that the actor did `action` to the target. */
export const recordSuccess = (db: Executor, actor: Actor, action: string, target: AuditTarget, details?: Details) =>
  recordActorEvent(db, actor, action, target, { outcome: 'success', details });

/** Records that the actor was refused `action` on the target, and why. */
export const recordDenied = (db: Executor, actor: Actor, action: string, target: AuditTarget, reason: string, details?: Details) =>
  recordActorEvent(db, actor, action, target, { outcome: 'denied', reason, details });
