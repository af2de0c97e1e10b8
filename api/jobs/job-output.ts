// A job as the console and the API show it: its record, plus what its type's definition says about it
// (label, how its result is told, whether it may be retried), so no page needs to know job types.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { JOB_STATES, jobs, nodes, organizations, users } from '../../db/schema.ts';
import type { ServiceContext } from '../authz.ts';
import { workflowRunUrl } from '../temporal-client.ts';
import { approvalsNeededOf, approvalsOfRequest } from './approvers.ts';
import { jobTypeOf } from './registry.ts';
import { JobProgress } from './step-progress.ts';

export const JobApprovalOutput = z.object({ at: z.string(), by: z.string(), role: z.string(), via: z.string(), outcome: z.string(), reason: z.string().optional() });

export const JobOutput = z.object({
  id: z.string(),
  type: z.string(),
  label: z.string(),
  state: z.enum(JOB_STATES),
  step: z.string().nullable(),
  organizationId: z.string(),
  organizationName: z.string(),
  nodeId: z.string().nullable().describe('The node its steps run on; null for a job that runs on the control plane only'),
  nodeName: z.string().nullable(),
  instanceId: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  requestedBy: z.string().nullable(),
  needsApproval: z.boolean(),
  approvalPhrase: z.string().nullable(),
  approvalExpiresAt: z.string().nullable(),
  approvals: z.array(JobApprovalOutput),
  approvalProgress: z
    .object({ given: z.number().int(), needed: z.number().int(), approvedBy: z.array(z.string()) })
    .nullable()
    .describe('While the job waits for approval: how many distinct people approved its current request, of how many needed (N-of-M)'),
  failureReason: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  summary: z.string().nullable().describe('The result in one sentence, once completed'),
  healthIn: z.string().nullable().describe('Which result field holds an instance health report, if any'),
  retry: z.object({ allowed: z.boolean(), why: z.string().nullable() }).describe('Whether POST /jobs/{id}/retry may start it again, or why not'),
  retryOf: z.string().nullable().describe('The job this one retries'),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: z.string().nullable(),
  durationSeconds: z.number().nullable(),
  workflowId: z.string(),
  temporalUrl: z.string(),
  progress: JobProgress.nullable()
    .optional()
    .describe(
      'GET /jobs/{id} only, present while the job runs (preflight, running): its current step’s progress as the step last reported it (a bundle image build, a wait for health, a Drive listing’s pages); null when the step reports none or Temporal does not answer in time',
    ),
});
export type JobOutput = z.infer<typeof JobOutput>;

/** States in which a job may still change: it counts as under way. */
export const ACTIVE_STATES = ['preflight', 'waiting_for_approval', 'running'] as const satisfies (typeof JOB_STATES)[number][];
const RETRYABLE_STATES = new Set<string>(['failed', 'expired']);

export function selectJobs(ctx: ServiceContext) {
  return ctx.db
    .select({ job: jobs, organizationName: organizations.name, nodeName: nodes.name, requester: users.email })
    .from(jobs)
    .innerJoin(organizations, eq(organizations.id, jobs.organizationId))
    .leftJoin(nodes, eq(nodes.id, jobs.nodeId))
    .leftJoin(users, eq(users.id, jobs.requestedBy));
}
export type JobRow = Awaited<ReturnType<ReturnType<typeof selectJobs>['execute']>>[number];

const iso = (d: Date | null) => d?.toISOString() ?? null;

function retryOf(type: string, state: string): JobOutput['retry'] {
  const definition = jobTypeOf(type);
  if (!definition) return { allowed: false, why: 'This release no longer runs this kind of job.' };
  if (!definition.retry.safe) return { allowed: false, why: definition.retry.why };
  if (!RETRYABLE_STATES.has(state)) return { allowed: false, why: 'Only a failed or expired job can be retried.' };
  return { allowed: true, why: null };
}

function progressOf(j: JobRow['job']): JobOutput['approvalProgress'] {
  const given = approvalsOfRequest(j.approvals, j.step);
  return { given: given.length, needed: approvalsNeededOf(j.approvalPolicy), approvedBy: given.map((a) => a.by) };
}

export function toOutput({ job: j, organizationName, nodeName, requester }: JobRow): JobOutput {
  const definition = jobTypeOf(j.type);
  const completed = j.state === 'completed' && j.result;
  return {
    id: j.id,
    type: j.type,
    label: definition?.label ?? j.type,
    state: j.state,
    step: j.step,
    organizationId: j.organizationId,
    organizationName,
    nodeId: j.nodeId,
    nodeName,
    instanceId: j.instanceId,
    params: j.params,
    requestedBy: requester,
    needsApproval: definition?.approval === 'required',
    approvalPhrase: j.approvalPhrase,
    approvalExpiresAt: iso(j.approvalExpiresAt),
    approvals: j.approvals,
    approvalProgress: j.state === 'waiting_for_approval' ? progressOf(j) : null,
    failureReason: j.failureReason,
    result: j.result,
    summary: completed && definition?.result?.summary ? definition.result.summary(j.result!) : null,
    healthIn: definition?.result?.health ?? null,
    retry: retryOf(j.type, j.state),
    retryOf: j.retryOf,
    createdAt: j.createdAt.toISOString(),
    updatedAt: j.updatedAt.toISOString(),
    completedAt: iso(j.completedAt),
    durationSeconds: j.completedAt ? Math.round((j.completedAt.getTime() - j.createdAt.getTime()) / 100) / 10 : null,
    workflowId: j.workflowId,
    temporalUrl: workflowRunUrl(j.workflowId, j.runId),
  };
}
