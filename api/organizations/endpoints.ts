import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { pageOf } from '../pagination.ts';
import {
  archiveOrganization,
  createOrganization,
  CreateOrganizationInput,
  getOrganization,
  listOrganizations,
  ListOrganizationsQuery,
  OrganizationOutput,
  renameOrganization,
  UpdateOrganizationInput,
  ApprovalPolicyInput,
  setApprovalPolicy,
  setTimeZone,
  TimeZoneInput,
} from './service.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const tag = 'Organizations';

export const organizationEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/organizations',
    tag,
    summary: 'List the organizations you may see',
    query: ListOrganizationsQuery,
    response: pageOf(OrganizationOutput),
    handler: (ctx, { query }) => listOrganizations(ctx, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/organizations',
    tag,
    summary: 'Create a customer organization',
    status: 201,
    body: CreateOrganizationInput,
    response: OrganizationOutput,
    handler: (ctx, { body }) => createOrganization(ctx, body),
  }),
  defineEndpoint({
    method: 'get',
    path: '/organizations/:id',
    tag,
    summary: 'Read an organization',
    params: IdParams,
    response: OrganizationOutput,
    handler: (ctx, { params }) => getOrganization(ctx, params.id),
  }),
  defineEndpoint({
    method: 'patch',
    path: '/organizations/:id',
    tag,
    summary: 'Rename an organization',
    params: IdParams,
    body: UpdateOrganizationInput,
    response: OrganizationOutput,
    handler: (ctx, { params, body }) => renameOrganization(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'post',
    path: '/organizations/:id/archive',
    tag,
    summary: 'Archive an organization (not while it owns nodes)',
    params: IdParams,
    response: OrganizationOutput,
    handler: (ctx, { params }) => archiveOrganization(ctx, params.id),
  }),
  defineEndpoint({
    method: 'patch',
    path: '/organizations/:id/time-zone',
    tag,
    summary: 'The organization’s IANA time zone: its schedules’ upcoming times are shown in it, and new schedules read their calendar in it unless they name another',
    params: IdParams,
    body: TimeZoneInput,
    response: OrganizationOutput,
    handler: (ctx, { params, body }) => setTimeZone(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'patch',
    path: '/organizations/:id/approval-policy',
    tag,
    summary:
      'Whether the requester of a job for this organization (its machines and instances, also those hosted on shared infrastructure) may also approve it (applies to jobs requested from now on)',
    params: IdParams,
    body: ApprovalPolicyInput,
    response: OrganizationOutput,
    handler: (ctx, { params, body }) => setApprovalPolicy(ctx, params.id, body),
  }),
];
