import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { deletePermission, listPermissions, PermissionOutput, setPermission, SetPermissionInput } from './service.ts';

const tag = 'Permissions';
const OrgParams = z.object({ id: z.string().uuid('id must be a UUID') });
const OneParams = OrgParams.extend({ capabilityId: z.string().uuid('capabilityId must be a UUID') });

export const permissionEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/organizations/:id/permissions',
    tag,
    summary: 'What the organization may do with each capability: its own permission, the built-in default, or none',
    params: OrgParams,
    response: z.object({ items: z.array(PermissionOutput) }),
    handler: (ctx, { params }) => listPermissions(ctx, params.id),
  }),
  defineEndpoint({
    method: 'put',
    path: '/organizations/:id/permissions/:capabilityId',
    tag,
    summary: 'Set the organization’s permission for a capability (MSP staff); its company admin may only narrow one the MSP does not enforce',
    params: OneParams,
    body: SetPermissionInput,
    response: PermissionOutput,
    handler: (ctx, { params, body }) => setPermission(ctx, params.id, params.capabilityId, body),
  }),
  defineEndpoint({
    method: 'delete',
    path: '/organizations/:id/permissions/:capabilityId',
    tag,
    summary: 'Remove the organization’s own permission: the built-in default applies again, or nothing is allowed',
    params: OneParams,
    response: PermissionOutput,
    handler: (ctx, { params }) => deletePermission(ctx, params.id, params.capabilityId),
  }),
];
