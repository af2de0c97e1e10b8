// Activities of the readiness check: each looks at one real dependency and reports what it saw.
import { Context } from '@temporalio/activity';
import type { Connection } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { recordAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { readinessChecks, type ReadinessCheckResult } from '../db/schema.ts';

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

    async recordReadinessResult(input: { status: 'passed' | 'failed'; results: ReadinessCheckResult[] }): Promise<void> {
      const { workflowExecution } = Context.current().info;
      if (!workflowExecution) throw new Error('recordReadinessResult must run inside the readiness-check workflow');
      const [check] = await deps.db.update(readinessChecks)
        .set({ status: input.status, results: input.results, completedAt: new Date(), runId: workflowExecution.runId })
        .where(eq(readinessChecks.workflowId, workflowExecution.workflowId))
        .returning({ id: readinessChecks.id });
      if (!check) throw new Error(`no readiness check is recorded for workflow ${workflowExecution.workflowId}`);
      await recordAudit(deps.db, {
        actorType: 'workflow', actorId: workflowExecution.workflowId, actorLabel: 'readiness check',
        action: 'system.readiness_check.completed', targetType: 'readiness_check', targetId: check.id,
        outcome: input.status === 'passed' ? 'success' : 'failure',
        reason: input.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`).join('; ') || null,
      });
    },
  };
}

export type ReadinessActivities = ReturnType<typeof createReadinessActivities>;
