// An approver group as the API takes and returns it: a named set of people who may approve wherever an
// approval policy names the group (issue 14).
import { z } from 'zod';
import { ROLES } from '../../db/schema.ts';
import { displayName, displayText } from '../display-text.ts';

export const CreateApproverGroupInput = z.object({
  organizationId: z.string('organizationId is required').uuid('organizationId must be a UUID'),
  name: displayName('name', 100),
  description: displayText('description', 500).default(''),
});

export const UpdateApproverGroupInput = z.object({
  name: displayName('name', 100).optional(),
  description: displayText('description', 500).optional(),
});

export const ListApproverGroupsQuery = z.object({ organizationId: z.string().uuid('organizationId must be a UUID').optional() });

export const ApproverGroupOutput = z.object({
  id: z.string().uuid(),
  organizationId: z.string().uuid(),
  organizationName: z.string(),
  mspWide: z.boolean().describe('A group of the MSP’s own organization: its policies may be named by any organization’s'),
  name: z.string(),
  description: z.string(),
  members: z.array(z.object({ userId: z.string().uuid(), email: z.string(), name: z.string(), role: z.enum(ROLES), active: z.boolean() })),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ApproverGroupOutput = z.infer<typeof ApproverGroupOutput>;
