// "Revoke" on the node page: the node's agent is cut off (MSP staff only).
import { revokeNode } from '../../../../api/agents/service.ts';
import { attempt } from '../../service-errors.server.ts';
import type { NodeIntentArgs } from './intent.server.ts';

export const revokeNodeIntents = {
  'revoke-node': async ({ ctx, nodeId }: NodeIntentArgs) => ({ intent: 'revoke-node' as const, result: await attempt(() => revokeNode(ctx, nodeId)) }),
};
