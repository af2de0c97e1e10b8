// The audit trail of the door's refusals, without letting a flood flood it: one event per caller, method
// and reason per window (the next one says how many were refused in between), and at most
// MAX_EVENTS_PER_WINDOW events in a window in all (new callers beyond it are counted in the process log).
import { recordAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../logger.ts';
import type { DoorAgent } from './credentials.ts';

export const REFUSAL_WINDOW_MS = 60_000;
export const MAX_EVENTS_PER_WINDOW = 100;
export const AUDIT_ACTION = 'agent_door.call';
const KEEP_HELD_WINDOWS = 10;

export interface Refusal {
  /** The caller, when its credential is known (revoked or not). */
  agent?: DoorAgent;
  /** The connection's address, for a caller without a known credential. */
  peer: string;
  method: string;
  status: 'PERMISSION_DENIED' | 'UNAUTHENTICATED';
  reason: string;
}

export class RefusalAudit {
  private readonly last = new Map<string, { at: number; held: number }>();
  private window = { start: 0, events: 0, held: 0 };

  private readonly db: Db;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(db: Db, log: Logger, now = Date.now) {
    this.db = db;
    this.log = log;
    this.now = now;
  }

  record(refusal: Refusal): Promise<void> {
    const at = this.now();
    if (at - this.window.start >= REFUSAL_WINDOW_MS) {
      if (this.window.held) this.log.warn({ held: this.window.held }, 'agent door: refusals beyond the audit limit were not recorded one by one');
      this.window = { start: at, events: 0, held: 0 };
      // A key whose refusals were held back stays a while, so that its next event can say how many.
      for (const [key, entry] of this.last) {
        const age = at - entry.at;
        if (age < REFUSAL_WINDOW_MS || (entry.held && age < KEEP_HELD_WINDOWS * REFUSAL_WINDOW_MS)) continue;
        if (entry.held) this.log.warn({ refusal: key, held: entry.held }, 'agent door: refusals held back from the audit trail');
        this.last.delete(key);
      }
    }
    const key = `${refusal.agent?.nodeId ?? refusal.peer}|${refusal.method}|${refusal.reason}`;
    const previous = this.last.get(key);
    if ((previous && at - previous.at < REFUSAL_WINDOW_MS) || this.window.events >= MAX_EVENTS_PER_WINDOW) {
      if (previous) previous.held += 1;
      else this.window.held += 1;
      return Promise.resolve();
    }
    this.last.set(key, { at, held: 0 });
    this.window.events += 1;
    const { agent } = refusal;
    this.log.warn({ nodeId: agent?.nodeId, peer: refusal.peer, method: refusal.method, status: refusal.status, reason: refusal.reason }, 'agent door refused a call');
    return recordAudit(this.db, {
      actorType: 'agent',
      actorId: agent?.nodeId ?? null,
      actorLabel: agent ? `agent of node ${agent.nodeName}` : `unknown agent at ${refusal.peer}`,
      organizationId: agent?.organizationId ?? null,
      action: AUDIT_ACTION,
      targetType: agent ? 'node' : null,
      targetId: agent?.nodeId ?? null,
      outcome: 'denied',
      reason: refusal.reason,
      details: { method: refusal.method, status: refusal.status, peer: refusal.peer, refusedSinceLastEvent: previous?.held ?? 0 },
    }).catch((err: unknown) => this.log.error({ err }, 'agent door: recording a refusal in the audit trail failed'));
  }
}
