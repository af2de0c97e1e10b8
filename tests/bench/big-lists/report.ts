// The big lists report (docs/benchmarks/big-lists.md) and its charts: every scenario's p50 and p99 beside
// the raw SQL's at the largest scale, the ratio, the plan's access path; p99 against scale; audit:verify.
import fs from 'node:fs';
import path from 'node:path';
import { lineChartSvg, type Series } from '../chart.ts';
import { BENCHMARKS_DIR, ms, percentile, reportHeader, table, writeReport } from '../report.ts';
import type { BigListsScale } from './seed.ts';
import { CONSOLE_PATH, type ListName, type Scenario } from './scenarios.ts';

export interface Measured {
  scenario: Scenario;
  console: number[];
  api: number[];
  sql: number[];
}

export interface StageResult {
  scale: BigListsScale;
  samples: number;
  seedSeconds: number;
  measured: Measured[];
  /** The console page without a list (/account), for the console's own cost of a page. */
  accountPage: number[];
  verify: { seconds: number; readSeconds: number; said: string };
  /** EXPLAIN (ANALYZE, BUFFERS) of each scenario's SQL, at the largest scale only. */
  plans: string[];
}

const PAGE_TARGET_MS = 50;
const VERIFY_TARGET_S = 30;
const COUNT: Record<ListName, (s: BigListsScale) => number> = { nodes: (s) => s.nodes, jobs: (s) => s.jobs, audit: (s) => s.auditEvents };
const COLOR: Record<ListName, string> = { nodes: '#1f77b4', jobs: '#d62728', audit: '#2ca02c' };
const n = (x: number) => x.toLocaleString('en-US');
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;

/** How the plan reaches the list's own table: the index it scans, or a sequential scan. */
export function accessPath(plan: string, list: ListName): string {
  const table = list === 'audit' ? 'audit_events' : list;
  const found = new RegExp(`((?:Index Only|Index|Bitmap Heap|Seq) Scan(?: Backward)?)(?: using (\\w+))? on ${table}\\b`).exec(plan);
  if (!found) return 'unknown';
  const bitmap = found[1] === 'Bitmap Heap Scan' ? /Bitmap Index Scan on (\w+)/.exec(plan)?.[1] : undefined;
  return found[2] ? `${found[1]} using \`${found[2]}\`` : bitmap ? `Bitmap scan of \`${bitmap}\`` : `**${found[1]}**`;
}

function charts(results: StageResult[]): string[] {
  // Every request to the list, all its scenarios pooled: steadier than one scenario's p99 on a shared machine.
  const pooled = (r: StageResult, list: ListName, layer: 'console' | 'api' | 'sql') =>
    percentile(
      r.measured.filter((m) => m.scenario.list === list).flatMap((m) => m[layer]),
      99,
    );
  const series: Series[] = (['nodes', 'jobs', 'audit'] as const).flatMap((list) =>
    (
      [
        ['console', 'console page', undefined],
        ['api', 'API', '6 3'],
        ['sql', 'raw SQL', '2 3'],
      ] as const
    ).map(([layer, label, dash]) => ({
      label: `${CONSOLE_PATH[list]}: ${label}`,
      color: COLOR[list],
      dash,
      points: results.map((r) => [COUNT[list](r.scale), pooled(r, list, layer)] as [number, number]),
    })),
  );
  const latency = lineChartSvg({
    title: 'Big lists: p99 of all requests to each list (its scenarios pooled), against its size',
    xLabel: 'records in the listed table (log scale)',
    yLabel: 'p99 latency (ms)',
    series,
    target: { y: PAGE_TARGET_MS, label: `target: list pages p99 < ${PAGE_TARGET_MS} ms` },
  });
  const verify = lineChartSvg({
    title: 'npm run audit:verify against the trail’s size',
    xLabel: 'audit events (log scale)',
    yLabel: 'seconds',
    series: [
      { label: 'audit:verify', color: '#2ca02c', points: results.map((r) => [r.scale.auditEvents, r.verify.seconds]) },
      { label: 'reading the rows (COPY)', color: '#2ca02c', dash: '2 3', points: results.map((r) => [r.scale.auditEvents, r.verify.readSeconds]) },
    ],
    target: { y: VERIFY_TARGET_S, label: `target: < ${VERIFY_TARGET_S} s at 1M` },
  });
  // The target's own subject, the console's list pages: the middle and the tail of each list, against its size.
  const pages = lineChartSvg({
    title: 'Big lists: console list pages, p50 and p99 (scenarios pooled), against the list’s size',
    xLabel: 'records in the listed table (log scale)',
    yLabel: 'latency (ms)',
    series: (['nodes', 'jobs', 'audit'] as const).flatMap((list) =>
      ([50, 99] as const).map((q) => ({
        label: `${CONSOLE_PATH[list]}: p${q}`,
        color: COLOR[list],
        dash: q === 50 ? '6 3' : undefined,
        points: results.map(
          (r) =>
            [
              COUNT[list](r.scale),
              percentile(
                r.measured.filter((m) => m.scenario.list === list).flatMap((m) => m.console),
                q,
              ),
            ] as [number, number],
        ),
      })),
    ),
    target: { y: PAGE_TARGET_MS, label: `target: list pages p99 < ${PAGE_TARGET_MS} ms` },
  });
  const files = ['big-lists-latency.svg', 'big-lists-audit-verify.svg', 'big-lists-console-pages.svg'];
  fs.writeFileSync(path.join(BENCHMARKS_DIR, files[0]!), latency);
  fs.writeFileSync(path.join(BENCHMARKS_DIR, files[1]!), verify);
  fs.writeFileSync(path.join(BENCHMARKS_DIR, files[2]!), pages);
  return files;
}

export function writeBigListsReport(results: StageResult[]): string[] {
  const last = results.at(-1)!;
  const s = last.scale;
  const worstPage = Math.max(...last.measured.map((m) => percentile(m.console, 99)));
  const worstApi = Math.max(...last.measured.map((m) => percentile(m.api, 99)));
  const worstSql = Math.max(...last.measured.map((m) => percentile(m.sql, 99)));
  const [latencyChart, verifyChart, pagesChart] = charts(results);
  const lines = [
    ...reportHeader('big lists', 'npm run bench -- big-lists', 'tests/bench/big-lists/main.ts'),
    '',
    `A throwaway embedded PostgreSQL, seeded in bulk (COPY, tests/bench/big-lists/seed.ts) through three scales up to ${n(s.organizations)} customer`,
    `organizations, ${n(s.nodes)} nodes, ${n(s.jobs)} jobs and ${n(s.auditEvents)} audit events (a valid hash chain), and the web process as`,
    '`npm start` runs it, signed in as an MSP admin (console pages: the session cookie; API: a personal API token).',
    'Each scenario is measured interleaved, in turn: the server-rendered console page (HTTP GET, whole body), the API call (the same',
    'filters, cursor and page size), and **the limit**: the exact SQL the list service sends (captured from its own Drizzle call), run',
    'straight against PostgreSQL by postgres.js from the bench process. Sequential requests from one client on the same machine.',
    'A deep cursor is the key of the row 90 % of the way down the filtered list, as a client that paged there holds it.',
    '',
    '## Targets',
    '',
    ...table(
      ['target', 'measured', 'verdict'],
      [
        [
          `console list pages p99 < ${PAGE_TARGET_MS} ms`,
          `${ms(worstPage)} ms (slowest scenario; API ${ms(worstApi)} ms; in the same run the raw SQL's own slowest p99 was ${ms(worstSql)} ms, a console page without a list ${ms(percentile(last.accountPage, 99))} ms)`,
          worstPage < PAGE_TARGET_MS ? 'met' : `missed by ${ms(worstPage - PAGE_TARGET_MS)} ms`,
        ],
        [
          `\`audit:verify\` over ${n(s.auditEvents)} events < ${VERIFY_TARGET_S} s`,
          `${last.verify.seconds.toFixed(1)} s`,
          last.verify.seconds < VERIFY_TARGET_S ? 'met' : `missed by ${(last.verify.seconds - VERIFY_TARGET_S).toFixed(1)} s`,
        ],
      ],
    ),
    '',
    `## At ${n(s.nodes)} nodes, ${n(s.jobs)} jobs, ${n(s.auditEvents)} audit events (${last.samples} samples each, milliseconds)`,
    '',
    ...table(
      ['list', 'scenario', 'console p50', 'console p99', 'API p50', 'API p99', 'SQL p50', 'SQL p99', 'console ÷ SQL (p99)', 'API ÷ SQL (p99)', 'plan'],
      last.measured.map((m, i) => {
        const [c, a, q] = [m.console, m.api, m.sql].map((x) => [percentile(x, 50), percentile(x, 99)] as const);
        return [
          m.scenario.list,
          m.scenario.name,
          ms(c![0]),
          ms(c![1]),
          ms(a![0]),
          ms(a![1]),
          ms(q![0]),
          ms(q![1]),
          ratio(c![1], q![1]),
          ratio(a![1], q![1]),
          accessPath(last.plans[i] ?? '', m.scenario.list),
        ];
      }),
    ),
    '',
    'The gap between the console and the SQL is the rest of the page: the session check, the layout’s queries (the organizations,',
    'the Approvals count), the page’s other queries (the filters’ organizations and nodes), rendering the HTML and sending it; the',
    `API’s is authentication, validation and JSON. A console page that lists nothing (\`/account\`) took ${ms(percentile(last.accountPage, 50))} ms at p50`,
    `and ${ms(percentile(last.accountPage, 99))} ms at p99 in the same run: most of a list page’s time is the console’s own cost of a page.`,
    '',
    '## Against scale (p50 and p99, milliseconds)',
    '',
    `![console list pages: p50 and p99 against scale](${pagesChart})`,
    '',
    `![p99 against scale](${latencyChart})`,
    '',
    ...table(
      ['list', 'scenario', ...results.flatMap((r) => [`console p50 / p99 @ ${n(COUNT.jobs(r.scale))} jobs`, `SQL p99 @ ${n(COUNT.jobs(r.scale))} jobs`])],
      last.measured.map((m, i) => [
        m.scenario.list,
        m.scenario.name,
        ...results.flatMap((r) => {
          const at = r.measured[i]!;
          return [`${ms(percentile(at.console, 50))} / ${ms(percentile(at.console, 99))}`, ms(percentile(at.sql, 99))];
        }),
      ]),
    ),
    '',
    `Scales: ${results.map((r) => `${n(r.scale.nodes)} nodes / ${n(r.scale.jobs)} jobs / ${n(r.scale.auditEvents)} audit events`).join('; ')}.`,
    '',
    '## `npm run audit:verify`',
    '',
    `![audit:verify against scale](${verifyChart})`,
    '',
    ...table(
      ['audit events', 'audit:verify', 'reading the same rows in order (COPY … TO STDOUT)', 'ratio', 'it said'],
      results.map((r) => [
        n(r.scale.auditEvents),
        `${r.verify.seconds.toFixed(1)} s`,
        `${r.verify.readSeconds.toFixed(1)} s`,
        ratio(r.verify.seconds, r.verify.readSeconds),
        r.verify.said,
      ]),
    ),
    '',
    'The rest of audit:verify beyond reading is hashing each event (SHA-256 of its canonical JSON) in one Node process.',
    '',
    '## Seeding',
    '',
    ...table(
      ['to', 'seconds'],
      results.map((r) => [`${n(r.scale.nodes)} nodes, ${n(r.scale.jobs)} jobs, ${n(r.scale.auditEvents)} audit events`, r.seedSeconds.toFixed(1)]),
    ),
    '',
    '## Query plans at the largest scale (EXPLAIN (ANALYZE, BUFFERS) of the list service’s own SQL)',
    '',
    ...last.measured.flatMap((m, i) => [`### ${m.scenario.list}: ${m.scenario.name}`, '', '```sql', m.scenario.sql.text, '```', '', '```', last.plans[i] ?? '', '```', '']),
  ];
  return [writeReport('big-lists.md', lines), ...[latencyChart, verifyChart, pagesChart].map((f) => `docs/benchmarks/${f}`)];
}
