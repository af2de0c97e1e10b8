import { defineEndpoint } from '../endpoint.ts';
import { checkPolicy, PolicyCheckInput, VerdictOutput } from './service.ts';

export const policyEndpoints = [
  defineEndpoint({
    method: 'post',
    path: '/policy/check',
    tag: 'Permissions',
    summary: 'Ask the policy engine about one action now: allowed, needs a confirmation (by whom), or blocked by a named rule. Nothing runs or is counted',
    body: PolicyCheckInput,
    response: VerdictOutput,
    handler: (ctx, { body }) => checkPolicy(ctx, body),
  }),
];
