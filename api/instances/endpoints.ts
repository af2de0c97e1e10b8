import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { JobOutput } from '../jobs/job-output.ts';
import { pageOf, PageQuery } from '../pagination.ts';
import { getInstanceHealthHistory, HealthRecord } from './health-history.ts';
import { HealthChecksInput, requestHealthChecks } from './health-checks.ts';
import { getInstance, InstanceDetailOutput, InstanceOutput, listInstances, ListInstancesQuery } from './list.ts';
import { getInstanceLogs, LogsQuery, LogsResponse } from './logs.ts';
import { requestUpgrade, UpgradeBody } from './upgrade.ts';
import { ChangeInstanceBody, InstanceName, requestAdoption, requestDeployment, requestHealthCheck, requestInstanceChange, requestRestart } from './service.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const DeploymentBody = z.object({
  instanceName: InstanceName,
  port: z.number().int().min(1024).max(65535).optional(),
  organizationId: z.string().uuid().optional().describe('Whose instance it is (default: the node’s organization; a shared-infrastructure node may host a customer’s)'),
  bundleVersion: z.string().optional().describe('The OpenClaw bundle version to deploy (GET /system/bundle-versions; default: the newest)'),
});
const tag = 'Instances';

const HealthChecksOutput = z.object({
  started: z.array(z.object({ instanceId: z.string(), instanceName: z.string(), jobId: z.string() })),
  refused: z.array(
    z.object({
      instanceId: z.string(),
      instanceName: z.string().nullable(),
      reason: z.string(),
      rule: z.string().nullable().describe('the policy rule, when a policy blocked it'),
    }),
  ),
});

export const instanceEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/instances',
    tag,
    summary: 'List the OpenClaw instances you may see across nodes (filter by organization, node, state, health; search by name)',
    query: ListInstancesQuery,
    response: pageOf(InstanceOutput),
    handler: (ctx, { query }) => listInstances(ctx, query),
  }),
  defineEndpoint({
    method: 'get',
    path: '/instances/:id',
    tag,
    summary: 'Read an OpenClaw instance: its organization, node, state, bundle version and last health check',
    params: IdParams,
    response: InstanceDetailOutput,
    handler: (ctx, { params }) => getInstance(ctx, params.id),
  }),
  defineEndpoint({
    method: 'get',
    path: '/instances/:id/health-history',
    tag,
    summary: 'The instance’s health checks over time, newest first: healthy or not, when, and the job that checked',
    params: IdParams,
    query: PageQuery,
    response: pageOf(HealthRecord),
    handler: (ctx, { params, query }) => getInstanceHealthHistory(ctx, params.id, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/instances/health-checks',
    tag,
    summary:
      'Check many managed instances now (a health_check job each, no approval): what started, and what was refused with the reason (not managed, another job under way, a policy rule)',
    body: HealthChecksInput,
    response: HealthChecksOutput,
    handler: (ctx, { body }) => requestHealthChecks(ctx, body),
  }),
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
    method: 'post',
    path: '/instances/:id/upgrade',
    tag,
    status: 201,
    callsTemporal: true,
    summary:
      'Request an approval-gated move of a managed instance to another bundle version (upgrade or downgrade): preflight, a snapshot of its state volume, the switch with the same state and token, the health gate, and an automatic rollback on failure',
    params: IdParams,
    body: UpgradeBody,
    response: JobOutput,
    handler: (ctx, { params, body }) => requestUpgrade(ctx, params.id, body),
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
