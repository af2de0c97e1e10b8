// The previous release's own files, runnable beside this checkout: its tree from `git archive` in the
// cache outside the clone (~/.cache/anthropy-works/releases/<tag>/, made once: a tag's tree never
// changes), its dependencies (this checkout's node_modules when the lock files are identical, else its own
// `npm ci --ignore-scripts` in the cache, keyed by the lock's hash), and its console built into its tree.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';
import { UserFacingError } from '../progress.ts';
import { git, type Release } from './previous-release.ts';

export interface ReleaseTree extends Release {
  dir: string;
  /** How its node_modules came about, for the report. */
  dependencies: string;
}

const sha256 = (data: string | Buffer) => crypto.createHash('sha256').update(data).digest('hex');

function run(cmd: string, args: string[], cwd: string, input?: Buffer): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }));
    if (input) child.stdin!.end(input);
  });
}

/** Extracts the tag's tree (once) into `<cacheDir>/releases/<tag>`; a half-made folder is never used. */
async function extract(release: Release, cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, 'releases', release.tag);
  const marker = path.join(dir, '.release-commit');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === release.commit) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  const archive = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn('git', ['archive', '--format=tar', release.commit], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new UserFacingError(`git archive ${release.tag} failed: ${err.trim()}`))));
  });
  const untar = await run('tar', ['-x', '-f', '-'], partial, archive);
  if (untar.code !== 0) throw new UserFacingError(`Extracting ${release.tag} into ${partial} failed: ${untar.output.trim()}`);
  fs.writeFileSync(path.join(partial, '.release-commit'), `${release.commit}\n`);
  fs.renameSync(partial, dir);
  return dir;
}

/** Links the tree's node_modules: ours when the lock files match, else its own install in the cache. */
async function dependencies(dir: string, cacheDir: string): Promise<string> {
  const link = path.join(dir, 'node_modules');
  const theirs = fs.readFileSync(path.join(dir, 'package-lock.json'));
  const ours = fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'));
  let target: string;
  let how: string;
  if (sha256(theirs) === sha256(ours)) {
    target = fs.realpathSync(path.join(REPO_ROOT, 'node_modules'));
    how = 'its package-lock.json is identical to this checkout’s: reusing node_modules';
  } else {
    const installDir = path.join(cacheDir, 'releases', 'node_modules', sha256(theirs).slice(0, 16));
    target = path.join(installDir, 'node_modules');
    how = `its own dependencies (npm ci --ignore-scripts) in ${installDir}`;
    if (!fs.existsSync(path.join(installDir, '.installed'))) {
      fs.mkdirSync(installDir, { recursive: true });
      for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(dir, f), path.join(installDir, f));
      const flags = ['--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
      let installed = await run('npm', ['ci', ...flags], installDir);
      // A lock file written without other platforms' optional packages makes `npm ci` refuse ("Missing: …
      // from lock file"); `npm install` still honours the locked versions (README, Troubleshooting).
      if (installed.code !== 0 && /Missing: .* from lock file/.test(installed.output)) installed = await run('npm', ['install', ...flags], installDir);
      if (installed.code !== 0)
        throw new UserFacingError(`Installing the previous release's dependencies failed in ${installDir}:\n${installed.output.trim().split('\n').slice(-15).join('\n')}`);
      fs.writeFileSync(path.join(installDir, '.installed'), new Date().toISOString());
    }
  }
  const current = fs.lstatSync(link, { throwIfNoEntry: false });
  if (!current || !current.isSymbolicLink() || fs.readlinkSync(link) !== target) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(target, link, 'dir');
  }
  return how;
}

/** The previous release ready to run: extracted, with dependencies, its console built (by its own build script). */
export async function prepareReleaseTree(release: Release, cacheDir: string, opts: { console: boolean }): Promise<ReleaseTree> {
  const dir = await extract(release, cacheDir);
  const how = await dependencies(dir, cacheDir);
  if (opts.console && !fs.existsSync(path.join(dir, 'build', 'server', 'index.js'))) {
    const built = await run(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(dir, 'infra', 'build.ts')], dir);
    if (built.code !== 0) throw new UserFacingError(`Building ${release.tag}'s console failed:\n${built.output.trim().split('\n').slice(-15).join('\n')}`);
  }
  return { ...release, dir, dependencies: how };
}

/** The migrations added since `release` (in this checkout, committed or not), and those changed since. */
export function migrationsSince(release: Release, migrationsDir: string): { added: { name: string; sql: string }[]; changed: string[] } {
  const relative = path.relative(REPO_ROOT, migrationsDir);
  const before = new Set(
    git(['ls-tree', '--name-only', `${release.commit}:${relative}`])
      .split('\n')
      .filter((f) => f.endsWith('.sql')),
  );
  const now = fs
    .readdirSync(migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const added = now.filter((f) => !before.has(f)).map((name) => ({ name, sql: fs.readFileSync(path.join(migrationsDir, name), 'utf8') }));
  const changed = now.filter((f) => before.has(f) && git(['show', `${release.commit}:${relative}/${f}`]) !== fs.readFileSync(path.join(migrationsDir, f), 'utf8').trim());
  return { added, changed };
}
