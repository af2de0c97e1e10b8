// What the console's forms show of each provider: its name, auth method and field names (no schemas,
// which do not travel to the browser).
import { fieldNames } from '../../../../api/connections/providers/fields.ts';
import { providers } from '../../../../api/connections/providers/registry.ts';

export const AUTH_LABELS = { oauth2: 'OAuth 2.0', client_credentials: 'Client credentials', api_key: 'API key' } as const;

export const providerInfo = () =>
  [...providers().values()].map((p) => ({
    id: p.id,
    name: p.name,
    auth: AUTH_LABELS[p.auth],
    credentialFields: fieldNames(p.credentialSchema),
    metadataFields: fieldNames(p.metadataSchema),
  }));
