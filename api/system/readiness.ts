// The readiness check: a job with no node (api/system/job-types.ts) whose workflow checks PostgreSQL and
// Temporal from the control-plane worker. It belongs to the MSP's own organization.
import { desc, eq } from 'drizzle-orm';
import { jobs } from '../../db/schema.ts';
import { ensureMspOrganization } from '../../db/users.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { selectJobs, toOutput, type JobOutput } from '../jobs/job-output.ts';
import { startJob } from '../jobs/service.ts';
import type { JobOrigin } from '../jobs/job-type.ts';
import { readinessJob } from './job-types.ts';

export async function requestReadinessCheck(ctx: ServiceContext, origin: JobOrigin = {}): Promise<JobOutput> {
  await authorize(ctx, 'system.readiness_check.start');
  const msp = await ensureMspOrganization(ctx.db);
  const jobId = crypto.randomUUID();
  return startJob(ctx, readinessJob, { id: jobId, organizationId: msp.id, params: {}, args: { jobId }, retryOf: origin.retryOf });
}

/** The newest readiness checks, for the System page. */
export async function recentReadinessChecks(ctx: ServiceContext, limit = 10): Promise<JobOutput[]> {
  await authorize(ctx, 'system.view');
  const rows = await selectJobs(ctx).where(eq(jobs.type, readinessJob.type)).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(limit);
  return rows.map(toOutput);
}
