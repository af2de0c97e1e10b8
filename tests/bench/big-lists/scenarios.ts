// What the big lists benchmark asks of each list: the first page, filters a person would choose, and a
// deep cursor (a page 90 % of the way down, as a client that paged there holds it). For each, the exact
// SQL the product's list service sends, captured from its own Drizzle calls, so the "limit" beside the
// product is the same query run straight against PostgreSQL.
import { drizzle } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import { listAuditEvents } from '../../../api/audit/service.ts';
import type { Actor } from '../../../api/authz.ts';
import { listJobs } from '../../../api/jobs/service.ts';
import { listNodes } from '../../../api/nodes/service.ts';
import { encodeCursor } from '../../../api/pagination.ts';
import type { Db } from '../../../db/client.ts';
import * as schema from '../../../db/schema.ts';

export type ListName = 'nodes' | 'jobs' | 'audit';

export interface Scenario {
  list: ListName;
  name: string;
  /** The query string of the console page and of the API call (the same filters and cursor). */
  params: Record<string, string>;
  /** The list service's own SQL for it, and its parameters. */
  sql: { text: string; params: unknown[] };
}

/** The page size of each console list page (web/app/routes/…): the API is asked for the same. */
export const PAGE_SIZE: Record<ListName, number> = { nodes: 100, jobs: 50, audit: 100 };
const TABLE: Record<ListName, string> = { nodes: 'nodes', jobs: 'jobs', audit: 'audit_events' };
export const CONSOLE_PATH: Record<ListName, string> = { nodes: '/nodes', jobs: '/jobs', audit: '/audit' };
export const API_PATH: Record<ListName, string> = { nodes: '/api/v1/nodes', jobs: '/api/v1/jobs', audit: '/api/v1/audit-events' };

/** The keyset of the row 90 % of the way down (on a short list, the last but one) `list` in its own order, filtered by `where`, as the API's cursor. */
async function deepCursor(sql: postgres.Sql, list: ListName, where: string, args: string[]): Promise<string> {
  const order = { nodes: 'created_at asc, id asc', jobs: 'created_at desc, id desc', audit: 'id desc' }[list];
  const at = list === 'audit' ? 'at' : 'created_at';
  const from = `from ${TABLE[list]} ${where ? `where ${where}` : ''}`;
  const n = (await sql.unsafe<{ n: number }[]>(`select count(*)::int as n ${from}`, args))[0]!.n;
  const iso = `to_char(${at} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const [row] = await sql.unsafe<{ at: string; id: string }[]>(
    `select ${iso} as at, id::text as id ${from} order by ${order} offset ${Math.max(0, Math.min(n - 2, Math.floor(n * 0.9)))} limit 1`,
    args,
  );
  if (!row) throw new Error(`no ${list} row to put a deep cursor on (${where || 'unfiltered'})`);
  return encodeCursor(row);
}

/** The SQL the list service sends for `params`, captured by a Drizzle logger on the service's own call. */
async function serviceSql(client: postgres.Sql, actor: Actor, list: ListName, params: Record<string, string>): Promise<Scenario['sql']> {
  const captured: Scenario['sql'][] = [];
  const db = drizzle(client, { schema, logger: { logQuery: (text, p) => captured.push({ text, params: p }) } }) as unknown as Db;
  const ctx = { db, actor };
  const query = { ...params, limit: PAGE_SIZE[list] };
  await { nodes: listNodes, jobs: listJobs, audit: listAuditEvents }[list](ctx, query);
  const listQuery = captured.filter((q) => /^select/i.test(q.text) && q.text.includes(`from "${TABLE[list]}"`) && /\blimit \$\d+$/.test(q.text)).at(-1);
  if (!listQuery) throw new Error(`the ${list} list service sent no list query for ${JSON.stringify(params)}`);
  return listQuery;
}

/** The scenarios at the database's current scale: `organizationId` is a customer's, with its share of every list. */
export async function scenarios(client: postgres.Sql, actor: Actor, organizationId: string): Promise<Scenario[]> {
  const org = organizationId;
  const defs: [ListName, string, Record<string, string>, deep?: [where: string, args: string[]]][] = [
    ['nodes', 'first page', {}],
    ['nodes', 'organization', { organizationId: org }],
    ['nodes', 'status online', { status: 'online' }],
    ['nodes', 'deep cursor', {}, ['', []]],
    ['nodes', 'organization, deep cursor', { organizationId: org }, ['organization_id = $1', [org]]],
    ['jobs', 'first page', {}],
    ['jobs', 'state failed', { state: 'failed' }],
    ['jobs', 'organization', { organizationId: org }],
    ['jobs', 'organization + state failed', { organizationId: org, state: 'failed' }],
    ['jobs', 'deep cursor', {}, ['', []]],
    ['jobs', 'state failed, deep cursor', { state: 'failed' }, ['state = $1', ['failed']]],
    ['jobs', 'organization + state failed, deep cursor', { organizationId: org, state: 'failed' }, ['organization_id = $1 and state = $2', [org, 'failed']]],
    ['audit', 'first page', {}],
    ['audit', 'action job.approve', { action: 'job.approve' }],
    ['audit', 'organization + outcome denied', { organizationId: org, outcome: 'denied' }],
    ['audit', 'actor contains "bench-person-7@"', { actor: 'bench-person-7@' }],
    ['audit', 'deep cursor', {}, ['', []]],
    ['audit', 'action auth.*, deep cursor', { action: 'auth.*' }, ["action like 'auth.%'", []]],
  ];
  const out: Scenario[] = [];
  for (const [list, name, filters, deep] of defs) {
    const params = deep ? { ...filters, cursor: await deepCursor(client, list, ...deep) } : filters;
    out.push({ list, name, params, sql: await serviceSql(client, actor, list, params) });
  }
  return out;
}
