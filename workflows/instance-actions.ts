// Lifecycle actions on a managed instance, each a job:
//   checkInstanceHealth  reads only: each container's state, the gateway's /healthz and /readyz, and
//                        `openclaw gateway health`; no approval.
//   restartGateway       approval-gated like a deployment: reads the health first, waits for
//                        "restart <instance> on <node>", restarts the gateway once (never retried by
//                        surprise), waits until healthy again and reports the downtime.
//   changeInstance       stop, start or remove, each after its own typed approval; remove keeps the
//                        volumes unless the request (and so the phrase) says to remove the data too.
import type { InstanceHealth, NodeActionName } from '../protocol/node-actions.ts';
import { approvalStep } from './approval.ts';
import { approvalPolicy, asJob, jobActivities, jobRecorder, type ApprovalTerms } from './job-record.ts';
import { jobNode, PROGRESS_HEARTBEAT_SECONDS, runOnNode, type NodeStep, type PreSigned } from './node-job.ts';

export interface InstanceTarget {
  jobId: string;
  nodeId: string;
  instanceId: string;
  gatewayId: string;
  cliId?: string;
  port: number;
  nodeWaitSeconds: number;
}

type Recorder = ReturnType<typeof jobRecorder>;

type InstanceOnNode = Pick<InstanceTarget, 'nodeId' | 'gatewayId' | 'cliId' | 'port' | 'nodeWaitSeconds'>;

const ref = (t: InstanceOnNode) => ({ gatewayId: t.gatewayId, ...(t.cliId ? { cliId: t.cliId } : {}), port: t.port });

/** The instance's health measured on its node now (reads only): the health check's step, also the takeover's. */
export const healthOf = (t: InstanceOnNode) => runOnNode({ ...jobNode(t), action: 'openclaw.health', params: ref(t), mode: 'idempotent', runSeconds: 60 });

const recordHealth = (t: InstanceTarget, health: InstanceHealth) => jobActivities.recordInstanceHealth({ jobId: t.jobId, instanceId: t.instanceId, health });

/**
 * A risky action's start: the instance's health now (shown to the approver), then the typed approval,
 * whose check signs `then`, the node step it leads to (ADR 0032).
 */
async function healthThenApproval<A extends NodeActionName>(
  input: InstanceTarget & ApprovalTerms,
  record: Recorder,
  nextStep: string,
  then?: NodeStep<A>,
): Promise<{ before: InstanceHealth; preSigned?: PreSigned } | undefined> {
  await record({ state: 'preflight', step: 'health before' });
  const before = await healthOf(input);
  const approved = await approvalStep({ policy: approvalPolicy(input), timeoutSeconds: input.approvalTimeoutSeconds, record, nextStep, result: { before }, then });
  return approved ? { before, preSigned: approved.preSigned } : undefined;
}

export async function checkInstanceHealth(input: InstanceTarget): Promise<InstanceHealth> {
  return asJob(input.jobId, async () => {
    const record = jobRecorder(input.jobId);
    await record({ state: 'running', step: 'health' });
    const health = await healthOf(input);
    await recordHealth(input, health);
    await record({ state: 'completed', step: null, result: { health } });
    return health;
  });
}

export interface RestartGatewayInput extends InstanceTarget, ApprovalTerms {
  healthTimeoutSeconds: number;
  /**
   * The fleet rollout whose approval covers this restart (ADR 0030): the job waits for no approval of its
   * own. Only a claim: the restart is signed for the node only if the job's row holds a person's checked
   * approval, which the rollout's activity copied there after checking it against this job's terms.
   */
  coveredBy?: string;
}

/** A covered restart's start: the health before, then straight on (the rollout's approval is on the job's record). */
async function healthUnderRollout(input: InstanceTarget, record: Recorder): Promise<InstanceHealth> {
  await record({ state: 'preflight', step: 'health before' });
  const before = await healthOf(input);
  await record({ state: 'running', step: 'restart', result: { before } });
  return before;
}

export async function restartGateway(input: RestartGatewayInput): Promise<{ state: string; downtimeSeconds?: number }> {
  return asJob(input.jobId, async () => {
    const record = jobRecorder(input.jobId);
    // At most once: a restart that was started is never repeated by a retry.
    const restart: NodeStep<'openclaw.restart'> = {
      ...jobNode(input),
      action: 'openclaw.restart',
      params: { ...ref(input), timeoutSeconds: input.healthTimeoutSeconds },
      mode: 'at-most-once',
      runSeconds: input.healthTimeoutSeconds + 60,
      heartbeatSeconds: PROGRESS_HEARTBEAT_SECONDS,
    };
    const approved = input.coveredBy ? { before: await healthUnderRollout(input, record) } : await healthThenApproval(input, record, 'restart', restart);
    if (!approved) return { state: 'ended without approval' };
    const { before } = approved;
    const after = await runOnNode(restart, 'preSigned' in approved ? approved.preSigned : undefined);
    await recordHealth(input, after);
    await record({ state: 'completed', step: null, result: { before, after, downtimeSeconds: after.downtimeSeconds } });
    return { state: 'completed', downtimeSeconds: after.downtimeSeconds };
  });
}

export interface ChangeInstanceInput extends InstanceTarget, ApprovalTerms {
  change: 'stop' | 'start' | 'remove';
  removeVolumes: boolean;
  healthTimeoutSeconds: number;
}

export async function changeInstance(input: ChangeInstanceInput): Promise<{ state: string }> {
  return asJob(input.jobId, async () => {
    const record = jobRecorder(input.jobId);
    const approved = await healthThenApproval(input, record, input.change);
    if (!approved) return { state: 'ended without approval' };
    const { before } = approved;
    const step = { ...jobNode(input), heartbeatSeconds: PROGRESS_HEARTBEAT_SECONDS } as const;
    if (input.change === 'remove') {
      const removed = await runOnNode({
        ...step,
        action: 'openclaw.remove',
        params: { ...ref(input), removeVolumes: input.removeVolumes },
        mode: 'idempotent',
        runSeconds: 120,
      });
      await jobActivities.recordInstanceRemoved({ jobId: input.jobId, instanceId: input.instanceId, volumesRemoved: removed.volumesRemoved });
      await record({ state: 'completed', step: null, result: { before, ...removed } });
      return { state: 'completed' };
    }
    const after: InstanceHealth =
      input.change === 'stop'
        ? await runOnNode({ ...step, action: 'openclaw.stop', params: ref(input), mode: 'idempotent', runSeconds: 120 })
        : await runOnNode({
            ...step,
            action: 'openclaw.start',
            params: { ...ref(input), timeoutSeconds: input.healthTimeoutSeconds },
            mode: 'idempotent',
            runSeconds: input.healthTimeoutSeconds + 60,
          });
    await recordHealth(input, after);
    await record({ state: 'completed', step: null, result: { before, after } });
    return { state: 'completed' };
  });
}
