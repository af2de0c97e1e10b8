// `npm test`: type check and lint, Jest (unit + integration against real PostgreSQL and Temporal), a
// bounded Schemathesis run against the running product's API, then Playwright in Debian's Chromium.
// Stops at the first failing stage, prints each stage's time, and ends with one "N passed, N failed"
// line counted from the runners' JSON reports.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDirFrom } from './cache-dir.ts';
import { REPO_ROOT } from './config.ts';
import { freePort } from './ports.ts';
import { progress } from './progress.ts';
import { ensureSystemPackages } from './toolchain/system-packages.ts';
import { ensureTemporalServer, TEMPORAL_SERVER_VERSION } from './toolchain/temporal-server.ts';

const REPORTS = path.join(REPO_ROOT, 'test-reports');
const JEST_REPORT = path.join(REPORTS, 'jest.json');
const PLAYWRIGHT_REPORT = path.join(REPORTS, 'playwright.json');
const SCHEMATHESIS_REPORT = path.join(REPORTS, 'schemathesis.json');
fs.rmSync(REPORTS, { recursive: true, force: true });
fs.mkdirSync(REPORTS, { recursive: true });

const bin = (pkg: string, file: string) => path.join(REPO_ROOT, 'node_modules', pkg, file);
const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], { stdio: 'inherit', cwd: REPO_ROOT, env: { ...process.env, ...env } }).status ?? 1;

const e2ePort = String(await freePort());
const stages: [string, () => number | Promise<number>][] = [
  ['System packages (Chromium, docker-compose, docker.io, Java and Maven, PostgreSQL)', () => (ensureSystemPackages() ? 0 : 1)],
  // Built here, with its progress on screen, rather than in the production-shape test's setup under Jest.
  [
    `Temporal server v${TEMPORAL_SERVER_VERSION} for the production-shape test (built from Go source once, cached)`,
    () =>
      ensureTemporalServer(cacheDirFrom()).then(
        () => 0,
        (err: Error) => {
          progress.fail(err.message);
          return 1;
        },
      ),
  ],
  ['Type check and lint (npm run check)', () => node([path.join(REPO_ROOT, 'infra/check.ts')])],
  // Built once here, so the tests that run the web server never build it concurrently.
  ['Build the web console', () => node([path.join(REPO_ROOT, 'infra/build.ts')])],
  ['Jest: unit and integration tests', () => node(['--experimental-vm-modules', bin('jest', 'bin/jest.js'), '--json', `--outputFile=${JEST_REPORT}`])],
  ['Schemathesis: the API against its OpenAPI document, as an MSP admin and as a company admin', () => node([path.join(REPO_ROOT, 'tests/fuzz/run-schemathesis.ts')])],
  ['Playwright: browser tests in Chromium', () => node([bin('@playwright/test', 'cli.js'), 'test'], { E2E_PORT: e2ePort, PLAYWRIGHT_JSON_OUTPUT_NAME: PLAYWRIGHT_REPORT })],
];

const timings: string[] = [];
let failedStage: string | undefined;
for (const [name, run] of stages) {
  const started = Date.now();
  progress.step(name);
  const code = await run();
  timings.push(`  ${code === 0 ? 'ok  ' : 'FAIL'} ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${name}`);
  if (code !== 0) {
    failedStage = name;
    break;
  }
}

const readJson = (file: string) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined);
const jest = readJson(JEST_REPORT) as { numPassedTests: number; numFailedTests: number } | undefined;
const pw = readJson(PLAYWRIGHT_REPORT) as { stats: { expected: number; unexpected: number; flaky: number } } | undefined;
// One test per caller the API fuzz run ran as.
const fuzz = readJson(SCHEMATHESIS_REPORT) as { runs: { ok: boolean }[] } | undefined;
const fuzzPassed = fuzz?.runs.filter((r) => r.ok).length ?? 0;
const fuzzFailed = (fuzz?.runs.length ?? 0) - fuzzPassed;
const passed = (jest?.numPassedTests ?? 0) + fuzzPassed + (pw?.stats.expected ?? 0);
const failed = (jest?.numFailedTests ?? 0) + fuzzFailed + (pw ? pw.stats.unexpected + pw.stats.flaky : 0);

console.log(`\nStage times:\n${timings.join('\n')}`);
console.log(
  `Jest: ${jest ? `${jest.numPassedTests} passed, ${jest.numFailedTests} failed` : 'did not run'}; Schemathesis: ${fuzz ? `${fuzzPassed} passed, ${fuzzFailed} failed` : 'did not run'}; Playwright: ${pw ? `${pw.stats.expected} passed, ${pw.stats.unexpected + pw.stats.flaky} failed` : 'did not run'}`,
);
if (failedStage) progress.fail(`${failedStage} failed.`);
console.log(`Tests: ${passed} passed, ${failed} failed`);
process.exit(failedStage || failed > 0 || passed === 0 ? 1 : 0);
