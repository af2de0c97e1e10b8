import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { JobOutput } from '../jobs/job-output.ts';
import { controlRollout, requestRollout, RolloutInput } from './service.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const tag = 'Fleet';

export const fleetEndpoints = [
  defineEndpoint({
    method: 'post',
    path: '/rollouts',
    tag,
    status: 201,
    callsTemporal: true,
    summary:
      'Start a rollout of an action over instances or nodes picked by organization, node, label, version or list: a canary batch, then batches with a pause between them, stopping by itself past its thresholds; one child job per target. A restart or a change of version (action upgrade, with toVersion) waits for one typed approval for the whole rollout (and optionally a second after the canary); health checks and inventory refreshes need none (a bulk action)',
    body: RolloutInput,
    response: JobOutput,
    handler: (ctx, { body }) => requestRollout(ctx, body),
  }),
  ...(['pause', 'resume', 'cancel'] as const).map((what) =>
    defineEndpoint({
      method: 'post',
      path: `/rollouts/:id/${what}`,
      tag,
      callsTemporal: true,
      summary:
        what === 'cancel'
          ? 'Cancel a rollout: it stops before its next batch (a target already started finishes); the targets left are not started'
          : what === 'pause'
            ? 'Pause a rollout before its next batch (a target already started finishes)'
            : 'Resume a paused rollout, or one that stopped by itself past a threshold',
      params: IdParams,
      response: JobOutput,
      handler: (ctx, { params }) => controlRollout(ctx, params.id, what),
    }),
  ),
];
