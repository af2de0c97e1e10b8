// The node page's edit form (name, labels, notes); a post without an intent is this form too.
import { updateNode } from '../../../../api/nodes/service.ts';
import { attempt } from '../../service-errors.server.ts';
import type { NodeIntentArgs } from './intent.server.ts';
import { splitLabels } from './labels.ts';

export const editNodeIntents = {
  update: async ({ ctx, nodeId, form }: NodeIntentArgs) => ({
    intent: 'update' as const,
    result: await attempt(() => updateNode(ctx, nodeId, { name: form.get('name'), labels: splitLabels(form.get('labels')), notes: form.get('notes') ?? '' })),
  }),
};
