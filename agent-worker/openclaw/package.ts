// The `openclaw` npm package for a bundle version's image, installed once per lock file into the machine's cache
// (outside any clone, so CI and later starts reuse it): `npm install` from the version's own package.json
// and package-lock.json (`versions/<openclaw version>/`), production dependencies only. npm runs no install scripts here (npm 11 runs none
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

const VERSIONS_DIR = path.join(import.meta.dirname, 'versions');

/** The folder of the lock file that pins `openclaw` npm version `openclaw`. */
export const lockDirOf = (openclaw: string) => path.join(VERSIONS_DIR, openclaw);
const DONE_MARKER = '.anthropy-installed';

export interface OpenClawPackage {
  /** The folder whose node_modules holds openclaw and its dependencies. */
  dir: string;
  version: string;
  /** sha256 of the lock file. */
  lockHash: string;
  /** When this tree was installed (the image is known by the lock hash: a reinstall of the same lock makes the same image). */
  installedAt: string;
}

/** sha256 of the lock file of `openclaw` npm version `openclaw` (one small file: cheap on every deployment). */
export function bundleLockHash(openclaw: string): string {
  const lock = path.join(lockDirOf(openclaw), 'package-lock.json');
  if (!fs.existsSync(lock)) throw new Error(`openclaw ${openclaw} has no lock file (${lock}): the bundle never installs an unpinned version`);
  return crypto.createHash('sha256').update(fs.readFileSync(lock)).digest('hex');
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

/** Where openclaw `version` with lock hash `lockHash` is (or will be) installed in the cache. */
export const packageDirOf = (cacheDir: string, version: string, lockHash: string) => path.join(cacheDir, 'openclaw', `${version}-${lockHash.slice(0, 12)}`);

/** Installs openclaw `version` (by its lock file) into `<cacheDir>/openclaw/<version>-<lock hash>` unless it is there. */
export async function ensureOpenClawPackage(cacheDir: string, version: string, progress?: Progress): Promise<OpenClawPackage> {
  const lockHash = bundleLockHash(version);
  const dir = packageDirOf(cacheDir, version, lockHash);
  const marker = path.join(dir, DONE_MARKER);
  const result = () => ({ dir, version, lockHash, installedAt: fs.readFileSync(marker, 'utf8').trim() });
  if (fs.existsSync(marker)) return result();

  // Install beside the final folder and move it in place, so a stopped install never looks complete.
  const staging = `${dir}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(lockDirOf(version), file), path.join(staging, file));
  // The registry does not say how long: an indeterminate bar.
  progress?.({ step: `installing openclaw@${version}`, message: 'npm install from the npm registry (about a minute, once per machine)' });
  await run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], staging);
  const packageRoot = path.join(staging, 'node_modules/openclaw');
  const installed = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  if (installed.version !== version) throw new Error(`npm installed openclaw ${installed.version}, not ${version}`);
  await run(process.execPath, [path.join(packageRoot, 'scripts/postinstall-bundled-plugins.mjs')], packageRoot);
  if (fs.existsSync(path.join(packageRoot, '.openclaw-lifecycle-pending'))) throw new Error("OpenClaw's postinstall did not complete its lifecycle");
  fs.writeFileSync(path.join(staging, DONE_MARKER), `${new Date().toISOString()}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(staging, dir);
  return result();
}
