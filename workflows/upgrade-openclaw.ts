// Moving one managed OpenClaw instance to another bundle version (an upgrade, or a downgrade by the same
// path), as a job (ADR 0030):
//   1. what the instance is now, from Postgres (containers, port, version, the tool policy applied);
//      preflight on the node (Docker, disk, the new image here or buildable, the gateway healthy now)
//      and the tool policy the gateway has now; a failed check ends the job with its reason;
//   2. the typed approval (`upgrade <instance> on <node> to <version>`), unless a rollout's approval
//      covers it (a child of the fleet's rollout: no `approval` in the input; the node still refuses
//      a changing step of a job whose approval Postgres has no record of);
//   3. a snapshot of the state volume beside it (the gateway stopped for a consistent copy);
//   4. the switch: the new version's containers on the same volumes with the same token, the previous
//      ones kept, stopped;
//   5. the health gate: /healthz, /readyz, `openclaw gateway health`, and the tool policy still in
//      force (the same `tools` section, and every tool denied before still denied);
//   6. passed: the instance recorded with its new containers and version, the previous containers
//      removed and old snapshots pruned (keep the last N). Failed (the switch or the gate): an automatic
//      rollback (the upgrade's containers removed, the snapshot restored, the previous containers
//      started), health checked again, and the job failed with both reasons.
import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { UpgradeActivities } from '../activities/upgrades.ts';
import type { StateSnapshot, ToolPolicyState } from '../protocol/node-actions.ts';
import { approvalStep } from './approval.ts';
import { approvalPolicy, asJob, jobActivities, jobRecorder, type ApprovalTerms } from './job-record.ts';
import { jobNode, PROGRESS_HEARTBEAT_SECONDS, runOnNode } from './node-job.ts';

const upgrades = proxyActivities<UpgradeActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: ['NotAnUpgrade', 'NotManaged', 'NotAnApprovedUpgrade'] },
});

/** Snapshots kept per instance after an upgrade, unless the request says otherwise. */
export const DEFAULT_KEEP_SNAPSHOTS = 3;

/** The job's own typed approval terms (top level, as the job kernel sets them) are absent when a rollout's approval covers it. */
export interface UpgradeOpenClawInput extends Partial<ApprovalTerms> {
  jobId: string;
  instanceId: string;
  nodeId: string;
  /** The bundle version to move to (bundle.ts; newer or older). */
  toVersion: string;
  /** How long a step waits for an offline node before the job fails (default 300). */
  nodeWaitSeconds?: number;
  /** How long the new version (and, after a rollback, the previous one) may take to become healthy (default 180). */
  healthTimeoutSeconds?: number;
  /** Snapshots of the state volume kept after a successful upgrade (default DEFAULT_KEEP_SNAPSHOTS). */
  keepSnapshots?: number;
  /**
   * The fleet rollout whose approval covers this upgrade (ADR 0030): the job waits for no approval of its
   * own. Only a claim: its node steps are signed only if the job's row holds a person's checked approval,
   * which the rollout's activity copied there after checking it against this job's terms.
   */
  coveredBy?: string;
}

export interface UpgradeOpenClawResult {
  state: 'completed' | 'ended without approval';
  fromVersion?: string | null;
  toVersion?: string;
  containers?: string[];
  snapshot?: StateSnapshot;
}

const reasonOf = (err: unknown) => (err instanceof ActivityFailure && err.cause ? err.cause.message : (err as Error).message);

/** Why the tool policy after the switch is not the one before (null: still in force). */
export function toolPolicyDrift(before: ToolPolicyState, after: ToolPolicyState, appliedHash: string | null): string | null {
  if (appliedHash && after.hash !== appliedHash) return `the gateway's tool policy ${after.hash} is not the one applied (${appliedHash})`;
  if (after.hash !== before.hash) return `the gateway's tool policy changed from ${before.hash} to ${after.hash}`;
  const lost = before.effective.denied.filter((tool) => !after.effective.denied.includes(tool));
  return lost.length ? `the new version lets a session call ${lost.join(', ')}, which the tool policy denied` : null;
}

export async function upgradeOpenclaw(input: UpgradeOpenClawInput): Promise<UpgradeOpenClawResult> {
  const record = jobRecorder(input.jobId);
  const node = jobNode({ nodeId: input.nodeId, nodeWaitSeconds: input.nodeWaitSeconds ?? 300 });
  const healthTimeoutSeconds = input.healthTimeoutSeconds ?? 180;
  /** Waits until the containers `on` answer /healthz, /readyz and `openclaw gateway health`. */
  const healthy = (on: { gatewayId: string; cliId?: string; port: number }, attempts: number) =>
    runOnNode({
      ...node,
      action: 'openclaw.wait-healthy',
      params: { ...on, timeoutSeconds: healthTimeoutSeconds },
      mode: 'idempotent',
      runSeconds: healthTimeoutSeconds + 30,
      heartbeatSeconds: PROGRESS_HEARTBEAT_SECONDS,
      attempts,
    });
  return asJob(input.jobId, async () => {
    await record({ state: 'preflight', step: 'preflight' });
    const target = await upgrades.upgradeTarget({ jobId: input.jobId, instanceId: input.instanceId });
    const previous = { gatewayId: target.gatewayId, ...(target.cliId ? { cliId: target.cliId } : {}) };
    const ref = { ...previous, port: target.port };
    const pre = await runOnNode({
      ...node,
      action: 'openclaw.upgrade-preflight',
      params: { ...ref, instanceId: input.instanceId, toVersion: input.toVersion },
      mode: 'idempotent',
      runSeconds: 120,
    });
    const failed = pre.checks.filter((c) => !c.ok);
    if (failed.length) throw ApplicationFailure.nonRetryable(`preflight failed: ${failed.map((c) => c.detail).join('; ')}`, 'PreflightFailed');
    const toolsBefore = await runOnNode({ ...node, action: 'openclaw.read_tool_policy', params: ref, mode: 'idempotent', runSeconds: 120 });
    const fromVersion = pre.fromVersion ?? target.fromVersion;
    const shown: Record<string, unknown> = { fromVersion, toVersion: input.toVersion, preflight: pre.checks, toolsHash: toolsBefore.hash };

    if (input.approvalPhrase && !input.coveredBy) {
      const terms = input as UpgradeOpenClawInput & ApprovalTerms;
      const approved = await approvalStep({
        policy: approvalPolicy(terms),
        timeoutSeconds: terms.approvalTimeoutSeconds,
        record,
        nextStep: 'snapshot',
        result: shown,
      });
      if (!approved) return { state: 'ended without approval' };
    } else {
      await record({ state: 'running', step: 'snapshot', result: shown });
    }

    const snapshot = await runOnNode({
      ...node,
      action: 'openclaw.snapshot-state',
      params: { instanceId: input.instanceId, jobId: input.jobId, ...previous },
      mode: 'idempotent',
      runSeconds: 600,
      heartbeatSeconds: PROGRESS_HEARTBEAT_SECONDS,
    }).catch(async (err: unknown) => {
      // The snapshot stops the gateway first: whatever failed, it runs again as it was.
      const restarted = await runOnNode({
        ...node,
        action: 'openclaw.start',
        params: { ...ref, timeoutSeconds: healthTimeoutSeconds },
        mode: 'idempotent',
        runSeconds: healthTimeoutSeconds + 60,
      }).then(
        () => 'the instance was started again as it was',
        (again: unknown) => `starting it again failed too: ${reasonOf(again)}`,
      );
      throw ApplicationFailure.nonRetryable(`the state snapshot failed: ${reasonOf(err)}; ${restarted}`, 'SnapshotFailed');
    });
    Object.assign(shown, { snapshot });

    let failure: string;
    try {
      await record({ step: 'switch', result: shown });
      const switched = await runOnNode({
        ...node,
        action: 'openclaw.switch-version',
        params: { instanceId: input.instanceId, instanceName: target.instanceName, port: target.port, jobId: input.jobId, toVersion: input.toVersion, previous },
        mode: 'idempotent',
        runSeconds: 900,
        heartbeatSeconds: PROGRESS_HEARTBEAT_SECONDS,
        attempts: 2,
      });
      const containers = switched.containers.map((c) => c.id);
      const now = { gatewayId: containers[0]!, ...(containers[1] ? { cliId: containers[1] } : {}), port: switched.port };
      await record({ step: 'health gate', result: shown });
      // The gate's verdict: a version that was not healthy in its time is not waited for again.
      const health = await healthy(now, 1);
      const toolsAfter = await runOnNode({ ...node, action: 'openclaw.read_tool_policy', params: now, mode: 'idempotent', runSeconds: 120 });
      const drift = toolPolicyDrift(toolsBefore, toolsAfter, target.appliedToolsHash);
      if (drift) throw ApplicationFailure.nonRetryable(drift, 'ToolPolicyNotInForce');

      await upgrades.recordInstanceUpgraded({
        jobId: input.jobId,
        instanceId: input.instanceId,
        containerIds: containers,
        bundleVersion: switched.version,
        fromVersion,
        health,
        snapshot,
      });
      await record({ step: 'finish', result: shown });
      const finished = await runOnNode({
        ...node,
        action: 'openclaw.finish-upgrade',
        params: { instanceId: input.instanceId, previous, keepSnapshots: input.keepSnapshots ?? DEFAULT_KEEP_SNAPSHOTS },
        mode: 'idempotent',
        runSeconds: 120,
      }).catch((err: unknown) => ({ cleanupFailed: reasonOf(err) }));
      await record({ state: 'completed', step: null, result: { ...shown, version: switched.version, containers, secondsToHealthy: health.seconds, finished } });
      return { state: 'completed', fromVersion, toVersion: switched.version, containers, snapshot };
    } catch (err) {
      // A run cancelled in Temporal ends as cancelled (asJob); the console refuses to cancel a running job.
      if (isCancellation(err)) throw err;
      failure = reasonOf(err);
    }

    // The switch or the health gate failed: back to the previous version and the snapshot's state.
    await record({ step: 'rollback', result: { ...shown, upgradeFailure: failure } });
    const rollback = await (async () => {
      await runOnNode({
        ...node,
        action: 'openclaw.rollback-version',
        params: { instanceId: input.instanceId, instanceName: target.instanceName, jobId: input.jobId, previous, snapshotVolume: snapshot.volume },
        mode: 'idempotent',
        runSeconds: 600,
        heartbeatSeconds: PROGRESS_HEARTBEAT_SECONDS,
      });
      const health = await healthy(ref, 3);
      await jobActivities.recordInstanceHealth({ jobId: input.jobId, instanceId: input.instanceId, health });
      return `rolled back to ${fromVersion ?? 'the previous version'} with the state of ${snapshot.takenAt}, healthy again`;
    })().catch((err: unknown) => `the rollback failed too: ${reasonOf(err)}`);
    throw ApplicationFailure.nonRetryable(`the upgrade to ${input.toVersion} failed: ${failure}; ${rollback}`, 'UpgradeRolledBack');
  });
}
