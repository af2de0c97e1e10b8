// A loopback server answering Drive v3 `files.list` and `files.get` as Google's does, for the real
// @googleapis/drive client pointed at it (GOOGLE_DRIVE_BASE_URL). It checks what Google checks: a Bearer
// access token that the authorization server issued for the Drive scope and that has not expired or been
// revoked (401 otherwise), `pageSize` (1–1000), a `q` it understands (name contains, in parents,
// mimeType =, trashed =), a `pageToken` it issued for that same query, and `fields` (a partial response).
// Pages chain through nextPageToken; `incompleteSearch` is reported when the test says so, and a page
// takes as long as the test says (a slow listing).
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseFields, select, type Selection } from './drive-fields.ts';
import { DRIVE_RESOURCE, DRIVE_SCOPE, type OAuthStandIn } from './google-oauth-server.ts';

export interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  size?: string;
  modifiedTime: string;
  parents: string[];
  trashed?: boolean;
}

export interface DriveStandIn {
  /** GOOGLE_DRIVE_BASE_URL: the client appends /drive/v3/… */
  url: string;
  files: DriveFile[];
  /** `pageDelayMs`: how long each files.list page takes, as a large folder's do at Google (a step's progress is then seen). */
  settings: { incompleteSearch: boolean; pageDelayMs: number };
  /** Every request's path and query, and the token it carried (tests check what the client sent). */
  requests: { path: string; query: Record<string, string>; bearer: string | null }[];
  close(): Promise<void>;
}

const LIST_DEFAULT_FIELDS = 'kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)';
const GET_DEFAULT_FIELDS = 'kind,id,name,mimeType';

class DriveError extends Error {
  readonly code: number;
  readonly location?: string;
  constructor(code: number, message: string, location?: string) {
    super(message);
    this.code = code;
    this.location = location;
  }
}

/** One clause of the query language that the stand-in understands; anything else is Google's "Invalid Value". */
function matcher(clause: string): (f: DriveFile) => boolean {
  const quoted = (s: string) => s.replace(/\\'/g, "'");
  let m: RegExpMatchArray | null;
  if ((m = clause.match(/^name contains '((?:[^'\\]|\\.)*)'$/))) return (f) => f.name.toLowerCase().includes(quoted(m![1]!).toLowerCase());
  if ((m = clause.match(/^'([A-Za-z0-9_-]+)' in parents$/))) return (f) => f.parents.includes(m![1]!);
  if ((m = clause.match(/^mimeType = '((?:[^'\\]|\\.)*)'$/))) return (f) => f.mimeType === quoted(m![1]!);
  if ((m = clause.match(/^trashed = (true|false)$/))) return (f) => Boolean(f.trashed) === (m![1] === 'true');
  throw new DriveError(400, 'Invalid Value', 'q');
}

const asResource = (f: DriveFile) => ({ kind: 'drive#file', ...f });

export async function startDriveStandIn(oauth: OAuthStandIn, files: DriveFile[] = []): Promise<DriveStandIn> {
  const settings = { incompleteSearch: false, pageDelayMs: 0 };
  const requests: DriveStandIn['requests'] = [];
  /** Page tokens issued: token → the query they continue and where. */
  const pages = new Map<string, { q: string; offset: number }>();
  const state: DriveStandIn = { url: '', files, settings, requests, close: async () => {} };

  async function authorize(req: http.IncomingMessage): Promise<void> {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ? await oauth.provider.AccessToken.find(bearer) : undefined;
    const ok = token && (token as { aud?: string }).aud === DRIVE_RESOURCE && (token.scope ?? '').split(' ').includes(DRIVE_SCOPE);
    if (!ok) throw new DriveError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
  }

  const fieldsOf = (query: URLSearchParams, fallback: string): Selection => {
    try {
      return parseFields(query.get('fields') ?? fallback);
    } catch {
      throw new DriveError(400, 'Invalid field selection', 'fields');
    }
  };

  function list(query: URLSearchParams) {
    const pageSize = Number(query.get('pageSize') ?? 100);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new DriveError(400, 'Invalid Value', 'pageSize');
    const q = query.get('q') ?? '';
    const tests = q ? q.split(/ and /i).map((c) => matcher(c.trim())) : [];
    const token = query.get('pageToken');
    const from = token ? pages.get(token) : { q, offset: 0 };
    if (!from || from.q !== q) throw new DriveError(400, 'Invalid Value', 'pageToken');
    const matching = files.filter((f) => tests.every((t) => t(f)));
    const page = matching.slice(from.offset, from.offset + pageSize);
    let nextPageToken: string | undefined;
    if (from.offset + pageSize < matching.length) {
      nextPageToken = crypto.randomBytes(12).toString('base64url');
      pages.set(nextPageToken, { q, offset: from.offset + pageSize });
    }
    const body = { kind: 'drive#fileList', incompleteSearch: settings.incompleteSearch, nextPageToken, files: page.map(asResource) };
    return select(body, fieldsOf(query, LIST_DEFAULT_FIELDS));
  }

  function get(id: string, query: URLSearchParams) {
    const file = files.find((f) => f.id === id);
    if (!file) throw new DriveError(404, `File not found: ${id}.`, 'fileId');
    return select(asResource(file), fieldsOf(query, GET_DEFAULT_FIELDS));
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), bearer: /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null });
    const answer = async () => {
      if (req.method !== 'GET') throw new DriveError(405, 'Method not allowed');
      await authorize(req);
      if (url.pathname === '/drive/v3/files') {
        if (settings.pageDelayMs) await new Promise((r) => setTimeout(r, settings.pageDelayMs));
        return list(url.searchParams);
      }
      const m = /^\/drive\/v3\/files\/([^/]+)$/.exec(url.pathname);
      if (m) return get(decodeURIComponent(m[1]!), url.searchParams);
      throw new DriveError(404, 'Not Found');
    };
    answer().then(
      (body) => res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body)),
      (err: unknown) => {
        const e = err instanceof DriveError ? err : new DriveError(500, 'Internal error');
        const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
        if (e.code === 401) headers['www-authenticate'] = 'Bearer realm="https://accounts.google.com/", error="invalid_token"';
        const reason = e.code === 401 ? 'authError' : e.code === 404 ? 'notFound' : 'invalid';
        const error = {
          code: e.code,
          message: e.message,
          errors: [{ domain: 'global', reason, message: e.message, ...(e.location ? { locationType: 'parameter', location: e.location } : {}) }],
        };
        res.writeHead(e.code, headers).end(JSON.stringify({ error }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
