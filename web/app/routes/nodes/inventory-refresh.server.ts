// "Refresh inventory" on the node page: a signed job asks the node's agent for its containers now.
import { requestInventoryRefresh } from '../../../../api/agents/inventory-refresh.ts';
import { attempt } from '../../service-errors.server.ts';
import type { NodeIntentArgs } from './intent.server.ts';

export const inventoryIntents = {
  'refresh-inventory': async ({ ctx, nodeId }: NodeIntentArgs) => ({ intent: 'refresh-inventory' as const, result: await attempt(() => requestInventoryRefresh(ctx, nodeId)) }),
};
