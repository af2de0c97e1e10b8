// `npm run bench -- big-lists` (issue 18, suite 4): the console's list pages and the API's list
// endpoints over big lists, beside the same SQL run straight against PostgreSQL in the same run. A
// throwaway embedded PostgreSQL grows through three scales (the last: 10,000 nodes, 100,000 jobs,
// 1,000,000 audit events, seeded in bulk with a valid audit chain); at each, every scenario of
// scenarios.ts is measured interleaved (console page, API call, raw SQL), and `npm run audit:verify`
// checks the whole trail. Writes docs/benchmarks/big-lists.md and two SVG charts.
// BENCH_SCALE (default 1) shrinks every count for a quick try; BENCH_SAMPLES sets the last scale's samples;
// BENCH_CPU_PROF=<folder> writes a CPU profile of the web process there.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import postgres from 'postgres';
import type { Actor } from '../../../api/authz.ts';
import { createToken } from '../../../api/tokens/service.ts';
import { createDb } from '../../../db/client.ts';
import { migrateDatabase } from '../../../db/migrate.ts';
import { TOKEN_SCOPES } from '../../../db/schema.ts';
import { createUser, ensureMspOrganization } from '../../../db/users.ts';
import { buildConsole, consoleBuildIsCurrent } from '../../../infra/build-console.ts';
import { REPO_ROOT } from '../../../infra/config.ts';
import { freePort } from '../../../infra/ports.ts';
import { progress } from '../../../infra/progress.ts';
import { generateSecretsKey } from '../../../infra/secret-box.ts';
import { startEmbeddedPostgres } from '../../../infra/services/postgres.ts';
import { generateKeyPair } from '../../../protocol/envelope.ts';
import { startProcess } from '../../jest/processes.ts';
import { signIn } from '../sign-in.ts';
import { writeBigListsReport, type Measured, type StageResult } from './report.ts';
import { seedBigLists, type BigListsScale } from './seed.ts';
import { API_PATH, CONSOLE_PATH, PAGE_SIZE, scenarios, type Scenario } from './scenarios.ts';

const FACTOR = Number(process.env.BENCH_SCALE ?? 1);
const STAGES: (BigListsScale & { samples: number })[] = [
  { organizations: 50, nodes: 100, jobs: 1_000, auditEvents: 10_000, samples: 50 },
  { organizations: 50, nodes: 1_000, jobs: 10_000, auditEvents: 100_000, samples: 50 },
  { organizations: 50, nodes: 10_000, jobs: 100_000, auditEvents: 1_000_000, samples: Number(process.env.BENCH_SAMPLES ?? 200) },
].map((s) => ({
  ...s,
  organizations: Math.max(2, Math.round(s.organizations * FACTOR)),
  nodes: Math.round(s.nodes * FACTOR),
  jobs: Math.round(s.jobs * FACTOR),
  auditEvents: Math.round(s.auditEvents * FACTOR),
}));
const WARM_UP = 5;
const ADMIN = { email: 'bench-admin@example.com', password: 'bench-admin-password-1' };

const elapsed = async (fn: () => Promise<unknown>) => {
  const started = performance.now();
  await fn();
  return performance.now() - started;
};

async function get(url: string, headers: Record<string, string>) {
  const res = await fetch(url, { headers });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 300)}`);
  return body;
}

/** Console page, API call and raw SQL in turn (the order rotating), `samples` times after a warm-up. */
async function measure(s: Scenario, base: string, cookie: string, token: string, sql: postgres.Sql, samples: number): Promise<Measured> {
  const query = new URLSearchParams(s.params).toString();
  const api = () => get(`${base}${API_PATH[s.list]}?${query}&limit=${PAGE_SIZE[s.list]}`, { authorization: `Bearer ${token}` });
  const layers: (() => Promise<unknown>)[] = [
    () => get(`${base}${CONSOLE_PATH[s.list]}?${query}`, { cookie }),
    api,
    () => sql.unsafe(s.sql.text, s.sql.params as postgres.ParameterOrJSON<never>[]),
  ];
  // The pages must list something: an empty page would be fast for the wrong reason.
  const apiPage = JSON.parse(await api()) as { items: unknown[] };
  if (apiPage.items.length === 0) throw new Error(`${s.list} "${s.name}" lists nothing`);
  for (let i = 0; i < WARM_UP; i++) for (const layer of layers) await layer();
  const times: number[][] = [[], [], []];
  for (let i = 0; i < samples; i++) {
    for (let k = 0; k < 3; k++) {
      const which = (i + k) % 3;
      times[which]!.push(await elapsed(layers[which]!));
    }
  }
  return { scenario: s, console: times[0]!, api: times[1]!, sql: times[2]! };
}

/** `npm run audit:verify` over the whole trail, beside reading the same rows in order (COPY TO STDOUT). */
async function measureVerify(url: string, sql: postgres.Sql): Promise<StageResult['verify']> {
  let output = '';
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'infra/audit-verify.ts')], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`audit:verify exited with ${code}: ${output.trim()}`);
  const readSeconds =
    (await elapsed(async () => pipeline(await sql`copy (select * from audit_events order by id) to stdout`.readable(), new Writable({ write: (_c, _e, done) => done() })))) / 1000;
  return { seconds, readSeconds, said: output.trim().split('\n').at(-1)! };
}

async function explain(sql: postgres.Sql, s: Scenario): Promise<string> {
  const rows = await sql.unsafe<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${s.sql.text}`, s.sql.params as postgres.ParameterOrJSON<never>[]);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** What to stop at the end, newest first; also when `npm run bench` stops the suite at its time limit (SIGTERM). */
const cleanup: (() => Promise<unknown>)[] = [];
const stopAll = async () => {
  for (const step of cleanup.splice(0)) await step().catch(() => {});
};
process.once('SIGTERM', () => {
  console.error('bench big-lists: stopped (SIGTERM), cleaning up');
  void stopAll().then(() => process.exit(1));
});

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-bench-lists-'));
  fs.chmodSync(dir, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
  cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    if (!consoleBuildIsCurrent()) await buildConsole();
    const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: await freePort(), secretsDir: path.join(dir, 'secrets') });
    cleanup.unshift(() => pg.stop());
    await migrateDatabase(pg.url);
    process.env.DATABASE_URL = pg.url;
    const db = createDb(pg.url, { max: 2 });
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    cleanup.unshift(
      () => sql.end({ timeout: 5 }),
      () => db.$client.end({ timeout: 5 }),
    );

    const msp = await ensureMspOrganization(db);
    const admin = await createUser(db, { ...ADMIN, name: 'Bench admin', role: 'msp_admin', organizationId: msp.id });
    const actor: Actor = { kind: 'person', userId: admin.id, email: admin.email, name: 'Bench admin', role: 'msp_admin', organizationId: msp.id };
    const { token } = await createToken({ db, actor }, { name: 'bench', scopes: TOKEN_SCOPES });

    const port = await freePort();
    const base = `http://localhost:${port}`;
    const web = await startProcess(
      'web/server.ts',
      {
        DATABASE_URL: pg.url,
        DATA_DIR: path.join(dir, 'data'),
        PORT: String(port),
        PUBLIC_URL: base,
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, // list pages need no Temporal; nothing listens there
        SECRETS_KEY: generateSecretsKey(),
        CONTROL_PLANE_SIGNING_KEY: generateKeyPair().privateKey,
        APPROVAL_GRANT_KEY: crypto.randomBytes(32).toString('hex'),
        NODE_ENV: 'production', // as `npm start` (infra/stack.ts) and the Dockerfile run it
        // A CPU profile of the web process (where a page's time goes), written when it stops.
        ...(process.env.BENCH_CPU_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}` } : {}),
      },
      /web console listening/,
    );
    cleanup.unshift(() => web.stop());
    const cookie = await signIn(base, ADMIN);

    const results: StageResult[] = [];
    for (const stage of STAGES) {
      const seedSeconds = (await elapsed(() => seedBigLists(sql, stage, admin.id))) / 1000;
      progress.ok(`Seeded ${stage.nodes} nodes, ${stage.jobs} jobs, ${stage.auditEvents} audit events in ${seedSeconds.toFixed(1)} s`);
      const org = (await sql<{ id: string }[]>`select id from organizations where name = 'Bench customer 001'`)[0]!.id;
      const measured: Measured[] = [];
      for (const s of await scenarios(sql, actor, org)) {
        measured.push(await measure(s, base, cookie, token, sql, stage.samples));
      }
      // The console's own cost of a page, beside the lists: a page that lists nothing (the session, the
      // layout's organizations and Approvals count, the shell's rendering).
      const accountPage: number[] = [];
      for (let i = 0; i < stage.samples; i++) accountPage.push(await elapsed(() => get(`${base}/account`, { cookie })));
      const verify = await measureVerify(pg.url, sql);
      progress.ok(`Measured ${measured.length} scenarios × ${stage.samples}; audit:verify ${verify.seconds.toFixed(1)} s (${verify.said})`);
      const plans: string[] = [];
      if (stage === STAGES.at(-1)) for (const m of measured) plans.push(await explain(sql, m.scenario));
      results.push({ scale: stage, samples: stage.samples, seedSeconds, measured, accountPage, verify, plans });
    }
    const written = writeBigListsReport(results);
    progress.ok(`Wrote ${written.join(', ')}`);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  console.error(`bench big-lists failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
