// A loopback server speaking ServiceTitan's wire protocol, for the product's ServiceTitan provider pointed
// at it (SERVICETITAN_AUTH_URL, SERVICETITAN_API_URL). The authorization server's `POST /connect/token`
// takes the client credentials grant as a form body (grant_type, client_id, client_secret), answers
// `{ access_token, expires_in, token_type }` and refuses an unknown or disconnected client (400
// invalid_client); the API's lists (`GET /crm/v2/tenant/{tenant}/customers`, `/jpm/v2/tenant/{tenant}/jobs`)
// check what ServiceTitan checks: an access token it issued that has not expired or been revoked (the bare
// token, as ServiceTitan documents, or "Bearer <token>"), the app key in ST-App-Key, the tenant the app is
// connected to, `page`/`pageSize` (1–5000), `includeTotal` and `modifiedOnOrAfter`, and answer
// `{ page, pageSize, hasMore, totalCount, data }`. Errors are problem documents, as ServiceTitan's are.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServiceTitanClient {
  clientId: string;
  clientSecret: string;
  appKey: string;
  tenantId: string;
}

export interface ServiceTitanStandIn {
  /** SERVICETITAN_AUTH_URL and SERVICETITAN_API_URL for the product. */
  env: Record<string, string>;
  client: ServiceTitanClient;
  customers: Record<string, unknown>[];
  jobs: Record<string, unknown>[];
  settings: { tokenTtl: number };
  /** Token requests (accepted or not) and API requests, with what the client sent (never asserted in clear elsewhere). */
  seen: { tokens: { clientId: string; ok: boolean }[]; api: { path: string; query: Record<string, string>; token: string | null; appKey: string | null; status: number }[] };
  /** Tokens issued: value → its expiry (ms). */
  issued: Map<string, number>;
  /** Expires every issued token now (ServiceTitan's tokens live 15 minutes). */
  expireTokens(): void;
  /** The app is disconnected from the tenant: its secret and every token it holds stop working. */
  disconnect(): void;
  close(): Promise<void>;
}

class Problem extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super(String(body.title ?? body.error));
    this.status = status;
    this.body = body;
  }
}

const problem = (status: number, title: string, errors?: Record<string, string[]>) =>
  new Problem(status, { type: 'https://tools.ietf.org/html/rfc7231#section-6.5.1', title, status, traceId: crypto.randomUUID(), ...(errors ? { errors } : {}) });

/** `count` customers and their jobs, modified a day apart from 2026-11-01. */
export function sampleRecords(count = 7) {
  const day = (i: number) => new Date(Date.UTC(2026, 10, 1 + i)).toISOString();
  const customers = Array.from({ length: count }, (_, i) => ({
    id: 1000 + i,
    active: i !== 3,
    name: `Customer ${i + 1}`,
    type: i % 2 ? 'Commercial' : 'Residential',
    address: { street: `${i + 1} Main St`, city: 'Springfield', state: 'IL', zip: '62701', country: 'USA' },
    customFields: [],
    balance: 10 * i,
    doNotMail: false,
    doNotService: false,
    createdOn: day(0),
    createdById: 1,
    modifiedOn: day(i),
    mergedToId: null,
    externalData: null,
  }));
  const jobs = customers.map((c, i) => ({
    id: 5000 + i,
    jobNumber: String(5000 + i),
    projectId: null,
    customerId: c.id,
    locationId: 2000 + i,
    jobStatus: i % 3 ? 'Completed' : 'Scheduled',
    completedOn: null,
    businessUnitId: 10,
    jobTypeId: 20,
    priority: 'Normal',
    campaignId: 30,
    summary: i === 2 ? null : `<p>Service visit ${i + 1}</p>`,
    customFields: [],
    createdOn: day(0),
    createdById: 1,
    modifiedOn: day(i),
    tagTypeIds: [],
    externalData: null,
  }));
  return { customers, jobs };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `tokenPrefix` starts every access token issued (the canary test's way to follow one). */
export async function startServiceTitanStandIn(
  client: ServiceTitanClient,
  { records = sampleRecords(), tokenPrefix = '' }: { records?: ReturnType<typeof sampleRecords>; tokenPrefix?: string } = {},
): Promise<ServiceTitanStandIn> {
  const issued = new Map<string, number>();
  let connected = true;
  const state: ServiceTitanStandIn = {
    env: {},
    client,
    ...records,
    settings: { tokenTtl: 900 },
    seen: { tokens: [], api: [] },
    issued,
    expireTokens: () => {
      for (const token of issued.keys()) issued.set(token, Date.now() - 1);
    },
    disconnect: () => {
      connected = false;
      issued.clear();
    },
    close: async () => {},
  };

  async function token(req: http.IncomingMessage) {
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) throw new Problem(400, { error: 'invalid_request' });
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') !== 'client_credentials') throw new Problem(400, { error: 'unsupported_grant_type' });
    const ok = connected && form.get('client_id') === client.clientId && form.get('client_secret') === client.clientSecret;
    state.seen.tokens.push({ clientId: form.get('client_id') ?? '', ok });
    if (!ok) throw new Problem(400, { error: 'invalid_client' });
    const value = `${tokenPrefix}${crypto.randomBytes(24).toString('base64url')}`;
    issued.set(value, Date.now() + state.settings.tokenTtl * 1000);
    return { access_token: value, expires_in: state.settings.tokenTtl, token_type: 'Bearer', scope: 'tn.crm.customers:r tn.jpm.jobs:r' };
  }

  function list(url: URL, rows: Record<string, unknown>[]) {
    const q = url.searchParams;
    const page = Number(q.get('page') ?? 1);
    const pageSize = Number(q.get('pageSize') ?? 50);
    if (!Number.isInteger(page) || page < 1) throw problem(400, 'One or more validation errors occurred.', { page: ['The field page must be at least 1.'] });
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 5000)
      throw problem(400, 'One or more validation errors occurred.', { pageSize: ['The field pageSize must be between 1 and 5000.'] });
    const since = q.get('modifiedOnOrAfter');
    if (since !== null && Number.isNaN(Date.parse(since)))
      throw problem(400, 'One or more validation errors occurred.', { modifiedOnOrAfter: [`The value '${since}' is not valid.`] });
    const matching = rows.filter((r) => since === null || Date.parse(String(r.modifiedOn)) >= Date.parse(since));
    const data = matching.slice((page - 1) * pageSize, page * pageSize);
    return { page, pageSize, hasMore: page * pageSize < matching.length, totalCount: q.get('includeTotal') === 'true' ? matching.length : null, data };
  }

  function api(req: http.IncomingMessage, url: URL) {
    const raw = req.headers.authorization ?? '';
    const bearer = raw.replace(/^Bearer /, '') || null;
    const appKey = (req.headers['st-app-key'] as string | undefined) ?? null;
    const record = { path: url.pathname, query: Object.fromEntries(url.searchParams), token: bearer, appKey, status: 200 };
    state.seen.api.push(record);
    try {
      const expires = bearer ? issued.get(bearer) : undefined;
      if (!expires || expires <= Date.now()) throw problem(401, 'Unauthorized');
      if (appKey !== client.appKey) throw problem(401, 'The ST-App-Key header is missing or not valid.');
      const m = /^\/(crm|jpm)\/v2\/tenant\/([^/]+)\/(customers|jobs)$/.exec(url.pathname);
      if (!m || (m[1] === 'crm') !== (m[3] === 'customers')) throw problem(404, 'Not Found');
      if (m[2] !== client.tenantId) throw problem(403, `The application is not connected to tenant ${decodeURIComponent(m[2]!)}.`);
      return list(url, m[3] === 'customers' ? state.customers : state.jobs);
    } catch (err) {
      if (err instanceof Problem) record.status = err.status;
      throw err;
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const answer = async () => {
      if (req.method === 'POST' && url.pathname === '/connect/token') return token(req);
      if (req.method === 'GET') return api(req, url);
      throw problem(405, 'Method Not Allowed');
    };
    answer().then(
      (body) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body)),
      (err: unknown) => {
        const p = err instanceof Problem ? err : problem(500, 'An error has occurred.');
        const json = 'error' in p.body ? 'application/json' : 'application/problem+json';
        res.writeHead(p.status, { 'content-type': `${json}; charset=utf-8`, ...(p.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) }).end(JSON.stringify(p.body));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.env = { SERVICETITAN_AUTH_URL: base, SERVICETITAN_API_URL: base };
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
