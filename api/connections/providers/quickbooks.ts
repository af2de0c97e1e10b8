// QuickBooks Online: OAuth 2.0 with Intuit (intuit-oauth.ts); the company (realm) id comes back from the
// consent flow and is kept as metadata. One read action, a query in Intuit's query language, and a test
// reading the company's name, over the accounting API's wire protocol
// (GET {api}/v3/company/{realmId}/query?query=…&minorversion=75, Bearer token, JSON): Intuit in
// production, a loopback server speaking it in the tests.
import { z } from 'zod';
import { ConflictError } from '../../errors.ts';
import { defineProvider, ProviderRequestError, type ProviderContext } from './provider.ts';
import { demoName, idField, oauthCredentials } from './fields.ts';
import { AccessTokenRefused, INTUIT_OAUTH_URLS, intuitOAuthFlow, networkCodeOf, revokeIntuit, withIntuitAuth, type IntuitTokens } from './intuit-oauth.ts';
import { faultSentence, pageOf, pageQuery, planQuery } from './quickbooks-query.ts';

/** The API version asked for: Intuit answers older minor versions as 75 since 2025. */
export const MINOR_VERSION = '75';
const NAME = 'QuickBooks Online';

type Metadata = { realmId?: string };
type Ctx = ProviderContext<IntuitTokens, Metadata>;

const QueryInput = z.object({
  query: z
    .string('query is required')
    .trim()
    .regex(/^select\s/i, 'query is a QuickBooks SELECT statement')
    .max(4000, 'query is at most 4000 characters')
    .refine((q) => planQuery(q) !== null, 'query is SELECT … FROM an entity (Invoice, Customer, …)')
    .describe("A QuickBooks query, e.g. SELECT * FROM Invoice WHERE TotalAmt > '100.00'"),
  pageSize: z.number('pageSize must be a number').int().min(1, 'pageSize is at least 1').max(1000, 'pageSize is at most 1000').default(1000),
  /** How many rows at most, over as many pages as that takes (a query with its own STARTPOSITION or MAXRESULTS is asked once). */
  limit: z.number('limit must be a number').int().min(1, 'limit is at least 1').max(5000, 'limit is at most 5000').default(1000),
});
const QueryOutput = z.object({ rows: z.array(z.record(z.string(), z.unknown())), totalCount: z.number().int() });

const realmOf = (ctx: Ctx) => {
  if (!ctx.metadata.realmId) throw new ConflictError('realmId', `${ctx.connection.name} has no QuickBooks company (realmId): connect it through Intuit's consent.`);
  return ctx.metadata.realmId;
};

/** One GET on the company's API, with a valid access token; Intuit's Fault becomes its sentence, never the request. */
function companyGet(ctx: Ctx, path: string, params: Record<string, string> = {}): Promise<unknown> {
  const realmId = realmOf(ctx);
  const base = ctx.baseUrls.api!.endsWith('/') ? ctx.baseUrls.api! : `${ctx.baseUrls.api}/`;
  const url = new URL(`v3/company/${encodeURIComponent(realmId)}/${path}`, base);
  for (const [k, v] of Object.entries({ ...params, minorversion: MINOR_VERSION })) url.searchParams.set(k, v);
  return withIntuitAuth(ctx, async (accessToken) => {
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' }, signal: ctx.signal });
    } catch (err) {
      throw new ProviderRequestError(NAME, `no answer (${networkCodeOf(err)})`);
    }
    if (res.status === 401) {
      await res.body?.cancel();
      throw new AccessTokenRefused();
    }
    const body: unknown = await res.json().catch(() => null);
    const fault = faultSentence(body);
    if (!res.ok || fault) throw new ProviderRequestError(NAME, fault ?? `HTTP ${res.status}`);
    return body;
  });
}

/** Runs the query, page after page (STARTPOSITION, MAXRESULTS) until `limit` rows or a short page. */
async function query(ctx: Ctx, input: z.infer<typeof QueryInput>): Promise<z.infer<typeof QueryOutput>> {
  const plan = planQuery(input.query)!;
  const ask = async (q: string) => {
    const page = pageOf(await companyGet(ctx, 'query', { query: q }));
    if (!page) throw new ProviderRequestError(NAME, 'an answer without a QueryResponse');
    return page;
  };
  if (plan.count || plan.ownPaging) {
    const page = await ask(input.query);
    const rows = page.rows.slice(0, input.limit);
    return { rows, totalCount: page.totalCount ?? rows.length };
  }
  const rows: Record<string, unknown>[] = [];
  for (;;) {
    const maxResults = Math.min(input.pageSize, input.limit - rows.length);
    const page = await ask(pageQuery(input.query, rows.length + 1, maxResults));
    rows.push(...page.rows.slice(0, maxResults));
    if (page.rows.length < maxResults || rows.length >= input.limit) break;
  }
  return { rows, totalCount: rows.length };
}

export const quickbooks = defineProvider<IntuitTokens, Metadata>({
  id: 'quickbooks',
  name: NAME,
  auth: 'oauth2',
  credentialSchema: oauthCredentials,
  metadataSchema: z.object({ realmId: idField('realmId', /^\d{1,32}$/, '9130357766223366 (digits)').optional() }),
  hintField: 'refreshToken',
  baseUrls: { api: 'https://quickbooks.api.intuit.com/', ...INTUIT_OAUTH_URLS },
  actions: {
    query: {
      description: 'Run a read-only QuickBooks query (invoices, customers).',
      input: QueryInput,
      output: QueryOutput,
      run: ({ input, ...ctx }) => query(ctx, input as z.infer<typeof QueryInput>),
    },
  },
  // The cheapest authenticated call that names the company.
  test: async (ctx) => {
    const realmId = realmOf(ctx);
    const body = (await companyGet(ctx, `companyinfo/${encodeURIComponent(realmId)}`)) as { CompanyInfo?: { CompanyName?: unknown } } | null;
    const name = body?.CompanyInfo?.CompanyName;
    return { message: typeof name === 'string' ? `Connected to ${name.slice(0, 200)}.` : `${NAME} answered for company ${realmId}.` };
  },
  oauth: intuitOAuthFlow,
  revoke: revokeIntuit,
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
