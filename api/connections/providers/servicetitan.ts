// ServiceTitan: client credentials plus the app key, for one tenant (its id is metadata). Read actions.
import { z } from 'zod';
import { defineProvider } from './provider.ts';
import { demoName, idField, secretField } from './fields.ts';

const Page = (item: z.ZodType) => z.object({ data: z.array(item), hasMore: z.boolean() });
const ListInput = z.object({ page: z.number().int().min(1).default(1), pageSize: z.number().int().min(1).max(500).default(50) });

export const servicetitan = defineProvider({
  id: 'servicetitan',
  name: 'ServiceTitan',
  auth: 'client_credentials',
  credentialSchema: z.object({ clientId: secretField('clientId'), clientSecret: secretField('clientSecret'), appKey: secretField('appKey') }),
  metadataSchema: z.object({ tenantId: idField('tenantId', /^\d{1,20}$/, '1234567890 (digits)').optional() }),
  hintField: 'clientSecret',
  baseUrls: { api: 'https://api.servicetitan.io', auth: 'https://auth.servicetitan.io' },
  actions: {
    'jobs.list': { description: 'List jobs.', input: ListInput, output: Page(z.object({ id: z.number().int(), jobNumber: z.string(), summary: z.string() })) },
    'customers.list': { description: 'List customers.', input: ListInput, output: Page(z.object({ id: z.number().int(), name: z.string() })) },
  },
  demo: {
    'jobs.list': { data: [{ id: 1, jobNumber: 'DEMO-J-1', summary: demoName('Replace thermostat') }], hasMore: false },
    'customers.list': { data: [{ id: 1, name: demoName('Northwind Heating') }], hasMore: false },
  },
});
