import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { runActionFor } from './actions.ts';
import { OAuthStartOutput, startConnectionOAuth } from './oauth.ts';
import { ActionResultOutput, ConnectionOutput, CreateConnectionInput, ListConnectionsQuery, RunActionInput, SetCredentialsInput, UpdateConnectionInput } from './model.ts';
import * as service from './service.ts';

const tag = 'Connections';
const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });

export const connectionEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/connections',
    tag,
    summary: 'Connections to SaaS providers: of one organization, or (MSP staff) of all; credentials are never returned',
    query: ListConnectionsQuery,
    response: z.object({ items: z.array(ConnectionOutput) }),
    handler: (ctx, { query }) => service.listConnections(ctx, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/connections',
    tag,
    summary: 'Create a connection (pending until its credentials are set and tested; demo mode answers with built-in sample data)',
    body: CreateConnectionInput,
    response: ConnectionOutput,
    status: 201,
    handler: (ctx, { body }) => service.createConnection(ctx, body),
  }),
  defineEndpoint({
    method: 'get',
    path: '/connections/:id',
    tag,
    summary: 'One connection: status and why, last test, mode, whether credentials are set (a placeholder and a hint, never the secret)',
    params: IdParams,
    response: ConnectionOutput,
    handler: (ctx, { params }) => service.getConnection(ctx, params.id),
  }),
  defineEndpoint({
    method: 'patch',
    path: '/connections/:id',
    tag,
    summary: 'Rename the connection, switch between live and demo, or replace its metadata (a new mode or metadata waits for a test again)',
    params: IdParams,
    body: UpdateConnectionInput,
    response: ConnectionOutput,
    handler: (ctx, { params, body }) => service.updateConnection(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'post',
    path: '/connections/:id/actions/:action',
    tag,
    summary:
      'Run one of the provider’s actions through the connection, after the policy engine allows it (an action that needs an approval runs from a workflow); the result says Live or Demo',
    params: IdParams.extend({ action: z.string().min(1).max(100) }),
    body: RunActionInput,
    response: ActionResultOutput,
    callsProvider: true,
    handler: (ctx, { params, body }) => runActionFor(ctx, params.id, params.action, body.input),
  }),
  defineEndpoint({
    method: 'put',
    path: '/connections/:id/credentials',
    tag,
    summary: 'Set the connection’s credentials: sealed under the organization’s data key, write-only (never returned)',
    params: IdParams,
    body: SetCredentialsInput,
    response: ConnectionOutput,
    handler: (ctx, { params, body }) => service.setConnectionCredentials(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'post',
    path: '/connections/:id/test',
    tag,
    summary: 'Test the connection with a cheap call to its provider (demo: the built-in answer); the outcome is on the connection',
    params: IdParams,
    response: ConnectionOutput,
    handler: (ctx, { params }) => service.testConnection(ctx, params.id),
  }),
  defineEndpoint({
    method: 'post',
    path: '/connections/:id/oauth/start',
    tag,
    summary:
      'Start the provider’s consent flow (OAuth 2.0 with PKCE): send the person to authorizationUrl; the provider sends them back to redirectUri, where the same person, signed in, finishes it',
    params: IdParams,
    response: OAuthStartOutput,
    handler: (ctx, { params }) => startConnectionOAuth(ctx, params.id),
  }),
  ...(['disable', 'enable'] as const).map((change) =>
    defineEndpoint({
      method: 'post',
      path: `/connections/:id/${change}`,
      tag,
      summary: change === 'disable' ? 'Disable the connection: the policy engine blocks what needs it' : 'Enable the connection again (pending until tested)',
      params: IdParams,
      response: ConnectionOutput,
      handler: (ctx, { params }) => service.setConnectionDisabled(ctx, params.id, change === 'disable'),
    }),
  ),
  defineEndpoint({
    method: 'delete',
    path: '/connections/:id',
    tag,
    summary: 'Delete the connection and its sealed credentials, revoking them at the provider where it can',
    params: IdParams,
    response: ConnectionOutput,
    handler: (ctx, { params }) => service.deleteConnection(ctx, params.id),
  }),
];
