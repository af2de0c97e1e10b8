// The System page's server side: the newest readiness checks (jobs with no node, api/system/readiness.ts)
// told as the page shows them.
import type { ServiceContext } from '../../../../api/authz.ts';
import { recentReadinessChecks } from '../../../../api/system/readiness.ts';

export async function readinessRows(ctx: ServiceContext) {
  return (await recentReadinessChecks(ctx)).map((job) => ({
    id: job.id,
    status: job.state === 'completed' ? 'passed' : ['failed', 'cancelled', 'expired', 'rejected'].includes(job.state) ? 'failed' : 'running',
    requester: job.requestedBy,
    requestedAt: job.createdAt,
    results: (job.result?.results ?? []) as { name: string; ok: boolean; detail: string; durationMs: number }[],
    failureReason: job.failureReason,
    temporalUrl: job.temporalUrl,
  }));
}
