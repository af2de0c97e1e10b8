import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { InboxOutput, listInbox } from './service.ts';

export const approvalEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/approvals',
    tag: 'Approvals',
    summary:
      'The Approvals inbox: jobs and workflow runs waiting for the caller’s decision (by role or approver group; not their own where forbidden, not one they already approved), soonest to expire first. Decide with POST /jobs/{id}/approve',
    query: z.object({}),
    response: InboxOutput,
    handler: (ctx) => listInbox(ctx),
  }),
];
