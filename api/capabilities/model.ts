// The capability catalogue's shapes as the API takes and returns them (ADR 0012). Shared by the service,
// the endpoints and the console's forms, so a rule on a key or an action is written once.
import { z } from 'zod';
import { CAPABILITY_KINDS, RISKS } from '../../db/schema.ts';

/** The connection providers a tool may need (the connections issue brings their credentials). */
export const PROVIDERS = ['google_drive', 'quickbooks', 'servicetitan', 'composio'] as const;

const ACTION_KEY = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

export const CapabilityKey = z
  .string('key is required')
  .trim()
  .regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/, 'key must be lower-case letters, digits, "_", "-" and dots, starting with a letter')
  .max(100, 'key is at most 100 characters');

export const ActionInput = z.object({
  key: z
    .string('actions[].key is required')
    .trim()
    .regex(ACTION_KEY, 'an action key is lower-case words joined by "_" or dots (files.list)')
    .max(100, 'an action key is at most 100 characters'),
  risk: z.enum(RISKS, `risk must be one of ${RISKS.join(', ')}`),
  description: z.string('actions[].description is required').trim().min(1, 'an action needs a one-line description').max(300, 'an action description is at most 300 characters'),
});

export const PackItemInput = z.object({
  capabilityKey: CapabilityKey,
  actions: z.array(z.string().trim().min(1).max(100)).min(1, 'a pack item brings at least one action').max(100),
});

const Fields = {
  name: z.string('name is required').trim().min(1, 'name is required').max(100, 'name is at most 100 characters'),
  description: z.string().trim().max(1000, 'description is at most 1000 characters').default(''),
  version: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z.+-]{1,40}$/, 'version is like 1.0.0')
    .default('1.0.0'),
  provider: z
    .enum(PROVIDERS, `provider must be one of ${PROVIDERS.join(', ')}`)
    .nullable()
    .default(null),
  openclawTool: z
    .string()
    .trim()
    .regex(/^(group:)?[a-z][a-z0-9_.-]*$/, 'openclawTool is an OpenClaw tool id or group (group:web)')
    .max(100)
    .nullable()
    .default(null),
  actions: z.array(ActionInput).max(100, 'a capability offers at most 100 actions').default([]),
  packItems: z.array(PackItemInput).max(100, 'a pack holds at most 100 items').default([]),
};

export const CreateCapabilityInput = z.object({ key: CapabilityKey, kind: z.enum(CAPABILITY_KINDS, `kind must be one of ${CAPABILITY_KINDS.join(', ')}`), ...Fields });
export const UpdateCapabilityInput = z.object(Fields);

export const CapabilityOutput = z.object({
  id: z.string().uuid(),
  key: z.string(),
  kind: z.enum(CAPABILITY_KINDS),
  name: z.string(),
  description: z.string(),
  version: z.string(),
  builtIn: z.boolean(),
  provider: z.string().nullable(),
  openclawTool: z.string().nullable(),
  actions: z.array(z.object({ key: z.string(), risk: z.enum(RISKS), description: z.string() })),
  packItems: z.array(z.object({ capabilityKey: z.string(), actions: z.array(z.string()) })),
  disabledAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CapabilityOutput = z.infer<typeof CapabilityOutput>;

export const ListCapabilitiesQuery = z.object({
  kind: z.enum(CAPABILITY_KINDS, `kind must be one of ${CAPABILITY_KINDS.join(', ')}`).optional(),
  risk: z
    .enum(RISKS, `risk must be one of ${RISKS.join(', ')}`)
    .optional()
    .describe('Entries with at least one action of this risk'),
  q: z.string().trim().max(100).optional().describe('Words in the key, name or description'),
  disabled: z.enum(['include', 'exclude', 'only']).default('include'),
});
