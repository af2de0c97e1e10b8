// The System page's server side: start a readiness check (a real workflow on the control-plane queue)
// and list the recent ones with their results.
import { desc, eq } from 'drizzle-orm';
import { recordAudit } from '../../../../db/audit.ts';
import { getDb } from '../../../../db/client.ts';
import { readinessChecks, users } from '../../../../db/schema.ts';
import type { readinessCheck } from '../../../../workflows/readiness-check.ts';
import { auditActor, type ServiceContext } from '../../../../api/authz.ts';
import { controlPlaneTaskQueue, getTemporalClient, workflowRunUrl } from '../../../../api/temporal-client.ts';

export async function startReadinessCheck({ db, actor }: ServiceContext): Promise<{ ok: true } | { ok: false; error: string }> {
  const workflowId = `readiness-check-${crypto.randomUUID()}`;
  const [check] = await db.insert(readinessChecks).values({ workflowId, requestedBy: actor.userId }).returning({ id: readinessChecks.id });
  try {
    const client = await getTemporalClient();
    const handle = await client.workflow.start<typeof readinessCheck>('readinessCheck', {
      taskQueue: controlPlaneTaskQueue(), workflowId, workflowExecutionTimeout: '5 minutes',
    });
    await db.update(readinessChecks).set({ runId: handle.firstExecutionRunId }).where(eq(readinessChecks.id, check!.id));
    await recordAudit(db, {
      ...auditActor(actor), organizationId: actor.organizationId,
      action: 'system.readiness_check.start', targetType: 'readiness_check', targetId: check!.id, outcome: 'success',
      details: { workflowId },
    });
    return { ok: true };
  } catch (err) {
    const reason = `Temporal did not accept the run: ${(err as Error).message}`;
    await db.update(readinessChecks).set({ status: 'failed', completedAt: new Date(),
      results: [{ name: 'Temporal', ok: false, detail: reason, durationMs: 0 }] }).where(eq(readinessChecks.id, check!.id));
    await recordAudit(db, {
      ...auditActor(actor), organizationId: actor.organizationId,
      action: 'system.readiness_check.start', targetType: 'readiness_check', targetId: check!.id, outcome: 'failure', reason,
    });
    return { ok: false, error: 'The readiness check could not be started: Temporal is not reachable. See the server log.' };
  }
}

export async function recentReadinessChecks(limit = 10) {
  const rows = await getDb()
    .select({ check: readinessChecks, requester: users.email })
    .from(readinessChecks)
    .leftJoin(users, eq(users.id, readinessChecks.requestedBy))
    .orderBy(desc(readinessChecks.requestedAt))
    .limit(limit);
  return rows.map(({ check, requester }) => ({
    id: check.id,
    status: check.status,
    requester,
    requestedAt: check.requestedAt.toISOString(),
    completedAt: check.completedAt?.toISOString() ?? null,
    results: check.results,
    temporalUrl: workflowRunUrl(check.workflowId, check.runId),
    workflowId: check.workflowId,
  }));
}
