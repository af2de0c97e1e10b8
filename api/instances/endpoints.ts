import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { JobOutput } from '../jobs/job-output.ts';
import { getInstanceLogs, LogsQuery, LogsResponse } from './logs.ts';
import { ChangeInstanceBody, InstanceName, requestAdoption, requestDeployment, requestHealthCheck, requestInstanceChange, requestRestart } from './service.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const DeploymentBody = z.object({
  instanceName: InstanceName,
  port: z.number().int().min(1024).max(65535).optional(),
  organizationId: z.string().uuid().optional().describe('Whose instance it is (default: the node’s organization; a shared-infrastructure node may host a customer’s)'),
});
const tag = 'Instances';

export const instanceEndpoints = [
  defineEndpoint({
    method: 'post',
    path: '/nodes/:id/deployments',
    tag,
    status: 201,
    callsTemporal: true,
    summary: 'Request an approval-gated deployment of the OpenClaw bundle to the node; the job shows the phrase to approve it with',
    params: IdParams,
    body: DeploymentBody,
    response: JobOutput,
    handler: (ctx, { params, body }) => requestDeployment(ctx, { ...body, nodeId: params.id }),
  }),
  defineEndpoint({
    method: 'post',
    path: '/instances/:id/adopt',
    tag,
    status: 201,
    callsTemporal: true,
    summary: 'Request an approval-gated adoption of a discovered OpenClaw instance: it becomes managed as it runs, nothing on the machine changes',
    params: IdParams,
    response: JobOutput,
    handler: (ctx, { params }) => requestAdoption(ctx, params.id),
  }),
  defineEndpoint({
    method: 'post',
    path: '/instances/:id/health-check',
    tag,
    status: 201,
    callsTemporal: true,
    summary: 'Check a managed instance now: each container, the gateway’s /healthz and /readyz, and openclaw gateway health (no approval)',
    params: IdParams,
    response: JobOutput,
    handler: (ctx, { params }) => requestHealthCheck(ctx, params.id),
  }),
  defineEndpoint({
    method: 'post',
    path: '/instances/:id/restart',
    tag,
    status: 201,
    callsTemporal: true,
    summary: 'Request an approval-gated restart of a managed instance’s gateway; the job reports the downtime',
    params: IdParams,
    response: JobOutput,
    handler: (ctx, { params }) => requestRestart(ctx, params.id),
  }),
  defineEndpoint({
    method: 'get',
    path: '/instances/:id/logs',
    tag,
    callsTemporal: true,
    summary:
      'A managed instance’s log lines (gateway or helper; the last N, or since a time), redacted on the machine. Read on the node by its agent: when no agent picks the request up within 5 s, the answer is 503 with Retry-After',
    params: IdParams,
    query: LogsQuery,
    response: LogsResponse,
    handler: (ctx, { params, query }) => getInstanceLogs(ctx, params.id, query),
  }),
  ...(['stop', 'start', 'remove'] as const).map((change) =>
    defineEndpoint({
      method: 'post',
      path: `/instances/:id/${change}`,
      tag,
      status: 201,
      callsTemporal: true,
      summary:
        change === 'remove'
          ? 'Request an approval-gated removal of a managed instance’s containers (its volumes too only with removeVolumes: true)'
          : `Request an approval-gated ${change} of a managed instance’s containers`,
      params: IdParams,
      body: ChangeInstanceBody,
      response: JobOutput,
      handler: (ctx, { params, body }) => requestInstanceChange(ctx, params.id, change, body),
    }),
  ),
];
