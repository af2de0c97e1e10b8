// The web process's probes, mounted before the CSRF check and without sign-in: `/healthz` says the process
// answers (nothing else is asked, so a slow database never gets a live process restarted), `/readyz` says it
// can serve: PostgreSQL answers, Temporal answers for the namespace, and the database has this release's
// migrations. A failing check is named with a short reason (an error code, never a URL or a credential).
import express from 'express';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { pendingMigrations } from '../db/migration-status.ts';
import type { Client } from '@temporalio/client';

/** How long each check may take: a probe that hangs is a failed probe. */
export const CHECK_DEADLINE_MS = 2_000;

export type CheckResult = { ok: true } | { ok: false; reason: string };

export interface ReadinessDeps {
  db: () => Db;
  temporal: () => Promise<Client>;
  namespace: () => string;
}

class Timeout extends Error {}

function withDeadline<T>(work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`no answer within ${CHECK_DEADLINE_MS / 1000} s`)), CHECK_DEADLINE_MS);
  });
  return Promise.race([work(), late]).finally(() => clearTimeout(timer));
}

/** A failure in a few words: a code where the error has one (ECONNREFUSED, 57P03, gRPC UNAVAILABLE), else its first line without addresses. */
export function reasonOf(err: unknown): string {
  if (err instanceof Timeout) return err.message;
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; errors?: { code?: unknown }[] }; errors?: { code?: unknown }[] };
  const code = e.code ?? e.cause?.code ?? e.errors?.[0]?.code ?? e.cause?.errors?.[0]?.code;
  const grpcNames: Record<number, string> = { 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };
  if (typeof code === 'number') return grpcNames[code] ? `gRPC ${grpcNames[code]}` : `gRPC status ${code}`;
  if (typeof code === 'string') return code;
  const line = String(e.message ?? err).split('\n')[0]!;
  return line.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 200);
}

async function check(work: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await withDeadline(work);
  } catch (err) {
    return { ok: false, reason: reasonOf(err) };
  }
}

export async function readiness(deps: ReadinessDeps): Promise<Record<'database' | 'temporal' | 'migrations', CheckResult>> {
  const [database, temporal, migrations] = await Promise.all([
    check(async () => {
      await deps.db().execute(sql`select 1`);
      return { ok: true };
    }),
    check(async () => {
      const client = await deps.temporal();
      await client.connection.withDeadline(Date.now() + CHECK_DEADLINE_MS, () => client.workflowService.describeNamespace({ namespace: deps.namespace() }));
      return { ok: true };
    }),
    check(async () => {
      const pending = await pendingMigrations(deps.db());
      return pending.length === 0 ? { ok: true } : { ok: false, reason: `${pending.length} not applied: ${pending.join(', ')} (run the new release's migrations)` };
    }),
  ]);
  return { database, temporal, migrations };
}

export function healthRoutes(deps: ReadinessDeps): express.Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'alive' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await readiness(deps);
    const ready = Object.values(checks).every((c) => c.ok);
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return router;
}
