import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { ApproverGroupOutput, CreateApproverGroupInput, ListApproverGroupsQuery, UpdateApproverGroupInput } from './model.ts';
import * as service from './service.ts';

const tag = 'Approver groups';
const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const MemberParams = IdParams.extend({ userId: z.string().uuid('userId must be a UUID') });

export const approverGroupEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/approver-groups',
    tag,
    summary: 'Approver groups of one organization and the MSP-wide ones (MSP staff: all)',
    query: ListApproverGroupsQuery,
    response: z.object({ items: z.array(ApproverGroupOutput) }),
    handler: (ctx, { query }) => service.listApproverGroups(ctx, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/approver-groups',
    tag,
    summary: 'Create an approver group (a group of the MSP’s own organization is MSP-wide)',
    body: CreateApproverGroupInput,
    response: ApproverGroupOutput,
    status: 201,
    handler: (ctx, { body }) => service.createApproverGroup(ctx, body),
  }),
  defineEndpoint({
    method: 'get',
    path: '/approver-groups/:id',
    tag,
    summary: 'One approver group and its members',
    params: IdParams,
    response: ApproverGroupOutput,
    handler: (ctx, { params }) => service.getApproverGroup(ctx, params.id),
  }),
  defineEndpoint({
    method: 'patch',
    path: '/approver-groups/:id',
    tag,
    summary: 'Rename an approver group or change its description',
    params: IdParams,
    body: UpdateApproverGroupInput,
    response: ApproverGroupOutput,
    handler: (ctx, { params, body }) => service.updateApproverGroup(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'delete',
    path: '/approver-groups/:id',
    tag,
    summary: 'Delete an approver group that no permission names',
    params: IdParams,
    response: ApproverGroupOutput,
    handler: (ctx, { params }) => service.deleteApproverGroup(ctx, params.id),
  }),
  defineEndpoint({
    method: 'put',
    path: '/approver-groups/:id/members/:userId',
    tag,
    summary: 'Add a person (of the group’s organization, or MSP staff) to the group',
    params: MemberParams,
    response: ApproverGroupOutput,
    handler: (ctx, { params }) => service.addApproverGroupMember(ctx, params.id, params.userId),
  }),
  defineEndpoint({
    method: 'delete',
    path: '/approver-groups/:id/members/:userId',
    tag,
    summary: 'Remove a person from the group (their next approval where the group is named is refused)',
    params: MemberParams,
    response: ApproverGroupOutput,
    handler: (ctx, { params }) => service.removeApproverGroupMember(ctx, params.id, params.userId),
  }),
];
