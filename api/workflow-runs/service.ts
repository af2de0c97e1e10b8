// Starting a run of a workflow definition (issue 14): it pins one version (the current one, or the one
// asked for), so editing the definition never changes a run in flight. Company admins run their own
// organization's workflows, MSP staff all, company users those shared with them (api/authz.ts `workflow.run`); each step then asks the policy
// engine at its own moment (workflows/workflow-run.ts). Simulate runs the same checks and approvals with
// no provider call and no node change.
import crypto from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { workflowVersions } from '../../db/schema.ts';
import { approvalGrantPublicKey } from '../../infra/approval-grant-key.ts';
import { loadConfig } from '../../infra/config.ts';
import type { Step } from '../../protocol/workflow-definition.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, NotFoundError, parseInput } from '../errors.ts';
import type { JobOutput } from '../jobs/job-output.ts';
import type { JobOrigin } from '../jobs/job-type.ts';
import { startJob } from '../jobs/service.ts';
import { findDefinition } from '../workflow-definitions/service.ts';
import { runTarget } from '../workflow-definitions/sharing.ts';
import { workflowRunJob } from './job-types.ts';

export const StartRunInput = z.object({
  simulate: z.boolean('simulate must be true or false').default(false).describe('Run the same checks and approvals without calling any provider or changing any node'),
  versionNumber: z.number('versionNumber must be a whole number').int('versionNumber must be a whole number').min(1).optional().describe('Default: the current version'),
});

export async function startWorkflowRun(ctx: ServiceContext, definitionId: string, input: unknown, origin: JobOrigin = {}): Promise<JobOutput> {
  const { d } = await findDefinition(ctx, definitionId, 'workflow_definition.view');
  await authorize(ctx, 'workflow.run', await runTarget(ctx.db, ctx.actor, d));
  const { simulate, versionNumber } = parseInput(StartRunInput, input ?? {});
  if (d.archivedAt) throw new ConflictError('id', `${d.name} is archived: unarchive it to run it.`);
  const [version] = await ctx.db
    .select()
    .from(workflowVersions)
    .where(versionNumber ? and(eq(workflowVersions.definitionId, d.id), eq(workflowVersions.number, versionNumber)) : eq(workflowVersions.id, d.currentVersionId ?? ''));
  if (!version) throw new NotFoundError('version of this workflow definition');
  const steps = version.steps as Step[];
  if (!steps.length) throw new ConflictError('id', `Version ${version.number} of ${d.name} has no steps.`);
  const jobId = origin.schedule?.jobId ?? crypto.randomUUID();
  // A scheduled run says which schedule and which of its runs started it.
  const scheduled = origin.schedule
    ? { scheduleId: origin.schedule.scheduleId, scheduledAt: origin.schedule.scheduledAt, scheduledWorkflowId: origin.schedule.workflowId, scheduledRunId: origin.schedule.runId }
    : {};
  return startJob(ctx, workflowRunJob, {
    id: jobId,
    organizationId: d.organizationId,
    params: { definitionId: d.id, definitionName: version.name, versionNumber: version.number, versionId: version.id, simulate, steps: steps.length, ...scheduled },
    retryOf: origin.retryOf,
    args: {
      jobId,
      definitionName: version.name,
      versionNumber: version.number,
      steps,
      simulate,
      requestedBy: { userId: ctx.actor.userId, email: ctx.actor.email, role: ctx.actor.role },
      approvalGrantKey: approvalGrantPublicKey(),
      approvalTimeoutSeconds: Math.round(loadConfig().APPROVAL_TIMEOUT_HOURS * 3600),
    },
  });
}
