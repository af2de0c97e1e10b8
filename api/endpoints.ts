// Every REST endpoint of /api/v1, one list per feature. The authorization matrix test reads this list,
// so an endpoint added here without a matrix entry fails the tests.
import { agentEndpoints } from './agents/endpoints.ts';
import { auditEndpoints } from './audit/endpoints.ts';
import { capabilityEndpoints } from './capabilities/endpoints.ts';
import { approvalEndpoints } from './approvals/endpoints.ts';
import { approverGroupEndpoints } from './approver-groups/endpoints.ts';
import { connectionEndpoints } from './connections/endpoints.ts';
import { dashboardEndpoints } from './dashboard/endpoints.ts';
import type { Endpoint } from './endpoint.ts';
import { fleetEndpoints } from './fleet/endpoints.ts';
import { instanceEndpoints } from './instances/endpoints.ts';
import { bundleVersionEndpoints } from './system/bundle-versions.ts';
import { jobEndpoints } from './jobs/endpoints.ts';
import { nodeEndpoints } from './nodes/endpoints.ts';
import { organizationEndpoints } from './organizations/endpoints.ts';
import { peopleEndpoints } from './people/endpoints.ts';
import { scheduleEndpoints } from './schedules/endpoints.ts';
import { permissionEndpoints } from './permissions/endpoints.ts';
import { policyEndpoints } from './policy/endpoints.ts';
import { reportEndpoints } from './reports/endpoints.ts';
import { tokenEndpoints } from './tokens/endpoints.ts';
import { workflowDefinitionEndpoints } from './workflow-definitions/endpoints.ts';
import { workflowRunEndpoints } from './workflow-runs/endpoints.ts';

export const ENDPOINTS: Endpoint[] = [
  ...dashboardEndpoints,
  ...organizationEndpoints,
  ...peopleEndpoints,
  ...nodeEndpoints,
  ...agentEndpoints,
  ...jobEndpoints,
  ...instanceEndpoints,
  ...fleetEndpoints,
  ...bundleVersionEndpoints,
  ...capabilityEndpoints,
  ...permissionEndpoints,
  ...policyEndpoints,
  ...connectionEndpoints,
  ...approverGroupEndpoints,
  ...approvalEndpoints,
  ...workflowDefinitionEndpoints,
  ...workflowRunEndpoints,
  ...scheduleEndpoints,
  ...reportEndpoints,
  ...auditEndpoints,
  ...tokenEndpoints,
];
