// `npm test`: type check and lint, Jest (unit + integration against real PostgreSQL and Temporal), then
// Playwright in Debian's Chromium. Exits non-zero on the first failing stage, and prints each stage's time.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './config.ts';
import { progress } from './progress.ts';
import { ensureSystemPackages } from './toolchain/system-packages.ts';

const bin = (pkg: string, file: string) => path.join(REPO_ROOT, 'node_modules', pkg, file);
const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], { stdio: 'inherit', cwd: REPO_ROOT, env: { ...process.env, ...env } }).status ?? 1;

const stages: [string, () => number][] = [
  ['System packages (Chromium, docker-compose)', () => (ensureSystemPackages() ? 0 : 1)],
  ['Type check and lint (npm run check)', () => node([path.join(REPO_ROOT, 'infra/check.ts')])],
  ['Jest: unit and integration tests', () => node(['--experimental-vm-modules', bin('jest', 'bin/jest.js'), ...process.argv.slice(2)])],
  ['Playwright: browser tests in Chromium', () => node([bin('@playwright/test', 'cli.js'), 'test'])],
];

const timings: string[] = [];
let failed = false;
for (const [name, run] of stages) {
  const started = Date.now();
  progress.step(name);
  const code = run();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`  ${code === 0 ? 'ok  ' : 'FAIL'} ${seconds.padStart(6)} s  ${name}`);
  if (code !== 0) { progress.fail(`${name} failed (exit code ${code})`); failed = true; break; }
}
console.log(`\nStage times:\n${timings.join('\n')}`);
process.exit(failed ? 1 : 0);
