// The API fuzz stage of `npm test`: starts the product as `npm start` does (embedded PostgreSQL, Temporal,
// the control-plane worker, the web console; no local agent) on free ports in a temporary data folder,
// seeds real records (tests/fuzz/seed-records.ts), and runs Schemathesis against /api/v1/openapi.json as
// an MSP admin and as a company admin, every operation, a bounded number of cases each
// (tests/fuzz/schemathesis.toml). Fails on any 5xx the document does not allow, and on any status,
// content type, header or body the document does not describe. Prints one summary line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../db/client.ts';
import { loadConfig, REPO_ROOT } from '../../infra/config.ts';
import { freePort } from '../../infra/ports.ts';
import { progress, UserFacingError } from '../../infra/progress.ts';
import { startStack } from '../../infra/stack.ts';
import { ensureSchemathesis } from '../../infra/toolchain/schemathesis.ts';
import { startSaasStandIns } from '../stand-ins/saas.ts';
import { seedFuzzRecords, type Caller } from './seed-records.ts';

const CONFIG_FILE = path.join(REPO_ROOT, 'tests/fuzz/schemathesis.toml');
const REPORTS = path.join(REPO_ROOT, 'test-reports');
/** Per caller: a run takes 150-190 s here with 125 operations (both callers at once on 2 cores); the limit keeps the stage bounded whatever happens. */
const TIME_LIMIT_S = 300;
const CHECKS = 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance';

interface Outcome {
  caller: string;
  code: number;
  seconds: number;
  cases: number;
  log: string;
}

function runSchemathesis(bin: string, caller: Caller, env: NodeJS.ProcessEnv, workDir: string): Promise<Outcome> {
  const log = path.join(REPORTS, `schemathesis-${caller.label.replace(/\W+/g, '-')}.log`);
  const out = fs.openSync(log, 'w');
  const started = Date.now();
  const ndjson = path.join(workDir, path.basename(log).replace(/\.log$/, '.ndjson'));
  const child = spawn(
    bin,
    // The schema is loaded again for up to 30 s: one CI run found the web process resetting the first connection right after start-up.
    [
      '--config-file',
      CONFIG_FILE,
      'run',
      `${env.FUZZ_BASE_URL}/openapi.json`,
      '--wait-for-schema',
      '30',
      '--checks',
      CHECKS,
      '--report',
      'ndjson',
      '--report-ndjson-path',
      ndjson,
      '--no-color',
    ],
    {
      cwd: workDir,
      env: { ...env, FUZZ_TOKEN: caller.token, FUZZ_SPARE_TOKEN_ID: caller.spareTokenId },
      stdio: ['ignore', out, out],
    },
  );
  const timer = setTimeout(() => child.kill('SIGTERM'), TIME_LIMIT_S * 1000);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      fs.closeSync(out);
      if (signal) fs.appendFileSync(log, `\nStopped after ${TIME_LIMIT_S} s: the run must stay bounded.\n`);
      const failed = signal || code !== 0;
      // Every request and response of a failed run, for whoever looks into it (large: kept only then).
      if (failed && fs.existsSync(ndjson)) fs.copyFileSync(ndjson, log.replace(/\.log$/, '.ndjson'));
      resolve({ caller: caller.label, code: failed ? 1 : 0, seconds: (Date.now() - started) / 1000, cases: countCases(ndjson), log });
    });
  });
}

/** Test cases sent, from the run's event stream (one ScenarioFinished per case sequence; each carries its cases). */
function countCases(ndjson: string): number {
  if (!fs.existsSync(ndjson)) return 0;
  let cases = 0;
  for (const line of fs.readFileSync(ndjson, 'utf8').split('\n')) {
    if (!line.includes('"ScenarioFinished"')) continue;
    const event = JSON.parse(line) as { ScenarioFinished?: { recorder?: { cases?: Record<string, unknown> } } };
    cases += Object.keys(event.ScenarioFinished?.recorder?.cases ?? {}).length;
  }
  return cases;
}

async function main(): Promise<number> {
  fs.mkdirSync(REPORTS, { recursive: true });
  const bin = ensureSchemathesis(loadConfig().cacheDir);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-fuzz-'));
  fs.chmodSync(dataDir, 0o755); // the embedded PostgreSQL runs as the `postgres` user when we are root
  delete process.env.DATABASE_URL;
  delete process.env.TEMPORAL_ADDRESS;
  // Jobs the fuzzer starts wait for the (absent) agent briefly, then fail: the node is free again.
  process.env.NODE_WAIT_SECONDS = '10';
  // A connection the fuzzer sets up and tests live reaches loopback stand-ins, never a provider.
  const saas = await startSaasStandIns();
  Object.assign(process.env, saas.env);
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    EMBEDDED_POSTGRES_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    LOCAL_AGENT: 'off',
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: 'fuzz-admin@example.com',
    ADMIN_PASSWORD: `fuzz-${Math.random().toString(36).slice(2)}-password`,
  });
  const stack = await startStack(config, { echoLogs: false }).catch(async (err: unknown) => {
    await saas.close();
    throw err;
  });
  try {
    const db = createDb(stack.databaseUrl, { max: 2 });
    const records = await seedFuzzRecords(db, config.publicUrl).finally(() => db.$client.end({ timeout: 5 }));
    const env = { ...process.env, ...records.ids, FUZZ_BASE_URL: `${config.publicUrl}/api/v1` };
    const outcomes: Outcome[] = [];
    for (const caller of records.callers) {
      progress.step(`Schemathesis as ${caller.label}`);
      outcomes.push(await runSchemathesis(bin, caller, env, dataDir));
    }
    const failed = outcomes.filter((o) => o.code !== 0);
    for (const o of failed) {
      const text = fs.readFileSync(o.log, 'utf8');
      const failures = text.indexOf('FAILURES');
      console.log(
        `\n--- Schemathesis as ${o.caller} (whole log: ${path.relative(REPO_ROOT, o.log)}) ---\n${(failures >= 0 ? text.slice(failures) : text.slice(-6000)).slice(0, 12_000)}`,
      );
    }
    fs.writeFileSync(
      path.join(REPORTS, 'schemathesis.json'),
      JSON.stringify({ runs: outcomes.map((o) => ({ caller: o.caller, ok: o.code === 0, cases: o.cases, seconds: o.seconds })) }),
    );
    const summary = outcomes.map((o) => `${o.caller} ${o.code === 0 ? 'ok' : 'FAILED'} (${o.cases} cases, ${o.seconds.toFixed(0)} s)`).join('; ');
    console.log(`Schemathesis: ${failed.length ? `${failed.length} of ${outcomes.length} runs failed` : 'no server error, every response as documented'}: ${summary}`);
    return failed.length ? 1 : 0;
  } finally {
    await stack.stop();
    await saas.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

try {
  process.exit(await main());
} catch (err) {
  progress.fail(err instanceof UserFacingError ? err.message : `The API fuzz run failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
}
