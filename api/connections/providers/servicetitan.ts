// ServiceTitan: client credentials plus the app key, for one tenant (its id is metadata). Read actions over
// ServiceTitan's paged lists (servicetitan-api.ts speaks the protocol): customers (CRM) and jobs (JPM).
import { z } from 'zod';
import { defineProvider, ProviderRequestError } from './provider.ts';
import { demoName, idField, secretField } from './fields.ts';
import { serviceTitanGet, type ServiceTitanCredentials, type ServiceTitanMetadata } from './servicetitan-api.ts';

const Customer = z.object({ id: z.number().int(), name: z.string(), type: z.string(), active: z.boolean(), modifiedOn: z.string() });
const Job = z.object({ id: z.number().int(), jobNumber: z.string(), customerId: z.number().int(), jobStatus: z.string(), summary: z.string(), modifiedOn: z.string() });
const Page = <T extends z.ZodType>(item: T) =>
  z.object({ page: z.number().int(), pageSize: z.number().int(), hasMore: z.boolean(), totalCount: z.number().int().nullable(), data: z.array(item) });

const ListInput = z.object({
  page: z.number('page must be a number').int().min(1, 'page is at least 1').default(1),
  // ServiceTitan's own bound on a page.
  pageSize: z.number('pageSize must be a number').int().min(1, 'pageSize is at least 1').max(5000, 'pageSize is at most 5000').default(50),
  includeTotal: z.boolean('includeTotal must be true or false').default(false),
  modifiedOnOrAfter: z.iso.datetime({ offset: true, message: 'modifiedOnOrAfter is a date and time (2026-11-01T00:00:00Z)' }).optional(),
});
type ListInput = z.infer<typeof ListInput>;

// ServiceTitan's list answer, as far as the actions read it: anything else it sends is left out.
const WirePage = z.object({ page: z.number(), pageSize: z.number(), hasMore: z.boolean(), totalCount: z.number().nullish(), data: z.array(z.unknown()) });
const WireCustomer = z.object({ id: z.number(), name: z.string(), type: z.string().nullish(), active: z.boolean(), modifiedOn: z.string() });
const WireJob = z.object({
  id: z.number(),
  jobNumber: z.string(),
  customerId: z.number(),
  jobStatus: z.string(),
  summary: z.string().nullish(),
  modifiedOn: z.string(),
});

/** Reads one of ServiceTitan's list answers into the action's output; an answer of another shape is said, naming where. */
export function readPage<W extends z.ZodType, T>(body: unknown, item: W, map: (w: z.infer<W>) => T) {
  const page = WirePage.safeParse(body);
  const items = page.success ? z.array(item).safeParse(page.data.data) : null;
  if (!page.success || !items?.success) {
    const issue = (page.success ? items!.error! : page.error).issues[0]!;
    const where = [...(page.success ? ['data'] : []), ...issue.path].join('.') || 'the answer';
    throw new ProviderRequestError('ServiceTitan', `an answer of an unexpected shape (${where})`);
  }
  const { page: n, pageSize, hasMore, totalCount } = page.data;
  return { page: n, pageSize, hasMore, totalCount: totalCount ?? null, data: items.data.map(map) };
}

export const toCustomer = (c: z.infer<typeof WireCustomer>): z.infer<typeof Customer> => ({
  id: c.id,
  name: c.name,
  type: c.type ?? '',
  active: c.active,
  modifiedOn: c.modifiedOn,
});
export const toJob = (j: z.infer<typeof WireJob>): z.infer<typeof Job> => ({
  id: j.id,
  jobNumber: j.jobNumber,
  customerId: j.customerId,
  jobStatus: j.jobStatus,
  summary: j.summary ?? '',
  modifiedOn: j.modifiedOn,
});

/** ServiceTitan's query for a list: its parameter names, as strings. */
export const listQuery = (input: ListInput) => ({
  page: String(input.page),
  pageSize: String(input.pageSize),
  includeTotal: String(input.includeTotal),
  modifiedOnOrAfter: input.modifiedOnOrAfter,
});

export const servicetitan = defineProvider<ServiceTitanCredentials, ServiceTitanMetadata>({
  id: 'servicetitan',
  name: 'ServiceTitan',
  auth: 'client_credentials',
  credentialSchema: z.object({
    clientId: secretField('clientId'),
    clientSecret: secretField('clientSecret'),
    appKey: secretField('appKey'),
    // Kept by the provider (servicetitan-api.ts), not typed by a person: an object, so the forms leave it out.
    token: z.object({ value: z.string().min(1).max(8192), expiresAt: z.number().int().positive() }).optional(),
  }),
  metadataSchema: z.object({ tenantId: idField('tenantId', /^\d{1,20}$/, '1234567890 (digits)').optional() }),
  hintField: 'clientSecret',
  baseUrls: { api: 'https://api.servicetitan.io', auth: 'https://auth.servicetitan.io' },
  actions: {
    'jobs.list': {
      description: 'List jobs (page, pageSize, modifiedOnOrAfter).',
      input: ListInput,
      output: Page(Job),
      run: async ({ input, ...ctx }) => readPage(await serviceTitanGet(ctx, 'jpm', 'jobs', listQuery(input as ListInput)), WireJob, toJob),
    },
    'customers.list': {
      description: 'List customers (page, pageSize, modifiedOnOrAfter).',
      input: ListInput,
      output: Page(Customer),
      run: async ({ input, ...ctx }) => readPage(await serviceTitanGet(ctx, 'crm', 'customers', listQuery(input as ListInput)), WireCustomer, toCustomer),
    },
  },
  // The cheapest authenticated call: one customer of the tenant.
  test: async (ctx) => {
    const page = readPage(await serviceTitanGet(ctx, 'crm', 'customers', { page: '1', pageSize: '1' }), WireCustomer, toCustomer);
    return { message: `ServiceTitan answered for tenant ${ctx.metadata.tenantId} (${page.data.length ? 'customers are visible' : 'no customers visible yet'}).` };
  },
  // Client credentials have no revocation endpoint: the tenant's admin disconnects the app in ServiceTitan.
  revoke: () => Promise.reject(new Error('ServiceTitan has no API to revoke client credentials: disconnect the app under Settings → Integrations → API Application Access')),
  demo: {
    'jobs.list': {
      page: 1,
      pageSize: 50,
      hasMore: false,
      totalCount: null,
      data: [{ id: 1, jobNumber: 'DEMO-J-1', customerId: 1, jobStatus: 'Scheduled', summary: demoName('Replace thermostat'), modifiedOn: '2026-01-05T09:00:00Z' }],
    },
    'customers.list': {
      page: 1,
      pageSize: 50,
      hasMore: false,
      totalCount: null,
      data: [{ id: 1, name: demoName('Northwind Heating'), type: 'Commercial', active: true, modifiedOn: '2026-01-04T16:30:00Z' }],
    },
  },
});
