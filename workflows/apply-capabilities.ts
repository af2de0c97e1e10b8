// Applies a tool policy (an instance's effective capabilities, rendered by the caller) to its gateway, as
// an approval-gated job: the policy the gateway has now and its effective tools first (shown to the
// approver beside the wanted one), the typed approval "apply capabilities to <instance> on <node>", then
// the node's agent validates, writes and proves it (openclaw.apply_tool_policy), and the applied hash is
// recorded: the heartbeat compares the file's hash against it (drift). Idempotent: applying the same
// policy again writes nothing, so a drifted instance is mended by the same job, and a failed one may be
// retried.
import { proxyActivities } from '@temporalio/workflow';
import type { ToolPolicyActivities } from '../activities/tool-policy.ts';
import type { ToolPolicy } from '../protocol/tool-policy.ts';
import { approvalStep } from './approval.ts';
import type { InstanceTarget } from './instance-actions.ts';
import { approvalPolicy, asJob, jobRecorder, type ApprovalTerms } from './job-record.ts';
import { runOnNode } from './node-job.ts';

const toolPolicyActivities = proxyActivities<ToolPolicyActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

export interface ApplyCapabilitiesInput extends InstanceTarget, ApprovalTerms {
  toolPolicy: ToolPolicy;
  /** What changes, in one line, for the approver (from the caller: "pack Support desk: exec denied"). */
  summary: string;
  healthTimeoutSeconds: number;
}

export interface ApplyCapabilitiesResult {
  state: string;
  hash?: string;
  allowed?: string[];
  denied?: string[];
}

export async function applyCapabilities(input: ApplyCapabilitiesInput): Promise<ApplyCapabilitiesResult> {
  return asJob(input.jobId, async () => {
    const record = jobRecorder(input.jobId);
    const ref = { gatewayId: input.gatewayId, ...(input.cliId ? { cliId: input.cliId } : {}), port: input.port };
    const step = { nodeId: input.nodeId, waitForNodeSeconds: input.nodeWaitSeconds } as const;
    await record({ state: 'preflight', step: 'current tool policy' });
    const before = await runOnNode({ ...step, action: 'openclaw.read_tool_policy', params: ref, mode: 'idempotent', runSeconds: 120 });
    const shown = { summary: input.summary, desired: input.toolPolicy, before: { hash: before.hash, policy: before.policy, denied: before.effective.denied } };
    const approved = await approvalStep({ policy: approvalPolicy(input), timeoutSeconds: input.approvalTimeoutSeconds, record, nextStep: 'apply tool policy', result: shown });
    if (!approved) return { state: 'ended without approval' };
    const applied = await runOnNode({
      ...step,
      action: 'openclaw.apply_tool_policy',
      params: { ...ref, policy: input.toolPolicy, timeoutSeconds: input.healthTimeoutSeconds },
      // Writing the same configuration again changes nothing: a lost attempt is taken again.
      mode: 'idempotent',
      runSeconds: input.healthTimeoutSeconds + 120,
      heartbeatSeconds: 30,
    });
    const { allowed, denied } = applied.effective;
    await toolPolicyActivities.recordToolPolicyApplied({
      jobId: input.jobId,
      instanceId: input.instanceId,
      hash: applied.hash,
      tools: applied.tools,
      writtenAt: applied.writtenAt,
      allowed,
      denied,
    });
    await record({
      state: 'completed',
      step: null,
      result: { ...shown, hash: applied.hash, changed: applied.changed, reload: applied.reload, profile: applied.effective.profile, allowed, denied },
    });
    return { state: 'completed', hash: applied.hash, allowed, denied };
  });
}
