// A loopback server answering the QuickBooks Online accounting API (v3) as Intuit's does, for the
// provider's fetch calls pointed at it (QUICKBOOKS_API_BASE_URL). It checks what Intuit checks: a Bearer
// access token that the authorization server issued for the accounting scope and that has not expired or
// been revoked (401), the company (realm) in the path being the one consented for (403), `minorversion`,
// and a query that parses as a SELECT on an entity the company has (Invoice, Customer). It answers
// `{ QueryResponse: { <Entity>: [...], startPosition, maxResults } | { totalCount }, time }`, the company's
// CompanyInfo, and errors as Intuit's Fault bodies.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNTING_SCOPE, QUICKBOOKS_RESOURCE, type IntuitOAuthStandIn } from './intuit-oauth-server.ts';
import { parseQuery, QueryParserError, runQuery, type Row } from './quickbooks-sql.ts';

export interface QuickBooksStandIn {
  /** QUICKBOOKS_API_BASE_URL: the provider appends v3/company/{realmId}/… */
  url: string;
  company: { realmId: string; name: string; entities: Record<string, Row[]> };
  /** Every request's path and query, and the token it carried (tests check what the provider sent). */
  requests: { path: string; query: Record<string, string>; bearer: string | null }[];
  close(): Promise<void>;
}

class Fault extends Error {
  readonly status: number;
  readonly body: { Error: { Message: string; Detail?: string; code: string }[]; type: string };
  constructor(status: number, type: string, error: { Message: string; Detail?: string; code: string }) {
    super(error.Message);
    this.status = status;
    this.body = { Error: [error], type };
  }
}

/** `count` invoices for two customers, enough for several pages. */
export function sampleCompany(realmId: string, count = 7): QuickBooksStandIn['company'] {
  const customers = [
    { Id: '1', DisplayName: 'Amy’s Bird Sanctuary', Active: true },
    { Id: '2', DisplayName: 'Bill’s Windsurf Shop', Active: true },
  ];
  const invoices = Array.from({ length: count }, (_, i) => ({
    Id: String(100 + i + 1),
    DocNumber: String(1001 + i),
    TxnDate: new Date(Date.UTC(2026, 9, 1 + i)).toISOString().slice(0, 10),
    CustomerRef: { value: customers[i % 2]!.Id, name: customers[i % 2]!.DisplayName },
    TotalAmt: 100 * (i + 1) + 0.5,
    Balance: i % 3 === 0 ? 0 : 100 * (i + 1) + 0.5,
  }));
  return { realmId, name: 'Sandbox Company_US_1', entities: { Invoice: invoices, Customer: customers } };
}

export async function startQuickBooksStandIn(oauth: IntuitOAuthStandIn, company: QuickBooksStandIn['company']): Promise<QuickBooksStandIn> {
  const requests: QuickBooksStandIn['requests'] = [];
  const state: QuickBooksStandIn = { url: '', company, requests, close: async () => {} };

  async function authorize(bearer: string | null): Promise<void> {
    const token = bearer ? await oauth.provider.AccessToken.find(bearer) : undefined;
    const ok = token && (token as { aud?: string }).aud === QUICKBOOKS_RESOURCE && (token.scope ?? '').split(' ').includes(ACCOUNTING_SCOPE);
    if (!ok) throw new Fault(401, 'AUTHENTICATION', { Message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', code: '3200' });
  }

  function query(params: URLSearchParams) {
    let parsed;
    try {
      parsed = parseQuery(params.get('query') ?? '', Object.keys(company.entities));
    } catch (err) {
      if (!(err instanceof QueryParserError)) throw err;
      throw new Fault(400, 'ValidationFault', { Message: 'Error parsing query', Detail: `QueryParserError: ${err.message}`, code: '4000' });
    }
    const all = company.entities[parsed.entity]!;
    if (parsed.fields === 'count') return { QueryResponse: { totalCount: runQuery({ ...parsed, startPosition: 1, maxResults: all.length }, all).length } };
    const rows = runQuery(parsed, all);
    // Nothing matched: an empty QueryResponse, no entity key at all.
    return { QueryResponse: rows.length ? { [parsed.entity]: rows, startPosition: parsed.startPosition, maxResults: rows.length } : {} };
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), bearer });
    const answer = async () => {
      await authorize(bearer);
      const m = /^\/v3\/company\/([^/]+)\/(query|companyinfo\/([^/]+))$/.exec(url.pathname);
      if (!m || req.method !== 'GET') throw new Fault(404, 'SystemFault', { Message: 'Unsupported Operation', Detail: `${req.method} ${url.pathname}`, code: '500' });
      if (decodeURIComponent(m[1]!) !== company.realmId)
        throw new Fault(403, 'AUTHENTICATION', { Message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403', code: '003100' });
      if (!/^\d+$/.test(url.searchParams.get('minorversion') ?? ''))
        throw new Fault(400, 'ValidationFault', { Message: 'Invalid minorversion', Detail: 'minorversion is a number, e.g. 75', code: '2010' });
      if (m[2] === 'query') return query(url.searchParams);
      if (m[3] !== company.realmId) throw new Fault(400, 'ValidationFault', { Message: 'Object Not Found', Detail: `CompanyInfo ${m[3]}`, code: '610' });
      return { CompanyInfo: { Id: company.realmId, CompanyName: company.name, Country: 'US' } };
    };
    answer().then(
      (body) => res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify({ ...body, time: new Date().toISOString() })),
      (err: unknown) => {
        const fault = err instanceof Fault ? err : new Fault(500, 'SystemFault', { Message: 'An application error has occurred', code: '10000' });
        const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8' };
        if (fault.status === 401) headers['www-authenticate'] = 'Bearer realm="Intuit", error="invalid_token"';
        res.writeHead(fault.status, headers).end(JSON.stringify({ Fault: fault.body, time: new Date().toISOString() }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
