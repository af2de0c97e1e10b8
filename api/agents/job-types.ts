// The node's own jobs, declared once for the job kernel (api/jobs/registry.ts).
import { refreshNodeInventory } from '../../workflows/refresh-node-inventory.ts';
import { defineJobType } from '../jobs/job-type.ts';
import { requestInventoryRefresh } from './inventory-refresh.ts';

export const inventoryRefreshJob = defineJobType({
  type: 'inventory_refresh',
  nodeActions: ['inventory.list'],
  label: 'Refresh inventory',
  workflow: refreshNodeInventory,
  approval: 'none',
  runsOn: 'node',
  retry: { safe: true, again: async (ctx, job, origin) => (await requestInventoryRefresh(ctx, job.nodeId ?? '', origin)).job },
  result: { summary: (r) => `${String(r.containers)} container(s) on the node.` },
});

export const agentJobTypes = [inventoryRefreshJob];
