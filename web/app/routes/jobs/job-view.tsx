// Small pieces the job pages share. What a job type is called comes with the job (its `label`, from
// api/jobs/registry.ts), so nothing here lists job types.
import type { JobOutput } from '../../../../api/jobs/job-output.ts';

/** "acme-claw on edge-01"; a job with no node or instance names neither. */
export const jobTarget = (j: Pick<JobOutput, 'params' | 'nodeName'>) => {
  const instance = typeof j.params.instanceName === 'string' ? j.params.instanceName : null;
  return [instance, j.nodeName].filter(Boolean).join(' on ') || 'the control plane';
};

/** A job's state as a badge; `testId` only where it is the page's one job (a list holds many). */
export function JobState({ state, testId }: { state: string; testId?: string }) {
  return (
    <span className={`badge job-${state}`} data-testid={testId}>
      {state.replaceAll('_', ' ')}
    </span>
  );
}
