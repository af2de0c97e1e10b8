// Builds the React Router console when its sources changed since the last build (a content stamp of the
// files that end up in the server bundle), so `npm start` is quick when nothing changed.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './config.ts';
import { UserFacingError } from './progress.ts';

const SOURCES = ['web/app', 'db', 'infra', 'workflows', 'api', 'agent-worker', 'protocol', 'react-router.config.ts', 'vite.config.ts', 'package-lock.json'];
const STAMP = path.join(REPO_ROOT, 'build', '.source-stamp');
// Two processes building at once (Jest's workers, each starting a console) would clobber build/.
const LOCK = path.join(REPO_ROOT, '.build-console.lock');

function sourceStamp(): string {
  const hash = crypto.createHash('sha256');
  const visit = (p: string) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const entry of fs.readdirSync(p).sort()) visit(path.join(p, entry));
    else hash.update(`${path.relative(REPO_ROOT, p)}:${stat.size}:${stat.mtimeMs}\n`);
  };
  for (const s of SOURCES) if (fs.existsSync(path.join(REPO_ROOT, s))) visit(path.join(REPO_ROOT, s));
  return hash.digest('hex');
}

export function consoleBuildIsCurrent(): boolean {
  return fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === sourceStamp();
}

/** Builds unless another process built the same sources while this one waited for the lock. */
export async function buildConsole(): Promise<void> {
  await withLock(async () => {
    if (!consoleBuildIsCurrent()) await build();
  });
}

async function withLock(fn: () => Promise<void>): Promise<void> {
  for (const started = Date.now(); ; await new Promise((r) => setTimeout(r, 250))) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than any build is a crashed builder's.
      const held = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 10 * 60_000) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() - started > 10 * 60_000)
        throw new UserFacingError(`Another process has been building the web console for 10 minutes (${LOCK}); stop it or remove the folder.`);
    }
  }
  try {
    await fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

async function build(): Promise<void> {
  const stamp = sourceStamp();
  const output: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules/@react-router/dev/bin.cjs'), 'build'], { cwd: REPO_ROOT });
    child.stdout.on('data', (d) => output.push(String(d)));
    child.stderr.on('data', (d) => output.push(String(d)));
    child.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    console.error(output.join('').split('\n').slice(-30).join('\n'));
    throw new UserFacingError('Building the web console failed (the build output is above); fix the error and run this again.');
  }
  fs.writeFileSync(STAMP, stamp);
}
