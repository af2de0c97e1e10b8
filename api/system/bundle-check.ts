// The OpenClaw bundle's readiness on a node (the System page): a job without approval that builds the
// image where missing and starts a throw-away gateway with no network until it answers /healthz.
import { desc, eq } from 'drizzle-orm';
import { DEFAULT_BUNDLE_VERSION, findBundleVersion, offeredBundleVersions } from '../../agent-worker/openclaw/bundle.ts';
import { jobs } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import { findNode, nodeTarget } from '../agents/service.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, InvalidInputError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { JobOrigin } from '../jobs/job-type.ts';
import { selectJobs, toOutput, type JobOutput } from '../jobs/job-output.ts';
import { startJob } from '../jobs/service.ts';
import { bundleCheckJob } from './job-types.ts';

/** Checks a version of the OpenClaw bundle (the newest by default) on a node: image present or built, version, size, a throw-away gateway answering. */
export async function requestBundleCheck(ctx: ServiceContext, nodeId: unknown, origin: JobOrigin = {}, version: unknown = DEFAULT_BUNDLE_VERSION): Promise<JobOutput> {
  if (typeof nodeId !== 'string' || !isUuid(nodeId)) throw new InvalidInputError({ nodeId: 'nodeId must be the id of a node' });
  const bundle = typeof version === 'string' ? findBundleVersion(version) : undefined;
  if (!bundle)
    throw new InvalidInputError({
      version: `version must be one of the bundle's versions: ${offeredBundleVersions()
        .map((v) => v.version)
        .join(', ')}`,
    });
  const node = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'system.readiness_check.start', nodeTarget(node));
  if (node.revokedAt || !node.agentPublicKey) throw new ConflictError('nodeId', `Node ${node.name} has no working agent to check the bundle with.`);
  const jobId = crypto.randomUUID();
  return startJob(ctx, bundleCheckJob, {
    id: jobId,
    node,
    organizationId: node.organizationId,
    params: { version: bundle.version },
    retryOf: origin.retryOf,
    args: { jobId, nodeId: node.id, nodeWaitSeconds: loadConfig().NODE_WAIT_SECONDS, version: bundle.version },
  });
}

/** The newest bundle check of each node that had one (for the System page). */
export async function latestBundleChecks(ctx: ServiceContext): Promise<JobOutput[]> {
  await authorize(ctx, 'system.view');
  const rows = await selectJobs(ctx).where(eq(jobs.type, bundleCheckJob.type)).orderBy(desc(jobs.createdAt)).limit(50);
  const seen = new Set<string | null>();
  return rows.filter((r) => !seen.has(r.job.nodeId) && seen.add(r.job.nodeId)).map(toOutput);
}
