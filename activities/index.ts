// All control-plane activities, built once per worker around shared connections.
import type { Connection } from '@temporalio/client';
import type { Db } from '../db/client.ts';
import { createFleetRolloutActivities } from './fleet-rollouts.ts';
import { createJobActivities } from './jobs.ts';
import { createNodeDispatchActivities } from './node-jobs.ts';
import { createNodeActivities } from './nodes.ts';
import { createReadinessActivities } from './readiness.ts';
import { createScheduleActivities } from './schedules.ts';
import { createToolPolicyActivities } from './tool-policy.ts';
import { createUpgradeActivities } from './upgrades.ts';
import { createWorkflowRunActivities } from './workflow-runs.ts';

export function createActivities(deps: { db: Db; temporal: Connection; namespace: string }) {
  return {
    ...createReadinessActivities(deps),
    ...createNodeActivities(deps),
    ...createNodeDispatchActivities(deps),
    ...createJobActivities(deps),
    ...createToolPolicyActivities(deps),
    ...createUpgradeActivities(deps),
    ...createWorkflowRunActivities(deps),
    ...createScheduleActivities(deps),
    ...createFleetRolloutActivities(deps),
  };
}
