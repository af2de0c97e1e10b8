// The change feed behind live updates (ADR 0018): one dedicated LISTEN connection per web process on
// channel `live_changes`, which the records' triggers (db/migrations/0019_live_changes.sql) notify. Each
// notification names a record (kind, id, organization, a job's state), never its contents. postgres.js
// keeps the LISTEN connection up by itself; after it reconnects, notifications sent meanwhile are lost,
// so subscribers are told to `resync` (their pages reload what they show).
import type postgres from 'postgres';
import { z } from 'zod';
import { createLogger } from '../../infra/logger.ts';

export const LIVE_CHANNEL = 'live_changes';
export const CHANGE_KINDS = ['job', 'node', 'instance', 'approver_group'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface Change {
  kind: ChangeKind;
  id: string;
  organizationId: string;
  /** A job's state now, and the state it left when the change was a transition. */
  state?: string;
  previous?: string;
}
export type FeedMessage = { type: 'change'; change: Change } | { type: 'resync' };
type Subscriber = (message: FeedMessage) => void;

const Notification = z.object({
  t: z.enum(CHANGE_KINDS),
  id: z.string().uuid(),
  o: z.string().uuid(),
  s: z.string().max(40).nullish(),
  p: z.string().max(40).nullish(),
});

/** The change a notification's payload names, or null for one that is not ours. */
export function parseNotification(payload: string): Change | null {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return null;
  }
  const n = Notification.safeParse(json);
  if (!n.success) return null;
  const { t: kind, id, o: organizationId, s: state, p: previous } = n.data;
  return { kind, id, organizationId, ...(state ? { state } : {}), ...(previous ? { previous } : {}) };
}

export interface LiveFeed {
  /** Resolves once the first LISTEN is in place. */
  ready: Promise<void>;
  subscribe(subscriber: Subscriber): () => void;
  subscribers(): number;
  stop(): Promise<void>;
}

export function startLiveFeed(sql: postgres.Sql): LiveFeed {
  const log = createLogger('live');
  const subscribers = new Set<Subscriber>();
  const send = (message: FeedMessage) => {
    for (const s of subscribers) s(message);
  };
  let listens = 0;
  const onNotify = (payload: string) => {
    const change = parseNotification(payload);
    if (change) send({ type: 'change', change });
    else log.warn({ bytes: payload.length }, 'live: a notification that names no record was ignored');
  };
  const onListen = () => {
    // Called on every (re)connection: after the first, what was notified while down is unknown.
    if (listens++ > 0) {
      log.info('live: LISTEN connection restored; pages reload what they show');
      send({ type: 'resync' });
    }
  };
  // postgres.js reconnects an established LISTEN by itself; a first attempt that fails is tried again here.
  const listen = (): Promise<{ unlisten(): Promise<void> }> =>
    sql.listen(LIVE_CHANNEL, onNotify, onListen).catch(async (err: Error) => {
      log.error({ err: err.message }, 'live: could not LISTEN; trying again in 5 s (pages poll meanwhile)');
      await new Promise((r) => setTimeout(r, 5_000));
      return listen();
    });
  const listening = listen();
  return {
    ready: listening.then(() => undefined),
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    subscribers: () => subscribers.size,
    async stop() {
      subscribers.clear();
      await (await listening).unlisten();
    },
  };
}
