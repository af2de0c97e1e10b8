// QuickBooks Online: OAuth 2.0 (Intuit); the company (realm) id comes back from the consent flow and is
// kept as metadata. One read action: a query.
import { z } from 'zod';
import { defineProvider } from './provider.ts';
import { demoName, idField, oauthCredentials } from './fields.ts';

export const quickbooks = defineProvider({
  id: 'quickbooks',
  name: 'QuickBooks Online',
  auth: 'oauth2',
  credentialSchema: oauthCredentials,
  metadataSchema: z.object({ realmId: idField('realmId', /^\d{1,32}$/, '9130357766223366 (digits)').optional() }),
  hintField: 'refreshToken',
  baseUrls: { api: 'https://quickbooks.api.intuit.com', oauth: 'https://oauth.platform.intuit.com' },
  actions: {
    query: {
      description: 'Run a read-only QuickBooks query (invoices, customers).',
      input: z.object({
        query: z
          .string('query is required')
          .trim()
          .regex(/^select\s/i, 'query is a QuickBooks SELECT statement')
          .max(4000),
      }),
      output: z.object({ rows: z.array(z.record(z.string(), z.unknown())), totalCount: z.number().int() }),
    },
  },
  demo: {
    query: {
      rows: [
        { Id: 'demo-1', DocNumber: 'DEMO-1001', CustomerRef: demoName('Northwind'), TotalAmt: 1250 },
        { Id: 'demo-2', DocNumber: 'DEMO-1002', CustomerRef: demoName('Contoso'), TotalAmt: 480.5 },
      ],
      totalCount: 2,
    },
  },
});
