import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { pageOf } from '../pagination.ts';
import {
  approveJob, ApproveInput, cancelJob, DecisionInput, getJob, getJobActivities, InstanceName, JobOutput, listJobs, ListJobsQuery, rejectJob, requestDeployment,
  requestHealthCheck, requestInstanceChange, requestRestart, requestTakeover, ChangeInstanceBody,
} from './service.ts';
import { ActivitySummary } from './run-history.ts';
import { getInstanceLogs, LogsQuery, LogsResponse } from './instance-logs.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const DeploymentBody = z.object({
  instanceName: InstanceName, port: z.number().int().min(1024).max(65535).optional(),
  organizationId: z.string().uuid().optional().describe('Whose instance it is (default: the node’s organization; a shared-infrastructure node may host a customer’s)'),
});
const tag = 'Jobs';

export const jobEndpoints = [
  defineEndpoint({ method: 'get', path: '/jobs', tag, summary: 'List jobs you may see, newest first (filter by state, organization, node)',
    query: ListJobsQuery, response: pageOf(JobOutput), handler: (ctx, { query }) => listJobs(ctx, query) }),
  defineEndpoint({ method: 'get', path: '/jobs/:id', tag, summary: 'Read a job: state, step, approvals, failure reason, and its run in Temporal Web',
    params: IdParams, response: JobOutput, handler: (ctx, { params }) => getJob(ctx, params.id) }),
  defineEndpoint({ method: 'get', path: '/jobs/:id/activities', tag,
    summary: 'What the job’s run did, activity by activity: calls, attempts, retry limit, timeouts and how the last try ended (from its Temporal history)',
    params: IdParams, response: z.object({ history: z.enum(['available', 'gone']), activities: z.array(ActivitySummary) }), handler: (ctx, { params }) => getJobActivities(ctx, params.id) }),
  defineEndpoint({ method: 'post', path: '/nodes/:id/deployments', tag, status: 201,
    summary: 'Request an approval-gated deployment of the OpenClaw bundle to the node; the job shows the phrase to approve it with',
    params: IdParams, body: DeploymentBody, response: JobOutput, handler: (ctx, { params, body }) => requestDeployment(ctx, { ...body, nodeId: params.id }) }),
  defineEndpoint({ method: 'post', path: '/instances/:id/takeover', tag, status: 201,
    summary: 'Request an approval-gated takeover of a discovered OpenClaw instance: it becomes managed as it runs, nothing on the machine changes',
    params: IdParams, response: JobOutput, handler: (ctx, { params }) => requestTakeover(ctx, params.id) }),
  defineEndpoint({ method: 'post', path: '/instances/:id/health-check', tag, status: 201,
    summary: 'Check a managed instance now: each container, the gateway’s /healthz and /readyz, and openclaw gateway health (no approval)',
    params: IdParams, response: JobOutput, handler: (ctx, { params }) => requestHealthCheck(ctx, params.id) }),
  defineEndpoint({ method: 'post', path: '/instances/:id/restart', tag, status: 201,
    summary: 'Request an approval-gated restart of a managed instance’s gateway; the job reports the downtime',
    params: IdParams, response: JobOutput, handler: (ctx, { params }) => requestRestart(ctx, params.id) }),
  defineEndpoint({ method: 'get', path: '/instances/:id/logs', tag,
    summary: 'A managed instance’s log lines (gateway or helper; the last N, or since a time), redacted on the machine',
    params: IdParams, query: LogsQuery, response: LogsResponse, handler: (ctx, { params, query }) => getInstanceLogs(ctx, params.id, query) }),
  ...(['stop', 'start', 'remove'] as const).map((change) => defineEndpoint({ method: 'post', path: `/instances/:id/${change}`, tag, status: 201,
    summary: change === 'remove'
      ? 'Request an approval-gated removal of a managed instance’s containers (its volumes too only with removeVolumes: true)'
      : `Request an approval-gated ${change} of a managed instance’s containers`,
    params: IdParams, body: ChangeInstanceBody, response: JobOutput, handler: (ctx, { params, body }) => requestInstanceChange(ctx, params.id, change, body) })),
  defineEndpoint({ method: 'post', path: '/jobs/:id/approve', tag, summary: 'Approve a waiting job by typing its phrase exactly',
    params: IdParams, body: ApproveInput, response: JobOutput, handler: (ctx, { params, body }) => approveJob(ctx, params.id, body) }),
  defineEndpoint({ method: 'post', path: '/jobs/:id/reject', tag, summary: 'Reject a waiting job (it ends without touching the machine)',
    params: IdParams, body: DecisionInput, response: JobOutput, handler: (ctx, { params, body }) => rejectJob(ctx, params.id, body) }),
  defineEndpoint({ method: 'post', path: '/jobs/:id/cancel', tag, summary: 'Cancel a job that has not started changing the machine',
    params: IdParams, body: DecisionInput, response: JobOutput, handler: (ctx, { params, body }) => cancelJob(ctx, params.id, body) }),
];
