// The control plane's part of an instance upgrade (workflows/upgrade-openclaw.ts): what the instance is
// now, read from Postgres, never from the workflow's input (the containers, port and tool policy the
// health gate holds the new version to); and, after the gate, the instance's new containers and version.
// Both are asked by the calling run of an upgrade job on that very instance (activities/calling-run.ts).
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { instances } from '../db/schema.ts';
import type { InstanceHealth, StateSnapshot } from '../protocol/node-actions.ts';
import { requestApproved } from '../api/jobs/approvers.ts';
import { asCallingRun, CallerRefused } from './calling-run.ts';
import { auditInstance, jobOnItsInstance } from './jobs.ts';

export const UPGRADE_JOB_TYPE = 'upgrade_openclaw';

export interface UpgradeTarget {
  instanceName: string;
  gatewayId: string;
  cliId?: string;
  port: number;
  fromVersion: string | null;
  /** The tool policy's hash the last apply job wrote (null: never applied), which must hold after the switch. */
  appliedToolsHash: string | null;
}

export interface UpgradedInstance {
  jobId: string;
  instanceId: string;
  containerIds: string[];
  bundleVersion: string;
  fromVersion: string | null;
  health: InstanceHealth;
  snapshot: StateSnapshot;
}

export function createUpgradeActivities(deps: { db: Db }) {
  return {
    async upgradeTarget(input: { jobId: string; instanceId: string }): Promise<UpgradeTarget> {
      return asCallingRun(deps.db, 'instance.upgrade_target', async (tx) => {
        const job = await jobOnItsInstance(tx, input);
        if (job.type !== UPGRADE_JOB_TYPE) throw new CallerRefused(job, `job ${job.id} is not an upgrade`, 'NotAnUpgrade');
        const [instance] = await tx.select().from(instances).where(eq(instances.id, input.instanceId));
        if (!instance || instance.state !== 'managed' || !instance.port || !instance.containerIds[0])
          throw new CallerRefused(job, `instance ${input.instanceId} is not a managed instance with a gateway`, 'NotManaged');
        return {
          instanceName: instance.name,
          gatewayId: instance.containerIds[0],
          ...(instance.containerIds[1] ? { cliId: instance.containerIds[1] } : {}),
          port: instance.port,
          fromVersion: instance.bundleVersion,
          appliedToolsHash: instance.appliedToolsHash,
        };
      });
    },

    async recordInstanceUpgraded(input: UpgradedInstance): Promise<void> {
      await asCallingRun(deps.db, 'instance.upgraded', async (tx) => {
        const job = await jobOnItsInstance(tx, input);
        if (job.type !== UPGRADE_JOB_TYPE || !requestApproved(job)) throw new CallerRefused(job, `job ${job.id} is not an approved upgrade`, 'NotAnApprovedUpgrade');
        await tx
          .update(instances)
          .set({ containerIds: input.containerIds, bundleVersion: input.bundleVersion, health: input.health, updatedAt: new Date() })
          .where(eq(instances.id, input.instanceId));
        await auditInstance(tx, job, 'instance.upgraded', 'success', {
          jobId: job.id,
          from: input.fromVersion,
          to: input.bundleVersion,
          snapshot: input.snapshot.volume,
          snapshotBytes: input.snapshot.sizeBytes,
          snapshotAt: input.snapshot.takenAt,
        });
      });
    },
  };
}

export type UpgradeActivities = ReturnType<typeof createUpgradeActivities>;
