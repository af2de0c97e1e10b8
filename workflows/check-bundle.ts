// The OpenClaw bundle's readiness on one node (shown on the System page): the image present or built
// there, its version and size, and a throw-away gateway answering /healthz. A job without approval:
// it builds the image at most, and changes nothing else on the machine.
import type { BundleCheck } from '../protocol/node-actions.ts';
import { asJob, jobRecorder } from './job-record.ts';
import { jobNode, PROGRESS_HEARTBEAT_SECONDS, runOnNode } from './node-job.ts';

export interface CheckBundleInput {
  jobId: string;
  nodeId: string;
  nodeWaitSeconds: number;
  /** The bundle version to check (absent in runs started before there were several: the newest). */
  version?: string;
}

export async function checkBundle(input: CheckBundleInput): Promise<BundleCheck> {
  return asJob(input.jobId, async () => {
    const record = jobRecorder(input.jobId);
    await record({ state: 'running', step: 'bundle check' });
    const check = await runOnNode({
      ...jobNode(input),
      action: 'openclaw.bundle-check',
      params: { timeoutSeconds: 120, ...(input.version ? { version: input.version } : {}) },
      mode: 'idempotent',
      runSeconds: 900,
      heartbeatSeconds: PROGRESS_HEARTBEAT_SECONDS,
      attempts: 2,
    });
    await record({
      state: check.gatewayAnswered ? 'completed' : 'failed',
      step: null,
      result: { ...check },
      ...(check.gatewayAnswered ? {} : { failureReason: `bundle not ready: ${check.detail}` }),
    });
    return check;
  });
}
