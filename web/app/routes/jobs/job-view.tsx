// Small pieces the job pages share.
import type { JobOutput } from '../../../../api/jobs/service.ts';

const TYPE_LABELS: Record<string, string> = {
  deploy_openclaw: 'Deploy OpenClaw', adopt_openclaw: 'Take over OpenClaw', restart_gateway: 'Restart gateway', health_check: 'Health check',
  stop_instance: 'Stop OpenClaw', start_instance: 'Start OpenClaw', remove_instance: 'Remove OpenClaw', bundle_check: 'Bundle check',
};
export const jobTypeLabel = (type: string) => TYPE_LABELS[type] ?? type;

/** "acme-claw on edge-01" */
export const jobTarget = (j: Pick<JobOutput, 'params' | 'nodeName'>) =>
  `${typeof j.params.instanceName === 'string' ? `${j.params.instanceName} on ` : ''}${j.nodeName}`;

export function JobState({ state }: { state: string }) {
  return <span className={`badge job-${state}`} data-testid="job-state">{state.replaceAll('_', ' ')}</span>;
}
