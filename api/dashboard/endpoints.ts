import { defineEndpoint } from '../endpoint.ts';
import { ChartsOutput, ChartsQuery, getDashboardCharts } from './charts.ts';
import { DashboardOutput, DashboardQuery, getDashboard } from './service.ts';

export const dashboardEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/dashboard',
    tag: 'Dashboard',
    summary:
      'The fleet at a glance: nodes by status, instances by state and health, jobs waiting for your approval and jobs failed in the last 24 hours, what failed (jobs, runs, scheduled runs) and what waits for your decision (your organization, or every one for MSP staff)',
    query: DashboardQuery,
    response: DashboardOutput,
    handler: (ctx, { query }) => getDashboard(ctx, query),
  }),
  defineEndpoint({
    method: 'get',
    path: '/dashboard/charts',
    tag: 'Dashboard',
    summary:
      'The dashboard’s charts over the last 7 days: nodes by status at the end of each day, job and run durations (median and p95) per job type or workflow definition, and approvals’ time to decision',
    query: ChartsQuery,
    response: ChartsOutput,
    handler: (ctx, { query }) => getDashboardCharts(ctx, query),
  }),
];
