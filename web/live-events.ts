// GET /events: live updates for the console as server-sent events (ADR 0018). A signed-in person (or a
// personal API token with the read scope) receives `change` messages naming a record they may see that
// changed (kind and id, a job's state), never its contents: the page then reloads its loaders, which
// authorize as always. `resync` says changes may have been missed (reload everything shown); a comment
// every 15 s keeps proxies from closing an idle stream, and re-checks the session, so a signed-out or
// deactivated person's stream ends. A session (or token) may hold a few streams at once (tabs), no more:
// browsers allow six connections per origin, and a stream holds one.
import express, { type Request, type Response } from 'express';
import { authenticate } from '../api/auth/authenticate.ts';
import { sessionTokenFromCookieHeader } from '../api/auth/sessions.ts';
import { authorizeScope, type Actor } from '../api/authz.ts';
import { AppError } from '../api/errors.ts';
import type { FeedMessage, LiveFeed } from '../api/live/feed.ts';
import { mayReceive } from '../api/live/visibility.ts';
import { sendProblem } from '../api/problem.ts';
import type { Db } from '../db/client.ts';
import { createLogger } from '../infra/logger.ts';

export const LIVE_EVENTS_PATH = '/events';
export const MAX_STREAMS_PER_SESSION = 4;
const HEARTBEAT_MS = 15_000;
/** How long a browser waits before reconnecting a dropped stream (EventSource's `retry`). */
const RETRY_MS = 3_000;

const log = createLogger('live');

async function actorOf(db: Db, req: Request): Promise<{ actor: Actor; key: string } | null> {
  const sessionToken = sessionTokenFromCookieHeader(req.get('cookie'));
  const actor = await authenticate(db, { authorization: req.get('authorization'), sessionToken });
  if (!actor) return null;
  // A stream counts against its session (the id before the secret) or its API token.
  const key = actor.kind === 'api_token' ? `token:${actor.tokenId}` : `session:${sessionToken?.split('.')[0]}`;
  return { actor, key };
}

export function liveEvents(opts: { db: () => Db; feed: LiveFeed; heartbeatMs?: number }) {
  const router = express.Router();
  const open = new Map<string, number>();
  router.get(LIVE_EVENTS_PATH, async (req: Request, res: Response) => {
    try {
      const db = opts.db();
      const who = await actorOf(db, req);
      if (!who) return sendProblem(res, 401, 'Unauthorized', 'Sign in to the console, or send a personal API token (Authorization: Bearer awpat_…).');
      await authorizeScope({ db, actor: who.actor }, 'read', 'GET /events');
      await opts.feed.ready;
      // Counted and taken with no await between, so two requests at once cannot both take the last place.
      const count = open.get(who.key) ?? 0;
      if (count >= MAX_STREAMS_PER_SESSION) {
        // The browser's EventSource gives up on a refusal; the page keeps itself fresh by polling.
        return sendProblem(res, 429, 'Too Many Requests', `This session already holds ${MAX_STREAMS_PER_SESSION} live update streams; close a tab.`);
      }
      open.set(who.key, count + 1);

      let actor = who.actor;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      const write = (text: string) => {
        if (!res.writableEnded && !res.destroyed) res.write(text);
      };
      write(`retry: ${RETRY_MS}\n\n`);
      // Tells the page that it will now hear of changes (what happened before, its loaders showed).
      write(`event: ready\ndata: {}\n\n`);

      const deliver = async (message: FeedMessage) => {
        if (message.type === 'resync') return write(`event: resync\ndata: {}\n\n`);
        const { kind, id, state, previous } = message.change;
        try {
          if (!(await mayReceive({ db, actor }, message.change))) return;
        } catch (err) {
          log.warn({ err: (err as Error).message, kind }, 'live: could not decide who sees a change; not sent');
          return;
        }
        write(`event: change\ndata: ${JSON.stringify({ kind, id, state, previous })}\n\n`);
      };
      const unsubscribe = opts.feed.subscribe((m) => void deliver(m));
      const heartbeat = setInterval(() => {
        void (async () => {
          // The session may have ended, or the person's role changed, since the stream opened.
          const now = await actorOf(db, req).catch(() => null);
          if (!now) return res.end();
          actor = now.actor;
          write(`: heartbeat\n\n`);
        })();
      }, opts.heartbeatMs ?? HEARTBEAT_MS);
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        const left = (open.get(who.key) ?? 1) - 1;
        if (left > 0) open.set(who.key, left);
        else open.delete(who.key);
      });
    } catch (err) {
      if (res.headersSent) return void res.end();
      if (err instanceof AppError) return sendProblem(res, err.status, err.title, err.message);
      log.error({ err, path: req.path }, 'live: the stream could not start');
      sendProblem(res, 503, 'Service Unavailable', 'Live updates are not available; pages refresh by themselves.');
    }
  });
  return router;
}
