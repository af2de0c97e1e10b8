import { defineEndpoint } from '../endpoint.ts';
import { DashboardOutput, DashboardQuery, getDashboard } from './service.ts';

export const dashboardEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/dashboard',
    tag: 'Dashboard',
    summary:
      'The fleet at a glance: nodes by status, instances by state and health, jobs waiting for your approval and jobs failed in the last 24 hours (your organization, or every one for MSP staff)',
    query: DashboardQuery,
    response: DashboardOutput,
    handler: (ctx, { query }) => getDashboard(ctx, query),
  }),
];
