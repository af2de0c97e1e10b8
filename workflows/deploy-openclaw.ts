// Deploying an OpenClaw gateway to a node, approval-gated:
//   1. preflight on the node (Docker, port, disk, image); a failed check ends the job with its reason;
//   2. the approval phrase is shown and the workflow waits (workflows/approval.ts) until a person
//      approves, rejects or cancels, or the request expires;
//   3. on the node: the bundle's containers are created and started (idempotent: a retry finds its
//      earlier containers by label and continues; never a second gateway), then it waits, with progress
//      as heartbeats, until the gateway answers /healthz, /readyz and `openclaw gateway health`;
//   4. the instance is recorded as managed, and the job completed.
// Every state change of the job goes to Postgres and the audit trail through activities/jobs.ts.
import { ApplicationFailure } from '@temporalio/workflow';
import { approvalStep } from './approval.ts';
import { approvalPolicy, asJob, jobActivities, jobRecorder, type ApprovalTerms } from './job-record.ts';
import { jobNode, PROGRESS_HEARTBEAT_SECONDS, runOnNode, type NodeStep } from './node-job.ts';

export interface DeployOpenClawInput extends ApprovalTerms {
  jobId: string;
  nodeId: string;
  instanceId: string;
  instanceName: string;
  port: number;
  /** The bundle version to deploy (absent in runs started before there were several: the newest). */
  bundleVersion?: string;
  /** How long a step waits for an offline node before the job fails with "node offline". */
  nodeWaitSeconds: number;
  healthTimeoutSeconds: number;
}

export interface DeployOpenClawResult {
  state: 'completed' | 'ended without approval';
  containers?: string[];
  secondsToHealthy?: number;
}

const instanceParams = (input: DeployOpenClawInput) => ({
  instanceId: input.instanceId,
  instanceName: input.instanceName,
  port: input.port,
  ...(input.bundleVersion ? { bundleVersion: input.bundleVersion } : {}),
});

export async function deployOpenClaw(input: DeployOpenClawInput): Promise<DeployOpenClawResult> {
  const record = jobRecorder(input.jobId);
  return asJob(input.jobId, async () => {
    await record({ state: 'preflight', step: 'preflight' });
    const { checks } = await runOnNode({ ...jobNode(input), action: 'openclaw.preflight', params: instanceParams(input), mode: 'idempotent', runSeconds: 60 });
    const failed = checks.filter((c) => !c.ok);
    if (failed.length) throw ApplicationFailure.nonRetryable(`preflight failed: ${failed.map((c) => c.detail).join('; ')}`, 'PreflightFailed');

    const deploy: NodeStep<'openclaw.deploy'> = {
      ...jobNode(input),
      action: 'openclaw.deploy',
      params: { ...instanceParams(input), jobId: input.jobId },
      mode: 'idempotent',
      runSeconds: 900,
      heartbeatSeconds: PROGRESS_HEARTBEAT_SECONDS,
      attempts: 3,
    };
    const policy = approvalPolicy(input);
    const approved = await approvalStep({ policy, timeoutSeconds: input.approvalTimeoutSeconds, record, nextStep: 'deploy', result: { preflight: checks }, then: deploy });
    if (!approved) return { state: 'ended without approval' };

    const deployed = await runOnNode(deploy, approved.preSigned);
    await record({ step: 'health' });
    const health = await runOnNode({
      ...jobNode(input),
      action: 'openclaw.wait-healthy',
      mode: 'idempotent',
      params: { gatewayId: deployed.containers[0]!.id, cliId: deployed.containers[1]?.id, port: deployed.port, timeoutSeconds: input.healthTimeoutSeconds },
      runSeconds: input.healthTimeoutSeconds + 30,
      heartbeatSeconds: PROGRESS_HEARTBEAT_SECONDS,
      attempts: 2,
    });
    const containers = deployed.containers.map((c) => c.id);
    await jobActivities.recordManagedInstance({
      jobId: input.jobId,
      instanceId: input.instanceId,
      name: input.instanceName,
      containerIds: containers,
      bundleVersion: deployed.version,
      port: deployed.port,
      health,
    });
    await record({
      state: 'completed',
      step: null,
      result: { containers, image: deployed.image, version: deployed.version, port: deployed.port, secondsToHealthy: health.seconds },
    });
    return { state: 'completed', containers, secondsToHealthy: health.seconds };
  });
}
