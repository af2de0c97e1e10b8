// A loopback server speaking the part of Composio's v3.1 API that @composio/core 0.19 calls for the
// product's Composio provider (COMPOSIO_BASE_URL): `GET /api/v3.1/connected_accounts/{id}` (the test call),
// and for `tools.execute` the two requests the client makes, `GET /api/v3.1/tools/{slug}` (the tool's
// schema and version, `version` or `toolkit_versions` in the query) then `POST /api/v3.1/tools/execute/{slug}`
// (`{ connected_account_id, user_id, arguments, version }`). Every request needs the project's API key in
// `x-api-key` (401 otherwise); bodies are shaped as @composio/client's types say (snake_case), and errors as
// Composio's `{ error: { message, code, slug, status, request_id } }`. Any other path answers 404 and is
// recorded, so a test sees every request the client made.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ComposioAccount {
  id: string;
  userId: string;
  toolkit: string;
  status: 'INITIALIZING' | 'INITIATED' | 'ACTIVE' | 'FAILED' | 'EXPIRED' | 'INACTIVE' | 'REVOKED';
  statusReason?: string;
}

interface StandInTool {
  slug: string;
  toolkit: string;
  version: string;
  required: string[];
  run(args: Record<string, unknown>, account: ComposioAccount): Record<string, unknown>;
}

export interface ComposioStandIn {
  /** COMPOSIO_BASE_URL for the product. */
  url: string;
  apiKeys: Set<string>;
  accounts: Map<string, ComposioAccount>;
  /** Every request: method, path, query, whether x-api-key was one of apiKeys, the JSON body. */
  requests: { method: string; path: string; query: Record<string, string>; keyOk: boolean; body: unknown }[];
  close(): Promise<void>;
}

class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly slug: string;
  constructor(status: number, message: string, code: number, slug: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.slug = slug;
  }
}

const TOOLS: StandInTool[] = [
  {
    slug: 'GITHUB_LIST_REPOSITORIES_FOR_THE_AUTHENTICATED_USER',
    toolkit: 'github',
    version: '20251120_00',
    required: [],
    run: (args, account) => {
      const perPage = typeof args.per_page === 'number' ? args.per_page : 30;
      const repos = ['infra', 'console', 'agents'].map((name, i) => ({ id: 100 + i, name, full_name: `${account.userId}/${name}`, private: i > 0 }));
      return { details: repos.slice(0, perPage) };
    },
  },
  {
    slug: 'GITHUB_GET_A_REPOSITORY',
    toolkit: 'github',
    version: '20251120_00',
    required: ['owner', 'repo'],
    run: (args) => ({ id: 100, name: String(args.repo), full_name: `${String(args.owner)}/${String(args.repo)}`, default_branch: 'main' }),
  },
];

const toolBody = (t: StandInTool) => ({
  slug: t.slug,
  name: t.slug.toLowerCase().replace(/_/g, ' '),
  description: `Stand-in for ${t.slug}.`,
  available_versions: [t.version],
  version: t.version,
  deprecated: { available_versions: [t.version], displayName: t.slug, is_deprecated: false, toolkit: { logo: '' }, version: t.version },
  is_deprecated: false,
  no_auth: false,
  input_parameters: { type: 'object', properties: Object.fromEntries(t.required.map((r) => [r, { type: 'string', description: r }])), required: t.required },
  output_parameters: { type: 'object', properties: { data: { type: 'object' }, successful: { type: 'boolean' }, error: { type: 'string' } } },
  scope_requirements: null,
  scopes: [],
  tags: [],
  toolkit: { slug: t.toolkit, name: t.toolkit, logo: '' },
});

const accountBody = (a: ComposioAccount) => ({
  id: a.id,
  alias: null,
  word_id: null,
  user_id: a.userId,
  status: a.status,
  status_reason: a.statusReason ?? null,
  is_disabled: false,
  toolkit: { slug: a.toolkit },
  auth_config: { id: 'ac_standin', auth_scheme: 'OAUTH2', is_composio_managed: true, is_disabled: false },
  // The account's own credentials, as Composio returns them: the product must never pass them on.
  data: { status: a.status, access_token: `gho_${a.id}_stand_in_token` },
  params: {},
  state: { authScheme: 'OAUTH2', val: { status: a.status, access_token: `gho_${a.id}_stand_in_token` } },
  created_at: '2026-11-01T09:00:00.000Z',
  updated_at: '2026-11-29T09:00:00.000Z',
  test_request_endpoint: '',
});

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export async function startComposioStandIn(opts: { apiKeys: string[]; accounts: ComposioAccount[] }): Promise<ComposioStandIn> {
  const state: ComposioStandIn = {
    url: '',
    apiKeys: new Set(opts.apiKeys),
    accounts: new Map(opts.accounts.map((a) => [a.id, a])),
    requests: [],
    close: async () => {},
  };

  const accountOr404 = (id: string) => {
    const account = state.accounts.get(id);
    if (!account) throw new ApiError(404, `Connected account ${id} not found`, 1803, 'ConnectedAccount_ResourceNotFound');
    return account;
  };
  const toolOr404 = (slug: string) => {
    const tool = TOOLS.find((t) => t.slug === slug);
    if (!tool) throw new ApiError(404, `Tool ${slug} not found`, 1100, 'Tool_ToolNotFound');
    return tool;
  };

  function execute(slug: string, body: Record<string, unknown>) {
    const tool = toolOr404(slug);
    if (typeof body.connected_account_id !== 'string') throw new ApiError(400, 'connected_account_id or user_id is required', 1101, 'ActionExecute_ConnectedAccountRequired');
    const account = accountOr404(body.connected_account_id);
    if (body.user_id !== undefined && body.user_id !== account.userId)
      throw new ApiError(400, `Connected account ${account.id} does not belong to user ${String(body.user_id)}`, 1810, 'ConnectedAccount_UserMismatch');
    if (account.status !== 'ACTIVE') throw new ApiError(400, `Connected account ${account.id} is ${account.status}`, 1804, 'ConnectedAccount_NotActive');
    if (body.version !== 'latest' && body.version !== tool.version)
      throw new ApiError(400, `Version ${String(body.version)} of ${slug} does not exist`, 1102, 'Tool_VersionNotFound');
    const args = (body.arguments ?? {}) as Record<string, unknown>;
    const missing = tool.required.filter((r) => args[r] === undefined);
    const logId = `log_${crypto.randomBytes(6).toString('hex')}`;
    // A tool that ran and failed at the third party is still a 200, with successful false.
    if (missing.length) return { data: {}, error: `Missing required arguments: ${missing.join(', ')}`, successful: false, log_id: logId };
    return { data: tool.run(args, account), error: null, successful: true, log_id: logId };
  }

  async function route(req: http.IncomingMessage, url: URL, body: unknown) {
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = /^\/api\/v3\.1\/connected_accounts\/([^/]+)$/.exec(url.pathname))) return accountBody(accountOr404(decodeURIComponent(m[1]!)));
    if (req.method === 'GET' && (m = /^\/api\/v3\.1\/tools\/([^/]+)$/.exec(url.pathname))) return toolBody(toolOr404(decodeURIComponent(m[1]!)));
    if (req.method === 'POST' && (m = /^\/api\/v3\.1\/tools\/execute\/([^/]+)$/.exec(url.pathname)))
      return execute(decodeURIComponent(m[1]!), (body ?? {}) as Record<string, unknown>);
    throw new ApiError(404, `Cannot ${req.method} ${url.pathname}`, 404, 'NotFound');
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const keyOk = state.apiKeys.has(String(req.headers['x-api-key'] ?? ''));
    const answer = async () => {
      const body = await readJson(req);
      state.requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), keyOk, body });
      if (!keyOk) throw new ApiError(401, 'Invalid API key. Please check your API key and try again.', 10401, 'Auth_InvalidApiKey');
      return route(req, url, body);
    };
    answer().then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (err: unknown) => {
        const e = err instanceof ApiError ? err : new ApiError(500, 'Internal server error', 500, 'InternalServerError');
        const error = { message: e.message, code: e.code, slug: e.slug, status: e.status, request_id: crypto.randomUUID(), suggested_fix: '', errors: [] };
        res.writeHead(e.status, { 'content-type': 'application/json', 'x-request-id': error.request_id }).end(JSON.stringify({ error }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
