import { defineEndpoint } from '../endpoint.ts';
import { pageOf } from '../pagination.ts';
import { AuditEventOutput, listAuditEvents, ListAuditEventsQuery } from './service.ts';

const tag = 'Audit';

export const auditEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/audit-events',
    tag,
    summary: 'List audit events, newest first, filtered by organization, actor, action (exact or prefix*), outcome and time',
    query: ListAuditEventsQuery,
    response: pageOf(AuditEventOutput),
    handler: (ctx, { query }) => listAuditEvents(ctx, query),
  }),
];
