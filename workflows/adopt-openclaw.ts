// Takeover: a discovered OpenClaw instance becomes managed, exactly as it runs. The workflow reads the
// containers on the node (nothing changes there), waits for the typed approval, measures the instance's
// health as the health check does, and records the instance as managed with the containers it found and
// that health, so the node page shows it at once. No step changes the machine.
import { ApplicationFailure } from '@temporalio/workflow';
import type { DescribedContainer, InstanceHealth } from '../protocol/node-actions.ts';
import { approvalStep } from './approval.ts';
import { healthOf } from './instance-actions.ts';
import { approvalPolicy, asJob, jobActivities, jobRecorder, type ApprovalTerms } from './job-record.ts';
import { jobNode, runOnNode } from './node-job.ts';

export interface AdoptOpenClawInput extends ApprovalTerms {
  jobId: string;
  nodeId: string;
  /** The discovered instance's record, which becomes the managed one. */
  instanceId: string;
  instanceName: string;
  containerIds: string[];
  nodeWaitSeconds: number;
}

const stateOf = (c: DescribedContainer | undefined): InstanceHealth['gateway'] => (c ? { id: c.id, state: c.state, health: null } : { id: null, state: 'missing', health: null });

export async function adoptOpenClaw(input: AdoptOpenClawInput): Promise<{ state: string }> {
  const record = jobRecorder(input.jobId);
  const describe = () => runOnNode({ ...jobNode(input), action: 'openclaw.describe', params: { containerIds: input.containerIds }, mode: 'idempotent', runSeconds: 60 });
  return asJob(input.jobId, async () => {
    await record({ state: 'preflight', step: 'read containers' });
    const before = await describe();
    if (!before.containers.some((c) => c.state === 'running')) throw ApplicationFailure.nonRetryable('none of its containers is running', 'NotRunning');

    const policy = approvalPolicy(input);
    if (!(await approvalStep({ policy, timeoutSeconds: input.approvalTimeoutSeconds, record, nextStep: 'adopt', result: { containers: before.containers } }))) {
      return { state: 'ended without approval' };
    }
    // Read again: what is recorded is what runs now, after however long the approval took.
    const now = await describe();
    const gateway = now.containers.find((c) => c.port !== null) ?? now.containers[0]!;
    const helper = now.containers.find((c) => c.id !== gateway.id);
    // Without a gateway port there is nothing to probe: the containers' states are all there is to record.
    const health: InstanceHealth =
      gateway.port === null
        ? { gateway: stateOf(gateway), cli: stateOf(helper), healthz: null, readyz: null, cliCheck: null, healthy: false }
        : await healthOf({ nodeId: input.nodeId, gatewayId: gateway.id, cliId: helper?.id, port: gateway.port, nodeWaitSeconds: input.nodeWaitSeconds });
    await jobActivities.recordManagedInstance({
      jobId: input.jobId,
      instanceId: input.instanceId,
      name: input.instanceName,
      containerIds: now.containers.map((c) => c.id),
      bundleVersion: gateway.bundleVersion ?? `unknown (${gateway.image})`,
      port: gateway.port ?? 0,
      health,
    });
    await record({ state: 'completed', step: null, result: { containers: now.containers, health } });
    return { state: 'completed' };
  });
}
