import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { JobOutput } from '../jobs/job-output.ts';
import { startWorkflowRun, StartRunInput } from './service.ts';

export const workflowRunEndpoints = [
  defineEndpoint({
    method: 'post',
    path: '/workflow-definitions/:id/runs',
    tag: 'Workflow runs',
    summary:
      'Run (or simulate) the definition’s current version, or the one named: a job whose steps each ask the policy engine when they run and wait for their approvals. Read it, approve its steps, cancel or retry it under /jobs/{id}',
    params: z.object({ id: z.string().uuid('id must be a UUID') }),
    body: StartRunInput,
    response: JobOutput,
    status: 201,
    callsTemporal: true,
    handler: (ctx, { params, body }) => startWorkflowRun(ctx, params.id, body),
  }),
];
