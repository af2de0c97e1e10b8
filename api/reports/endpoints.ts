import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { pageOf } from '../pagination.ts';
import { PeriodQuery } from './period.ts';
import { getOrganizationReport, ReportOutput } from './service.ts';
import {
  CreatedShareLinkOutput,
  CreateShareLinkInput,
  createShareLink,
  listShareLinks,
  ListShareLinksQuery,
  openSharedReport,
  revokeShareLink,
  ShareLinkOutput,
} from './share-links.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const tag = 'Customer reports';

export const reportEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/organizations/:id/report',
    tag,
    summary:
      'The customer report of an organization over a period of whole days in its time zone (default the last 30): nodes and instances with their uptime from the health history, jobs and runs with their approvals, policy blocks by rule, audit highlights',
    params: IdParams,
    query: PeriodQuery,
    response: ReportOutput,
    handler: (ctx, { params, query }) => getOrganizationReport(ctx, params.id, query),
  }),
  defineEndpoint({
    method: 'get',
    path: '/organizations/:id/report-share-links',
    tag,
    summary: 'The organization’s report share links, newest first (MSP staff)',
    params: IdParams,
    query: ListShareLinksQuery,
    response: pageOf(ShareLinkOutput),
    handler: (ctx, { params, query }) => listShareLinks(ctx, params.id, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/organizations/:id/report-share-links',
    tag,
    summary: 'Share the organization’s report for a fixed period through a read-only link that expires (at most 90 days); the token is answered once',
    status: 201,
    params: IdParams,
    body: CreateShareLinkInput,
    response: CreatedShareLinkOutput,
    handler: (ctx, { params, body }) => createShareLink(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'post',
    path: '/report-share-links/:id/revoke',
    tag,
    summary: 'Revoke a report share link: it shows nothing from now on',
    params: IdParams,
    response: ShareLinkOutput,
    handler: (ctx, { params }) => revokeShareLink(ctx, params.id),
  }),
  defineEndpoint({
    method: 'get',
    path: '/shared-reports/:token',
    tag,
    auth: 'none',
    canBeGone: true,
    summary: 'The report a share link shows, without signing in (the token is the credential): 404 for a link never issued, 410 once revoked or expired',
    params: z.object({ token: z.string().max(200, 'token is too long') }),
    response: ReportOutput,
    handler: (ctx, { params }) => openSharedReport(ctx.db, params.token),
  }),
];
