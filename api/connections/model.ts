// A connection as the API takes and returns it (ADR 0013). The credentials are write-only: what comes back
// is whether they are set, a placeholder and at most the last four characters of one long secret.
import { z } from 'zod';
import { CONNECTION_MODES, CONNECTION_STATUSES } from '../../db/schema.ts';
import { PROVIDERS } from '../capabilities/model.ts';
import { displayName } from '../display-text.ts';

export const CreateConnectionInput = z.object({
  organizationId: z.string('organizationId is required').uuid('organizationId must be a UUID'),
  provider: z.enum(PROVIDERS, `provider must be one of ${PROVIDERS.join(', ')}`),
  name: displayName('name', 100),
  mode: z.enum(CONNECTION_MODES, `mode must be one of ${CONNECTION_MODES.join(', ')}`).default('live'),
  metadata: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('Non-secret facts of the account; which ones depends on the provider (QuickBooks realmId, ServiceTitan tenantId, …)'),
});

export const SetCredentialsInput = z.object({
  credentials: z
    .record(z.string(), z.unknown(), 'credentials is required')
    .describe('The provider’s credential fields (Google Drive, QuickBooks: refreshToken; ServiceTitan: clientId, clientSecret, appKey; Composio: apiKey). Never returned.'),
  metadata: z.record(z.string(), z.unknown()).optional().describe('Replaces the non-secret metadata, when given'),
});

/** What may change on a connection besides its credentials; a field left out stays as it is. */
export const UpdateConnectionInput = z.object({
  name: displayName('name', 100).optional(),
  mode: z.enum(CONNECTION_MODES, `mode must be one of ${CONNECTION_MODES.join(', ')}`).optional(),
  metadata: z.record(z.string(), z.unknown()).optional().describe('Replaces the non-secret metadata, when given'),
});

export const RunActionInput = z.object({
  input: z.record(z.string(), z.unknown()).default({}).describe('The action’s input, checked by its schema (see the provider’s actions)'),
});

export const ActionResultOutput = z.object({
  source: z.enum(['Live', 'Demo']).describe('Where the result came from: the real provider, or built-in sample data'),
  provider: z.enum(PROVIDERS),
  action: z.string(),
  data: z.unknown(),
});

export const ListConnectionsQuery = z.object({ organizationId: z.string().uuid('organizationId must be a UUID').optional() });

/** Shown instead of a credential: it is never returned. */
export const CREDENTIAL_PLACEHOLDER = '••••••••';

export const ConnectionOutput = z.object({
  id: z.string().uuid(),
  organizationId: z.string().uuid(),
  organizationName: z.string(),
  provider: z.enum(PROVIDERS),
  providerName: z.string(),
  name: z.string(),
  status: z.enum(CONNECTION_STATUSES),
  statusReason: z.string(),
  statusChangedAt: z.string(),
  mode: z.enum(CONNECTION_MODES),
  lastTest: z.object({ at: z.string(), ok: z.boolean(), message: z.string() }).nullable(),
  credentials: z.object({ set: z.boolean(), placeholder: z.string().nullable(), hint: z.string().nullable() }),
  metadata: z.record(z.string(), z.unknown()),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ConnectionOutput = z.infer<typeof ConnectionOutput>;
