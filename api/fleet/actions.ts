// What a fleet rollout can do to each of its targets (ADR 0030): one entry per action, naming the child
// job's type and recording that job for one target with the same checks as a single request from its
// page (authorized for the rollout's requester, the instance managed, no other change under way, the
// policy engine asked). Adding an action is one entry here: its job type, what it
// targets, whether it needs the rollout's approval, and how one target's job is recorded.
import { inventoryRefreshJob } from '../agents/job-types.ts';
import { findNode, nodeTarget } from '../agents/service.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, InvalidInputError } from '../errors.ts';
import { findBundleVersion, offeredBundleVersions } from '../../agent-worker/openclaw/bundle.ts';
import { healthCheckJob, restartJob, upgradeJob } from '../instances/job-types.ts';
import { upgradeRecord } from '../instances/upgrade.ts';
import { managedTarget, onInstance, targetOf } from '../instances/service.ts';
import type { JobTypeDefinition } from '../jobs/job-type.ts';
import { approvalTerms, recordJob } from '../jobs/service.ts';
import { loadConfig } from '../../infra/config.ts';
import type { JobApproval } from '../../db/schema.ts';
import type { ApprovalTerms } from '../../workflows/job-record.ts';

/** A target's job, ready for the rollout to start as its child run. */
export interface PreparedTarget {
  workflowType: string;
  workflowId: string;
  args: unknown;
  /** How the rollout judges a completed child (workflows/fleet-rollout.ts judge). */
  judge: 'health' | 'state';
}

/** What the rollout's request says about the action itself (for an upgrade: the version to move to). */
export interface RolloutOptions {
  toVersion?: string;
}

export interface TargetRequest {
  /** The instance's or node's id, as the rollout's record holds it. */
  targetId: string;
  options: RolloutOptions;
  childJobId: string;
  rolloutJobId: string;
  /** The target's index in the rollout's record: its job is the only one of that index (jobs_rollout_target_unique). */
  targetIndex: number;
  /** The rollout's approvals that cover the child, checked against the child's own terms and people as they are now (api/fleet/cover.ts). */
  cover: (terms: Partial<ApprovalTerms>, organizationId: string) => Promise<JobApproval[]>;
}

export interface RolloutAction {
  key: string;
  /** "Restart gateways": what people read on the rollout page. */
  label: string;
  targets: 'instance' | 'node';
  jobType: JobTypeDefinition;
  /** Whether the rollout as a whole waits for a typed approval (the action changes machines). */
  approval: boolean;
  /** The rollout's phrase for this many targets. */
  phrase: (count: number, options: RolloutOptions) => string;
  /** Refuses the request's options for this action (InvalidInputError naming the field). */
  checkOptions?: (options: RolloutOptions) => void;
  judge: PreparedTarget['judge'];
  prepare: (ctx: ServiceContext, request: TargetRequest) => Promise<{ workflowId: string; args: unknown }>;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const inRollout = (r: TargetRequest) => ({ rolloutJobId: r.rolloutJobId });
const childOf = (r: TargetRequest) => ({ rollout: { jobId: r.rolloutJobId, targetIndex: r.targetIndex } });

const health: RolloutAction = {
  key: 'health',
  label: 'Health check',
  targets: 'instance',
  jobType: healthCheckJob,
  approval: false,
  phrase: (n) => `check ${plural(n, 'instance')}`,
  judge: 'health',
  prepare: async (ctx, r) => {
    const { instance, node } = await managedTarget(ctx, r.targetId, 'instance.check');
    return recordJob(ctx, healthCheckJob, { id: r.childJobId, ...childOf(r), ...onInstance(instance, node, inRollout(r)), args: targetOf(r.childJobId, instance) });
  },
};

const restart: RolloutAction = {
  key: 'restart',
  label: 'Restart gateway',
  targets: 'instance',
  jobType: restartJob,
  approval: true,
  phrase: (n) => `restart ${plural(n, 'instance')}`,
  judge: 'state',
  prepare: async (ctx, r) => {
    const { instance, node } = await managedTarget(ctx, r.targetId, 'instance.restart');
    const phrase = `restart ${instance.name} on ${node.name}`;
    return recordJob(
      ctx,
      restartJob,
      {
        id: r.childJobId,
        ...childOf(r),
        ...onInstance(instance, node, inRollout(r)),
        phrase,
        args: { ...targetOf(r.childJobId, instance), ...(await approvalTerms(ctx, instance.organizationId, phrase)), healthTimeoutSeconds: 180, coveredBy: r.rolloutJobId },
      },
      r.cover,
    );
  },
};

const inventory: RolloutAction = {
  key: 'inventory',
  label: 'Refresh inventory',
  targets: 'node',
  jobType: inventoryRefreshJob,
  approval: false,
  phrase: (n) => `refresh ${plural(n, 'node')}`,
  judge: 'state',
  prepare: async (ctx, r) => {
    const node = await findNode(ctx.db, r.targetId);
    await authorize(ctx, 'node.refresh_inventory', nodeTarget(node));
    if (node.revokedAt || !node.agentPublicKey) throw new ConflictError('id', `Node ${node.name} has no working agent.`);
    return recordJob(ctx, inventoryRefreshJob, {
      id: r.childJobId,
      ...childOf(r),
      node,
      organizationId: node.organizationId,
      params: inRollout(r),
      args: { jobId: r.childJobId, nodeId: node.id, offlineAfterSeconds: loadConfig().NODE_WAIT_SECONDS },
    });
  },
};

const upgrade: RolloutAction = {
  key: 'upgrade',
  label: 'Change version',
  targets: 'instance',
  jobType: upgradeJob,
  approval: true,
  phrase: (n, o) => `change ${plural(n, 'instance')} to ${o.toVersion}`,
  checkOptions: (o) => {
    if (!o.toVersion || !findBundleVersion(o.toVersion))
      throw new InvalidInputError({
        toVersion: `toVersion must be one of the bundle's versions: ${offeredBundleVersions()
          .map((v) => v.version)
          .join(', ')}`,
      });
  },
  judge: 'state',
  prepare: async (ctx, r) => {
    // The same checks and record as an upgrade asked on the instance's page; its own approval is covered.
    const { instance, node, phrase, params, args } = await upgradeRecord(ctx, r.targetId, { toVersion: r.options.toVersion }, r.childJobId);
    return recordJob(
      ctx,
      upgradeJob,
      { id: r.childJobId, ...childOf(r), ...onInstance(instance, node, { ...params, ...inRollout(r) }), phrase, args: { ...args, coveredBy: r.rolloutJobId } },
      r.cover,
    );
  },
};

/** Every action a rollout may run, by key. */
export const ROLLOUT_ACTIONS: Readonly<Record<string, RolloutAction>> = Object.freeze({ health, restart, upgrade, inventory });
export const ROLLOUT_ACTION_KEYS = Object.keys(ROLLOUT_ACTIONS) as [string, ...string[]];
