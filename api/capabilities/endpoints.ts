import { z } from 'zod';
import { defineEndpoint } from '../endpoint.ts';
import { JobOutput } from '../jobs/job-output.ts';
import { applyInstanceCapabilities, attachCapability, AttachInput, detachCapability, getInstanceCapabilities, InstanceCapabilitiesOutput } from './attachments.ts';
import { CapabilityOutput, CreateCapabilityInput, ListCapabilitiesQuery, UpdateCapabilityInput } from './model.ts';
import { createCapability, deleteCapability, getCapability, listCapabilities, setCapabilityDisabled, updateCapability } from './service.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });
const tag = 'Capabilities';

export const capabilityEndpoints = [
  defineEndpoint({
    method: 'get',
    path: '/capabilities',
    tag,
    summary: 'The capability catalogue: tools with their actions and risks, skills, policies and packs (built in and the MSP’s own)',
    query: ListCapabilitiesQuery,
    response: z.object({ items: z.array(CapabilityOutput) }),
    handler: (ctx, { query }) => listCapabilities(ctx, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/capabilities',
    tag,
    status: 201,
    summary: 'Add a custom entry to the catalogue (MSP admins)',
    body: CreateCapabilityInput,
    response: CapabilityOutput,
    handler: (ctx, { body }) => createCapability(ctx, body),
  }),
  defineEndpoint({
    method: 'get',
    path: '/capabilities/:id',
    tag,
    summary: 'One catalogue entry',
    params: IdParams,
    response: CapabilityOutput,
    handler: (ctx, { params }) => getCapability(ctx, params.id),
  }),
  defineEndpoint({
    method: 'patch',
    path: '/capabilities/:id',
    tag,
    summary: 'Edit a custom entry (built-in entries change only with releases)',
    params: IdParams,
    body: UpdateCapabilityInput,
    response: CapabilityOutput,
    handler: (ctx, { params, body }) => updateCapability(ctx, params.id, body),
  }),
  ...(['disable', 'enable'] as const).map((change) =>
    defineEndpoint({
      method: 'post',
      path: `/capabilities/:id/${change}`,
      tag,
      summary: change === 'disable' ? 'Disable an entry: nothing may run it, for any organization' : 'Enable a disabled entry again',
      params: IdParams,
      response: CapabilityOutput,
      handler: (ctx, { params }) => setCapabilityDisabled(ctx, params.id, change === 'disable'),
    }),
  ),
  defineEndpoint({
    method: 'delete',
    path: '/capabilities/:id',
    tag,
    summary: 'Delete a custom entry; refused while a permission, a pack or an instance uses it (the answer names them)',
    params: IdParams,
    response: CapabilityOutput,
    handler: (ctx, { params }) => deleteCapability(ctx, params.id),
  }),
  defineEndpoint({
    method: 'get',
    path: '/instances/:id/capabilities',
    tag,
    summary: 'The capabilities and packs attached to an instance, and what it may use: each capability’s allowed actions, and each blocked one with its rule',
    params: IdParams,
    response: InstanceCapabilitiesOutput,
    handler: (ctx, { params }) => getInstanceCapabilities(ctx, params.id),
  }),
  defineEndpoint({
    method: 'post',
    path: '/instances/:id/capabilities',
    tag,
    summary: 'Attach a capability or pack to an instance: it may then use only what its attachments list, inside its organization’s permissions',
    params: IdParams,
    body: AttachInput,
    response: InstanceCapabilitiesOutput,
    handler: (ctx, { params, body }) => attachCapability(ctx, params.id, body),
  }),
  defineEndpoint({
    method: 'post',
    path: '/instances/:id/apply-capabilities',
    tag,
    status: 201,
    callsTemporal: true,
    summary:
      'Request an approval-gated job that writes the instance’s effective capabilities into its gateway’s tool policy (validated by the gateway’s own schema) and proves it from the running gateway’s effective tools; also how a drifted instance is mended',
    params: IdParams,
    response: JobOutput,
    handler: (ctx, { params }) => applyInstanceCapabilities(ctx, params.id),
  }),
  defineEndpoint({
    method: 'delete',
    path: '/instances/:id/capabilities/:capabilityId',
    tag,
    summary: 'Detach a capability or pack from an instance',
    params: z.object({ id: z.string().uuid('id must be a UUID'), capabilityId: z.string().uuid('capabilityId must be a UUID') }),
    response: InstanceCapabilitiesOutput,
    handler: (ctx, { params }) => detachCapability(ctx, params.id, params.capabilityId),
  }),
];
