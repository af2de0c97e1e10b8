// The `openclaw` npm package for the bundle image, installed once per lock file into the machine's cache
// (outside any clone, so CI and later starts reuse it): `npm install` from the bundle's own package.json
// and package-lock.json, production dependencies only. npm runs no install scripts here (npm 11 runs none
// it was not told to trust); OpenClaw's own postinstall, which only prunes its files and clears its
// "lifecycle pending" marker, is run explicitly afterwards. Without it the gateway tries to finish the
// lifecycle at its first start and fails on the image's read-only install. Both run with the agent's
// allow-listed environment (child-env.ts): a registry's code never sees anything else of this machine's.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Progress } from '../../protocol/step-progress.ts';
import { agentEnvironment } from '../child-env.ts';
import { OPENCLAW_VERSION } from './bundle.ts';

const PACKAGE_DIR = path.join(import.meta.dirname, 'package');
const DONE_MARKER = '.anthropy-installed';

export interface OpenClawPackage {
  /** The folder whose node_modules holds openclaw and its dependencies. */
  dir: string;
  version: string;
  /** sha256 of the lock file. */
  lockHash: string;
  /** When this tree was installed: with the lock hash, identifies it (a reinstall makes a new image). */
  installedAt: string;
}

export function bundleLockHash(): string {
  return crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(PACKAGE_DIR, 'package-lock.json')))
    .digest('hex');
}

function run(command: string, args: string[], cwd: string, onLine?: (line: string) => void): Promise<void> {
  const what = command === 'npm' ? `npm ${args[0]}` : path.basename(args.at(-1) ?? command);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: agentEnvironment({ npm_config_engine_strict: 'false' }) });
    let tail = '';
    const take = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      for (const line of chunk.toString().split('\n')) if (line.trim()) onLine?.(line.trim());
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', (err) => reject(new Error(`${command} could not be started (${err.message}); install npm to build the OpenClaw image.`)));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed with code ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`))));
  });
}

/** Installs the bundle's openclaw into `<cacheDir>/openclaw/<version>-<lock hash>` unless it is there. */
export async function ensureOpenClawPackage(cacheDir: string, progress?: Progress): Promise<OpenClawPackage> {
  const lockHash = bundleLockHash();
  const dir = path.join(cacheDir, 'openclaw', `${OPENCLAW_VERSION}-${lockHash.slice(0, 12)}`);
  const marker = path.join(dir, DONE_MARKER);
  const result = () => ({ dir, version: OPENCLAW_VERSION, lockHash, installedAt: fs.readFileSync(marker, 'utf8').trim() });
  if (fs.existsSync(marker)) return result();

  // Install beside the final folder and move it in place, so a stopped install never looks complete.
  const staging = `${dir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(PACKAGE_DIR, file), path.join(staging, file));
  // The registry does not say how long: an indeterminate bar.
  progress?.({ step: `installing openclaw@${OPENCLAW_VERSION}`, message: 'npm install from the npm registry (about a minute, once per machine)' });
  await run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], staging);
  const packageRoot = path.join(staging, 'node_modules/openclaw');
  const installed = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  if (installed.version !== OPENCLAW_VERSION) throw new Error(`npm installed openclaw ${installed.version}, not ${OPENCLAW_VERSION}`);
  await run(process.execPath, [path.join(packageRoot, 'scripts/postinstall-bundled-plugins.mjs')], packageRoot);
  if (fs.existsSync(path.join(packageRoot, '.openclaw-lifecycle-pending'))) throw new Error("OpenClaw's postinstall did not complete its lifecycle");
  fs.writeFileSync(path.join(staging, DONE_MARKER), `${new Date().toISOString()}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  return result();
}
