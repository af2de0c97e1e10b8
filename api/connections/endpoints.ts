import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { OAuthStartOutput, startConnectionOAuth } from './oauth.ts';
import { ConnectionOutput, CreateConnectionInput, ListConnectionsQuery, SetCredentialsInput } from './model.ts';
import { createConnection, deleteConnection, getConnection, listConnections, setConnectionCredentials, setConnectionDisabled, testConnection } from './service.ts';

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
    handler: (ctx, { query }) => listConnections(ctx, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/connections',
    tag,
    summary: 'Create a connection (pending until its credentials are set and tested; demo mode answers with built-in sample data)',
    body: CreateConnectionInput,
    response: ConnectionOutput,
    status: 201,
    handler: (ctx, { body }) => createConnection(ctx, body),
  }),
  defineEndpoint({
    method: 'get',
    path: '/connections/:id',
    tag,
    summary: 'One connection: status and why, last test, mode, whether credentials are set (a placeholder and a hint, never the secret)',
    params: IdParams,
    response: ConnectionOutput,
    handler: (ctx, { params }) => getConnection(ctx, params.id),
  }),
  defineEndpoint({
    method: 'put',
    path: '/connections/:id/credentials',
    tag,
    summary: 'Set the connection’s credentials: sealed under the organization’s data key, write-only (never returned)',
    params: IdParams,
    body: SetCredentialsInput,
    response: ConnectionOutput,
    handler: (ctx, { params, body }) => setConnectionCredentials(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'post',
    path: '/connections/:id/test',
    tag,
    summary: 'Test the connection with a cheap call to its provider (demo: the built-in answer); the outcome is on the connection',
    params: IdParams,
    response: ConnectionOutput,
    handler: (ctx, { params }) => testConnection(ctx, params.id),
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
      handler: (ctx, { params }) => setConnectionDisabled(ctx, params.id, change === 'disable'),
    }),
  ),
  defineEndpoint({
    method: 'delete',
    path: '/connections/:id',
    tag,
    summary: 'Delete the connection and its sealed credentials, revoking them at the provider where it can',
    params: IdParams,
    response: ConnectionOutput,
    handler: (ctx, { params }) => deleteConnection(ctx, params.id),
  }),
];
