import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import {
  createEnrollmentToken,
  CreatedEnrollmentToken,
  CreateEnrollmentTokenInput,
  enrollAgent,
  EnrollInput,
  EnrollmentTokenOutput,
  EnrollOutput,
  listEnrollmentTokens,
  NodeIdentityOutput,
  revokeEnrollmentToken,
  revokeNode,
  whoami,
  WhoamiOutput,
} from './service.ts';
import { HeartbeatReport } from '../../protocol/heartbeat.ts';
import { receiveHeartbeat } from './heartbeat.ts';
import { InventoryRefreshOutput, requestInventoryRefresh } from './inventory-refresh.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const tag = 'Node agents';

export const agentEndpoints = [
  defineEndpoint({
    method: 'post',
    path: '/nodes/:id/enrollment-tokens',
    tag,
    status: 201,
    summary: 'Create a one-time enrollment token and the command to run on the machine (the token is shown once)',
    params: IdParams,
    body: CreateEnrollmentTokenInput,
    response: CreatedEnrollmentToken,
    handler: (ctx, { params, body }) => createEnrollmentToken(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'get',
    path: '/nodes/:id/enrollment-tokens',
    tag,
    summary: 'List a node’s enrollment tokens (never their values)',
    params: IdParams,
    response: z.object({ items: z.array(EnrollmentTokenOutput) }),
    handler: async (ctx, { params }) => ({ items: await listEnrollmentTokens(ctx, params.id) }),
  }),
  defineEndpoint({
    method: 'post',
    path: '/enrollment-tokens/:id/revoke',
    tag,
    summary: 'Revoke an unused enrollment token',
    params: IdParams,
    response: EnrollmentTokenOutput,
    handler: (ctx, { params }) => revokeEnrollmentToken(ctx, params.id),
  }),
  defineEndpoint({
    method: 'post',
    path: '/nodes/:id/revoke',
    tag,
    summary: 'Revoke a node: its agent’s requests, jobs and heartbeats are refused from now on (enroll again with a new token)',
    params: IdParams,
    response: NodeIdentityOutput,
    handler: (ctx, { params }) => revokeNode(ctx, params.id),
  }),
  defineEndpoint({
    method: 'post',
    path: '/nodes/:id/inventory-refresh',
    tag,
    status: 202,
    callsTemporal: true,
    summary: 'Ask the node’s agent for its container inventory now (a signed job on the node’s queue); returns the run and its Temporal Web link',
    params: IdParams,
    response: InventoryRefreshOutput,
    handler: async (ctx, { params }) => InventoryRefreshOutput.parse(await requestInventoryRefresh(ctx, params.id)),
  }),
  defineEndpoint({
    method: 'post',
    path: '/agent/enroll',
    tag,
    auth: 'none',
    status: 201,
    rateLimited: true,
    summary: 'Enroll an agent with a one-time token and the public key it generated (used by `agent-worker enroll`)',
    body: EnrollInput,
    response: EnrollOutput,
    handler: (ctx, { body }) => enrollAgent(ctx.db, body, ctx.client),
  }),
  defineEndpoint({
    method: 'post',
    path: '/agent/heartbeat',
    tag,
    auth: 'agent',
    callsTemporal: true,
    summary: 'The agent’s periodic report (host, OS, CPU, memory, Docker version, inventory digest, and the containers when they changed)',
    body: HeartbeatReport,
    response: z.object({ accepted: z.literal(true) }),
    handler: (ctx, { body }) => receiveHeartbeat(ctx.db, ctx.agent.nodeId, body),
  }),
  defineEndpoint({
    method: 'get',
    path: '/agent/whoami',
    tag,
    auth: 'agent',
    summary: 'The calling agent’s node, as the control plane sees it (used by `agent-worker status`)',
    response: WhoamiOutput,
    handler: (ctx) => whoami(ctx),
  }),
];
