import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { pageOf } from '../pagination.ts';
import { ActivitySummary } from './run-history.ts';
import {
  approveJob, ApproveInput, cancelJob, DecisionInput, getJob, getJobActivities, GrantOutput, GrantRequest, JobOutput, listJobs, ListJobsQuery, rejectJob, requestApprovalGrant, retryJob,
} from './service.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const tag = 'Jobs';

export const jobEndpoints = [
  defineEndpoint({ method: 'get', path: '/jobs', tag, summary: 'List jobs you may see, newest first (filter by state, organization, node, type)',
    query: ListJobsQuery, response: pageOf(JobOutput), handler: (ctx, { query }) => listJobs(ctx, query) }),
  defineEndpoint({ method: 'get', path: '/jobs/:id', tag, summary: 'Read a job: state, step, approvals, failure reason, and its run in Temporal Web',
    params: IdParams, response: JobOutput, handler: (ctx, { params }) => getJob(ctx, params.id) }),
  defineEndpoint({ method: 'get', path: '/jobs/:id/activities', tag, callsTemporal: true,
    summary: 'What the job’s run did, activity by activity: calls, attempts, retry limit, timeouts and how the last try ended (from its Temporal history)',
    params: IdParams, response: z.object({ history: z.enum(['available', 'gone']), activities: z.array(ActivitySummary) }), handler: (ctx, { params }) => getJobActivities(ctx, params.id) }),
  defineEndpoint({ method: 'post', path: '/jobs/:id/approve', tag, scope: 'approve', callsTemporal: true, summary: 'Approve a waiting job by typing its phrase exactly',
    params: IdParams, body: ApproveInput, response: JobOutput, handler: (ctx, { params, body }) => approveJob(ctx, params.id, body) }),
  defineEndpoint({ method: 'post', path: '/jobs/:id/reject', tag, scope: 'approve', callsTemporal: true, summary: 'Reject a waiting job (it ends without touching the machine)',
    params: IdParams, body: DecisionInput, response: JobOutput, handler: (ctx, { params, body }) => rejectJob(ctx, params.id, body) }),
  defineEndpoint({ method: 'post', path: '/jobs/:id/cancel', tag, scope: 'approve', callsTemporal: true, summary: 'Cancel a job that has not started changing the machine',
    params: IdParams, body: DecisionInput, response: JobOutput, handler: (ctx, { params, body }) => cancelJob(ctx, params.id, body) }),
  defineEndpoint({ method: 'post', path: '/jobs/:id/approval-grant', tag, scope: 'approve',
    summary: 'A signed approval grant for the temporal CLI: the signed-in person\'s decision (approve by its phrase, reject, cancel) on this job\'s run, good for 10 minutes and once',
    params: IdParams, body: GrantRequest, response: GrantOutput, handler: (ctx, { params, body }) => requestApprovalGrant(ctx, params.id, body) }),
  defineEndpoint({ method: 'post', path: '/jobs/:id/retry', tag, status: 201, callsTemporal: true,
    summary: 'Try a failed or expired job again, where its type is safe to retry: a new job with the same parameters, linked to this one, its approval asked again',
    params: IdParams, response: JobOutput, handler: (ctx, { params }) => retryJob(ctx, params.id) }),
];
