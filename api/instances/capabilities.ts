// Applying capabilities to a managed instance: its gateway's own tool policy (protocol/tool-policy.ts)
// written on its node by an approval-gated job ("apply capabilities to <instance> on <node>"). The
// caller (the capabilities feature) renders the instance's effective capabilities into the ToolPolicy;
// this request checks who asks and the instance, and starts the job. Re-applying to a drifted instance
// is the same request.
import { z } from 'zod';
import { ToolPolicy } from '../../protocol/tool-policy.ts';
import type { ServiceContext } from '../authz.ts';
import { parseInput } from '../errors.ts';
import type { JobOutput } from '../jobs/job-output.ts';
import type { JobOrigin } from '../jobs/job-type.ts';
import { approvalTerms, startJob } from '../jobs/service.ts';
import { applyCapabilitiesJob } from './job-types.ts';
import { managedTarget, onInstance, targetOf } from './service.ts';

export const applyCapabilitiesPhrase = (instanceName: string, nodeName: string) => `apply capabilities to ${instanceName} on ${nodeName}`;

const ApplyRequest = z.object({
  toolPolicy: ToolPolicy,
  summary: z.string('summary is required').trim().min(1, 'summary must say what changes').max(500, 'summary must be at most 500 characters'),
});

/** Starts an approval-gated apply of `toolPolicy` to the instance's gateway; the job's result lists the effective tools. */
export async function requestCapabilityApply(ctx: ServiceContext, instanceId: string, toolPolicy: ToolPolicy, summary: string, origin: JobOrigin = {}): Promise<JobOutput> {
  const { instance, node } = await managedTarget(ctx, instanceId, 'instance.apply_capabilities');
  // Typed callers can still hand over a policy built at run time: it is checked like any input.
  const request = parseInput(ApplyRequest, { toolPolicy, summary });
  const jobId = crypto.randomUUID();
  const phrase = applyCapabilitiesPhrase(instance.name, node.name);
  return startJob(ctx, applyCapabilitiesJob, {
    id: jobId,
    ...onInstance(instance, node, { toolPolicy: request.toolPolicy, summary: request.summary }),
    phrase,
    retryOf: origin.retryOf,
    args: {
      ...targetOf(jobId, instance),
      ...(await approvalTerms(ctx, instance.organizationId, phrase)),
      toolPolicy: request.toolPolicy,
      summary: request.summary,
      healthTimeoutSeconds: 180,
    },
  });
}
