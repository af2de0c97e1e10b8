import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { createToken, CreateTokenInput, listOwnTokens, revokeToken, TokenOutput } from './service.ts';

const tag = 'API tokens';

export const tokenEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/tokens',
    tag,
    summary: 'List your personal API tokens',
    response: z.object({ items: z.array(TokenOutput) }),
    handler: async (ctx) => ({ items: await listOwnTokens(ctx) }),
  }),
  defineEndpoint({
    method: 'post',
    path: '/tokens',
    tag,
    summary: 'Create a personal API token (the token is shown once)',
    status: 201,
    body: CreateTokenInput,
    response: z.object({ token: z.string(), record: TokenOutput }),
    handler: (ctx, { body }) => createToken(ctx, body),
  }),
  defineEndpoint({
    method: 'delete',
    path: '/tokens/:id',
    tag,
    summary: 'Revoke one of your personal API tokens',
    params: z.object({ id: z.string().uuid('id must be a UUID') }),
    response: TokenOutput,
    handler: (ctx, { params }) => revokeToken(ctx, params.id),
  }),
];
