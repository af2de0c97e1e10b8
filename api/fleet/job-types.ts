// The fleet's own jobs, declared once for the job kernel (api/jobs/registry.ts): a rollout of an action that
// changes machines waits for one typed approval for all its targets (fleet_rollout); a bulk action that
// only reads (health checks, inventory refreshes) runs the same machinery without one (fleet_bulk).
// Both run on the control plane: each target's work is its own child job on its node.
import { fleetRollout } from '../../workflows/fleet-rollout.ts';
import type { RolloutSettings } from '../../workflows/fleet-rollout-plan.ts';
import { defineJobType } from '../jobs/job-type.ts';

/** What a rollout's record holds (jobs.params): its targets as they were picked, the only ones it may act on. */
export interface RolloutParams {
  action: string;
  selection: Record<string, unknown>;
  settings: RolloutSettings;
  /** What the request said about the action itself (api/fleet/actions.ts RolloutOptions); absent in rollouts started before it existed. */
  options?: { toVersion?: string };
  targets: { id: string; name: string; nodeId: string; organizationId: string }[];
  count: number;
}

const notRetried = { safe: false as const, why: 'A rollout is not repeated as a whole: start a new one over the targets that are left (its page lists them).' };
const summary = (r: Record<string, unknown>) => `${String(r.completed)} of ${String(r.total)} target(s) completed, ${String(r.failed)} failed.`;

export const rolloutJob = defineJobType({
  type: 'fleet_rollout',
  label: 'Fleet rollout',
  workflow: fleetRollout,
  approval: 'required',
  runsOn: 'control-plane',
  retry: notRetried,
  result: { summary },
});

export const bulkJob = defineJobType({
  type: 'fleet_bulk',
  label: 'Bulk action',
  workflow: fleetRollout,
  approval: 'none',
  runsOn: 'control-plane',
  retry: notRetried,
  result: { summary },
});

export const fleetJobTypes = [rolloutJob, bulkJob];
export const ROLLOUT_JOB_TYPES: readonly string[] = fleetJobTypes.map((t) => t.type);
