// The actions on one OpenClaw instance of the node page. Each starts a job (approval-gated where it
// changes something); the answer is that job's page, or the reason it could not start.
import { redirect } from 'react-router';
import type { ServiceContext } from '../../../../api/authz.ts';
import { requestAdoption, requestHealthCheck, requestInstanceChange, requestRestart } from '../../../../api/instances/service.ts';
import { requestUpgrade } from '../../../../api/instances/upgrade.ts';
import { attempt } from '../../service-errors.server.ts';
import type { NodeIntentArgs } from './intent.server.ts';

const startsJob =
  (start: (ctx: ServiceContext, instanceId: string, form: FormData) => Promise<{ id: string }>) =>
  async ({ ctx, form }: NodeIntentArgs) => {
    const result = await attempt(() => start(ctx, String(form.get('id') ?? ''), form));
    if (result.ok) return redirect(`/jobs/${result.value.id}`);
    return { intent: 'instance-action' as const, result };
  };

export const instanceIntents = {
  // A discovered instance becomes managed; nothing on the machine changes.
  adopt: startsJob((ctx, id) => requestAdoption(ctx, id)),
  'health-check': startsJob((ctx, id) => requestHealthCheck(ctx, id)),
  restart: startsJob((ctx, id) => requestRestart(ctx, id)),
  stop: startsJob((ctx, id) => requestInstanceChange(ctx, id, 'stop')),
  start: startsJob((ctx, id) => requestInstanceChange(ctx, id, 'start')),
  // Another bundle version (upgrade or downgrade): snapshot, switch, health gate, automatic rollback.
  upgrade: startsJob((ctx, id, form) => requestUpgrade(ctx, id, { toVersion: form.get('toVersion') ?? '' })),
  remove: startsJob((ctx, id, form) => requestInstanceChange(ctx, id, 'remove', { removeVolumes: form.get('removeVolumes') === 'on' })),
};
