// A run of a workflow definition is a job (ADR 0009): the kernel records it, starts its run, lists it,
// links it to Temporal Web, and its gated steps use the kernel's approvals (N-of-M, ADR 0015).
import { workflowRun } from '../../workflows/workflow-run.ts';
import { defineJobType } from '../jobs/job-type.ts';
import { startWorkflowRun } from './service.ts';

export const workflowRunJob = defineJobType({
  type: 'workflow_run',
  label: 'Workflow run',
  workflow: workflowRun,
  // Its steps wait for their own approvals; the run itself has no phrase at its start.
  approval: 'none',
  runsOn: 'control-plane',
  // A retry is a new run of the same version: the policy is asked again at each step, approvals given afresh.
  retry: {
    safe: true,
    again: (ctx, job, origin) =>
      startWorkflowRun(ctx, String(job.params.definitionId), { versionNumber: Number(job.params.versionNumber), simulate: job.params.simulate === true }, origin),
  },
  result: {
    summary: (r) => {
      const steps = (r.steps as { state: string }[] | undefined) ?? [];
      const count = (state: string) => steps.filter((s) => s.state === state).length;
      // A skipped step (its condition did not hold, or nobody confirmed where that skips) is not completed.
      return `${r.simulate ? 'Simulated: ' : ''}${count('completed')} of ${steps.length} steps completed${count('skipped') ? `, ${count('skipped')} skipped` : ''}.`;
    },
  },
});

export const workflowRunJobTypes = [workflowRunJob];
