// What the job kernel knows of a kind of job. Each feature declares its job types once with
// `defineJobType` (api/instances/job-types.ts, api/system/job-types.ts), and api/jobs/registry.ts lists
// them: the kernel starts, decides, retries and shows any job through its definition, never by its name.
import type { StricterConfirmation } from '../policy/engine.ts';
import type { Workflow } from '@temporalio/common';
import type { NodeActionName } from '../../protocol/node-actions.ts';
import type { ServiceContext } from '../authz.ts';
import type { JobOutput } from './job-output.ts';

/** A workflow that runs a job: its one input object carries the job's id. */
export type JobWorkflow = Workflow;

/** Where a request comes from when it is not a person's first ask: a retry of an earlier job. */
export interface JobOrigin {
  retryOf?: string;
  /**
   * Asked by a step of a workflow run (issue 14): the run's job, the id the new job takes (derived from the
   * run and the step, so a retried start finds it), and the step's stricter confirmation.
   */
  run?: { jobId: string; childJobId: string; stricter?: StricterConfirmation };
  /**
   * Started by a schedule's run (issue 15): the schedule, the scheduled workflow that launched it and the
   * id the job takes (derived from that workflow's run, so a retried launch finds it).
   */
  schedule?: { scheduleId: string; jobId: string; workflowId: string; runId: string; scheduledAt: string };
}

/** Starts a new job of the same kind with the same parameters; `origin.retryOf` links it to the first. */
export type RetryJob = (ctx: ServiceContext, job: JobOutput, origin: JobOrigin) => Promise<JobOutput>;

export interface JobTypeDefinition<W extends JobWorkflow = JobWorkflow> {
  /** Stored in jobs.type and shown in URLs of Temporal Web (as the workflow id's prefix): snake_case. */
  type: string;
  /** What people read: "Deploy OpenClaw". */
  label: string;
  /** Started by reference on the control-plane queue. */
  workflow: W;
  /** Whether the run waits for a typed approval before it changes anything. */
  approval: 'required' | 'none';
  /** Whether its steps run on a node (its node is then part of the job). */
  runsOn: 'node' | 'control-plane';
  /**
   * The node actions its run may have signed (ADR 0010): the control plane signs no other for it, and
   * one that changes the machine only once the job's approval was checked.
   */
  nodeActions?: readonly NodeActionName[];
  /**
   * The capability action it runs (ADR 0012): the kernel asks the policy engine before it records the
   * job, so a blocked request is refused with the rule's name and a run counts towards usage limits.
   */
  capability?: { key: string; action: string };
  /**
   * Whether a failed or expired job may be tried again as a new job (read-only or idempotent work only,
   * its approval asked again); otherwise why not, in one sentence.
   */
  retry: { safe: true; again: RetryJob } | { safe: false; why: string };
  /** How a completed job's result is told: one sentence, and which result field holds an instance's health. */
  result?: { summary?: (result: Record<string, unknown>) => string; health?: string };
}

export const defineJobType = <W extends JobWorkflow>(definition: JobTypeDefinition<W>): JobTypeDefinition<W> => {
  if (!/^[a-z][a-z0-9_]*$/.test(definition.type)) throw new Error(`job type "${definition.type}" must be snake_case`);
  return Object.freeze(definition);
};

/** The workflow id of a job: readable in Temporal Web, unique per job. */
export const jobWorkflowId = (type: string, jobId: string) => `${type.replaceAll('_', '-')}-${jobId}`;
