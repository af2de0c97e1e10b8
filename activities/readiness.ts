// Activities of the readiness check: each looks at one real dependency and reports what it saw.
import type { Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';

export interface ReadinessCheckResult {
  name: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

async function measure(name: string, fn: () => Promise<string>): Promise<ReadinessCheckResult> {
  const started = Date.now();
  try {
    return { name, ok: true, detail: await fn(), durationMs: Date.now() - started };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message.slice(0, 300), durationMs: Date.now() - started };
  }
}

export function createReadinessActivities(deps: { db: Db; temporal: Connection; namespace: string }) {
  return {
    async checkPostgres(): Promise<ReadinessCheckResult> {
      return measure('PostgreSQL', async () => {
        const [row] = await deps.db.execute<{ version: string }>(sql`select current_setting('server_version') as version`);
        const [migrations] = await deps.db.execute<{ count: number }>(sql`select count(*)::int as count from drizzle.__drizzle_migrations`);
        return `PostgreSQL ${row!.version}, ${migrations!.count} migrations applied`;
      });
    },

    async checkTemporal(): Promise<ReadinessCheckResult> {
      return measure('Temporal', async () => {
        const info = await deps.temporal.workflowService.getSystemInfo({});
        const ns = await deps.temporal.workflowService.describeNamespace({ namespace: deps.namespace });
        return `Temporal server ${info.serverVersion}, namespace "${ns.namespaceInfo?.name}" reachable`;
      });
    },
  };
}

export type ReadinessActivities = ReturnType<typeof createReadinessActivities>;
