import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { pageOf, PageQuery } from '../pagination.ts';
import { getNodeStatusHistory, StatusChange } from './status-history.ts';
import { getNodeInventory, NodeInventory } from './inventory.ts';
import { createNode, CreateNodeInput, getNode, listNodes, ListNodesQuery, NodeOutput, updateNode, UpdateNodeInput } from './service.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const tag = 'Nodes';

export const nodeEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/nodes',
    tag,
    summary: 'List the nodes you may see (optionally of one organization, or with one status)',
    query: ListNodesQuery,
    response: pageOf(NodeOutput),
    handler: (ctx, { query }) => listNodes(ctx, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/nodes',
    tag,
    summary: 'Create a node record (status pending until its agent enrolls)',
    status: 201,
    body: CreateNodeInput,
    response: NodeOutput,
    handler: (ctx, { body }) => createNode(ctx, body),
  }),
  defineEndpoint({ method: 'get', path: '/nodes/:id', tag, summary: 'Read a node', params: IdParams, response: NodeOutput, handler: (ctx, { params }) => getNode(ctx, params.id) }),
  defineEndpoint({
    method: 'get',
    path: '/nodes/:id/inventory',
    tag,
    summary: 'What the node’s agent last reported running (its containers, never their environment), and the OpenClaw instances seen among them',
    params: IdParams,
    response: NodeInventory,
    handler: (ctx, { params }) => getNodeInventory(ctx, params.id),
  }),
  defineEndpoint({
    method: 'get',
    path: '/nodes/:id/status-history',
    tag,
    summary: 'The node’s status changes over time, newest first: from, to, when and why (the agent’s heartbeat or the node status sweep, with its reason)',
    params: IdParams,
    query: PageQuery,
    response: pageOf(StatusChange),
    handler: (ctx, { params, query }) => getNodeStatusHistory(ctx, params.id, query),
  }),
  defineEndpoint({
    method: 'patch',
    path: '/nodes/:id',
    tag,
    summary: 'Change a node’s name, labels or notes',
    params: IdParams,
    body: UpdateNodeInput,
    response: NodeOutput,
    handler: (ctx, { params, body }) => updateNode(ctx, params.id, body),
  }),
];
