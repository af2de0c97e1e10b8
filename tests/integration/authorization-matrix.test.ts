// The authorization matrix: every console route (loader and action) and every API endpoint, called as
// each role against its own organization's record and another organization's, over real HTTP against
// the real web server. It asserts the exact status, and that a denied request changed nothing. A route
// or endpoint without an entry in tests/authz/matrix.ts fails this test.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { RouteConfigEntry } from '@react-router/dev/routes';
import { createSession, SESSION_COOKIE } from '../../api/auth/sessions.ts';
import { ENDPOINTS } from '../../api/endpoints.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import routes from '../../web/app/routes.ts';
import { API_MATRIX, CONSOLE_MATRIX, type MatrixRequest } from '../authz/matrix.ts';
import { ROLES_UNDER_TEST, type RoleUnderTest, type Seed } from '../authz/seed.ts';
import type { TestDatabase } from '../jest/db.ts';
import { startSeededWeb, type SeededWeb } from '../jest/seeded-web.ts';

let world: SeededWeb;
let t: TestDatabase;
let base: string;
let seed: Seed;

/** Console routes as "METHOD /path", from web/app/routes.ts and what each module exports. */
async function consoleRoutes(): Promise<string[]> {
  const out: string[] = [];
  const visit = async (entries: RouteConfigEntry[]) => {
    for (const r of entries) {
      if (r.path !== undefined || r.index) {
        const mod = (await import(path.join(REPO_ROOT, 'web/app', r.file))) as { loader?: unknown; action?: unknown };
        const p = `/${r.path ?? ''}`;
        out.push(`GET ${p}`);
        if (mod.action) out.push(`POST ${p}`);
      }
      if (r.children) await visit(r.children);
    }
  };
  await visit(routes as RouteConfigEntry[]);
  return [...new Set(out)];
}

const apiKeys = () => ENDPOINTS.map((e) => `${e.method.toUpperCase()} ${e.path}`);

// What a denied request must not have changed: every record table (volatile bookkeeping columns left
// out), and no successful audit event added.
async function snapshot() {
  const [row] = await t.db.execute<{ records: string; successes: number }>(sql`select
    (select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from (
      select 'o' k, id::text, name, archived_at::text from organizations union all
      select 'u', id::text, email || role || active::text, coalesce(totp_enabled_at::text, '') from users union all
      select 'i', id::text, email || role, coalesce(accepted_at::text, '') || coalesce(revoked_at::text, '') from invitations union all
      select 'n', id::text, name || labels::text || notes, status from nodes union all
      select 't', id::text, name, coalesce(revoked_at::text, '') from api_tokens union all
      select 's', id, user_id::text, two_factor_verified::text from sessions union all
      select 'g', key, value::text, '' from settings union all
      select 'r', id::text, user_id::text, coalesce(used_at::text, '') from recovery_codes union all
      select 'j', id::text, state, type from jobs union all
      select 'ag', id::text, name, description from approver_groups union all
      select 'am', group_id::text, user_id::text, '' from approver_group_members union all
      select 'c', id::text, name || status || mode, coalesce(credentials_sealed, '') from connections union all
      select 'w', id::text, name, coalesce(archived_at::text, '') || coalesce(current_version_id::text, '') from workflow_definitions union all
      select 'v', id::text, definition_id::text, number::text from workflow_versions union all
      select 'rs', id::text, organization_id::text, coalesce(revoked_at::text, '') from report_share_links
    ) x) as records,
    (select count(*)::int from audit_events where outcome = 'success') as successes`);
  return row!;
}

async function call(kind: 'api' | 'console', key: string, req: MatrixRequest, role: RoleUnderTest) {
  const [method, pattern] = key.split(' ') as [string, string];
  let cookie = role === 'anonymous' ? undefined : seed.people[role].cookie;
  if (req.freshSession && role !== 'anonymous') cookie = `${SESSION_COOKIE}=${(await createSession(seed.people[role].actor.userId)).token}`;
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (kind === 'api') {
    if (role !== 'anonymous') headers.authorization = `Bearer ${seed.people[role].token}`;
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.body);
    }
  } else {
    if (cookie) headers.cookie = cookie;
    if (method === 'POST') {
      headers.origin = base;
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams((req.body as Record<string, string>) ?? {}).toString();
    }
  }
  const url = `${base}${kind === 'api' ? '/api/v1' : ''}${req.path ?? pattern}`;
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  world = await startSeededWeb('authorization-matrix');
  ({ t, base, seed } = world);
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

describe('authorization matrix', () => {
  it('has an entry for every console route and every API endpoint, and none for routes that do not exist', async () => {
    const routesNow = await consoleRoutes();
    expect({ missing: routesNow.filter((k) => !(k in CONSOLE_MATRIX)), stale: Object.keys(CONSOLE_MATRIX).filter((k) => !routesNow.includes(k)) }).toEqual({
      missing: [],
      stale: [],
    });
    expect({ missing: apiKeys().filter((k) => !(k in API_MATRIX)), stale: Object.keys(API_MATRIX).filter((k) => !apiKeys().includes(k)) }).toEqual({ missing: [], stale: [] });
  });

  for (const [kind, matrix] of [
    ['api', API_MATRIX],
    ['console', CONSOLE_MATRIX],
  ] as const) {
    for (const [key, entry] of Object.entries(matrix)) {
      it(`${kind} ${key}`, async () => {
        const outcomes: Record<string, [number, number]> = {};
        const unchanged: string[] = [];
        for (const role of ROLES_UNDER_TEST) {
          const statuses: number[] = [];
          for (const which of ['own', 'other'] as const) {
            // The request is prepared first: preparing may create the record it acts on.
            const req = await entry.request(seed, role, which);
            const before = await snapshot();
            const status = await call(kind, key, req, role);
            statuses.push(status);
            // Denied (401/403/404, or the sign-in redirect for anonymous) must have changed nothing.
            const denied = [401, 403, 404].includes(status) || (role === 'anonymous' && status === 302);
            if (denied && JSON.stringify(await snapshot()) !== JSON.stringify(before)) unchanged.push(`${role}/${which} (status ${status}) changed the database`);
          }
          outcomes[role] = statuses as [number, number];
        }
        expect({ outcomes, unchanged }).toEqual({ outcomes: entry.expect, unchanged: [] });
      });
    }
  }
});
