// Requests to move a managed instance to another OpenClaw bundle version: an upgrade, or a downgrade by
// the same path (workflows/upgrade-openclaw.ts, ADR 0030). Only a version the bundle offers (bundle.ts:
// pinned by its lock file) may be asked for; the job waits for its typed approval.
import { z } from 'zod';
import { BUNDLE_VERSIONS, findBundleVersion, offeredBundleVersions } from '../../agent-worker/openclaw/bundle.ts';
import { loadConfig } from '../../infra/config.ts';
import type { ServiceContext } from '../authz.ts';
import { ConflictError, InvalidInputError, parseInput } from '../errors.ts';
import type { JobOutput } from '../jobs/job-output.ts';
import type { JobOrigin } from '../jobs/job-type.ts';
import { approvalTerms, startJob } from '../jobs/service.ts';
import { upgradeJob } from './job-types.ts';
import { managedTarget, onInstance } from './service.ts';

export const UpgradeBody = z.object({
  toVersion: z.string('toVersion is required').trim().min(1, 'toVersion is required').describe('A bundle version the product offers (GET /system/bundle-versions)'),
  keepSnapshots: z.coerce
    .number('keepSnapshots must be a number')
    .int('keepSnapshots must be a whole number')
    .min(1, 'keepSnapshots must be 1-50')
    .max(50, 'keepSnapshots must be 1-50')
    .optional()
    .describe('State snapshots of the instance kept on its node after the upgrade, the oldest pruned (default: UPGRADE_KEEP_SNAPSHOTS, 3)'),
  healthTimeoutSeconds: z.coerce
    .number('healthTimeoutSeconds must be a number')
    .int('healthTimeoutSeconds must be a whole number')
    .min(30, 'healthTimeoutSeconds must be 30-900')
    .max(900, 'healthTimeoutSeconds must be 30-900')
    .default(180)
    .describe('How long the new version may take to pass its health gate before it is rolled back'),
});

/** Whether `to` is older than `from` among the released versions (newest first); unknown versions count as older. */
const isDowngrade = (from: string | null, to: string) => {
  const rank = (v: string | null) => (v ? BUNDLE_VERSIONS.findIndex((b) => b.version === v) : -1);
  const [f, t] = [rank(from), rank(to)];
  return f >= 0 && (t < 0 || t > f);
};

/**
 * One instance's upgrade job as it is recorded: the same checks whether a person asks for it on the
 * instance's page or a rollout asks for it on one of its targets (api/fleet/actions.ts).
 */
export async function upgradeRecord(ctx: ServiceContext, instanceId: string, input: unknown, jobId: string) {
  const { instance, node } = await managedTarget(ctx, instanceId, 'instance.upgrade');
  const { toVersion, healthTimeoutSeconds, ...asked } = parseInput(UpgradeBody, input ?? {});
  const keepSnapshots = asked.keepSnapshots ?? loadConfig().UPGRADE_KEEP_SNAPSHOTS;
  if (!findBundleVersion(toVersion)) {
    throw new InvalidInputError({
      toVersion: `toVersion must be one of the bundle's versions: ${offeredBundleVersions()
        .map((v) => v.version)
        .join(', ')}`,
    });
  }
  if (instance.bundleVersion === toVersion) throw new ConflictError('toVersion', `Instance ${instance.name} already runs OpenClaw ${toVersion}.`);
  if (instance.containerIds.length < 2) throw new ConflictError('id', `Instance ${instance.name} was adopted as it runs: deploy it anew to change its version.`);
  const phrase = `${isDowngrade(instance.bundleVersion, toVersion) ? 'downgrade' : 'upgrade'} ${instance.name} on ${node.name} to ${toVersion}`;
  return {
    instance,
    node,
    phrase,
    params: { fromVersion: instance.bundleVersion, toVersion, keepSnapshots, healthTimeoutSeconds },
    args: {
      jobId,
      instanceId: instance.id,
      nodeId: node.id,
      toVersion,
      keepSnapshots,
      ...(await approvalTerms(ctx, instance.organizationId, phrase)),
      nodeWaitSeconds: loadConfig().NODE_WAIT_SECONDS,
      healthTimeoutSeconds,
    },
  };
}

/** Moves a managed instance to bundle version `toVersion` after a typed approval. */
export async function requestUpgrade(ctx: ServiceContext, instanceId: string, input: unknown, origin: JobOrigin = {}): Promise<JobOutput> {
  const jobId = crypto.randomUUID();
  const { instance, node, phrase, params, args } = await upgradeRecord(ctx, instanceId, input, jobId);
  return startJob(ctx, upgradeJob, { id: jobId, ...onInstance(instance, node, params), phrase, retryOf: origin.retryOf, args });
}
