// Finds the Temporal CLI (dev server + Temporal Web): $TEMPORAL_CLI, `temporal` on PATH, our cache, or
// else builds it from source with Go, or else (no Go) downloads Temporal's official release.
// Cached outside the clone, so fresh clones and CI reuse it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { progress, UserFacingError } from '../progress.ts';

export const TEMPORAL_CLI_VERSION = '1.5.1';

function works(bin: string): boolean {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /temporal version/.test(r.stdout);
}

/** The first `name` on PATH. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let lines = 0;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines += 1;
        // `go: downloading …` lines are many; show every 25th so the user sees it move.
        if (!line.startsWith('go: downloading') || lines % 25 === 0) console.log(`    ${line}`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

async function buildWithGo(go: string, targetDir: string): Promise<string> {
  progress.step(`Building the Temporal CLI v${TEMPORAL_CLI_VERSION} from source with Go (about 4 minutes, once; cached in ${targetDir})`);
  const tmp = fs.mkdtempSync(path.join(path.dirname(targetDir), '.build-'));
  try {
    // The CLI's go.mod uses a replace directive, which `go install pkg@version` accepts up to v1.5.1.
    await run(
      go,
      ['install', '-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`, `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`],
      { ...process.env, GOBIN: tmp, CGO_ENABLED: '0' },
    );
    fs.mkdirSync(targetDir, { recursive: true });
    fs.renameSync(path.join(tmp, 'temporal'), path.join(targetDir, 'temporal'));
  } catch (err) {
    throw new UserFacingError(
      `Building the Temporal CLI with Go failed (${(err as Error).message}); check that the Go module proxy is reachable, or install \`temporal\` yourself and put it on PATH.`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return path.join(targetDir, 'temporal');
}

async function download(targetDir: string): Promise<string> {
  const arch = os.arch() === 'arm64' ? 'arm64' : 'amd64';
  const url = `https://temporal.download/cli/archive/v${TEMPORAL_CLI_VERSION}?platform=${os.platform()}&arch=${arch}`;
  progress.step(`Go is not installed; downloading the Temporal CLI v${TEMPORAL_CLI_VERSION} from Temporal's release site`);
  const res = await fetch(url).catch((e: Error) => {
    throw new UserFacingError(`Could not download the Temporal CLI (${e.message}); install Go or the \`temporal\` CLI and run this again.`);
  });
  if (!res.ok) throw new UserFacingError(`Downloading the Temporal CLI failed with HTTP ${res.status}; install Go or the \`temporal\` CLI.`);
  fs.mkdirSync(targetDir, { recursive: true });
  const archive = path.join(targetDir, 'temporal.tar.gz');
  fs.writeFileSync(archive, Buffer.from(await res.arrayBuffer()));
  await run('tar', ['-xzf', archive, '-C', targetDir, 'temporal'], process.env);
  fs.rmSync(archive);
  return path.join(targetDir, 'temporal');
}

/** Returns the path of a working `temporal` binary, building or downloading it when needed. */
export async function ensureTemporalCli(cacheDir: string): Promise<string> {
  const fromEnv = loadConfig().TEMPORAL_CLI;
  if (fromEnv) {
    if (!works(fromEnv)) throw new UserFacingError(`TEMPORAL_CLI=${fromEnv} is not a working temporal binary; fix or unset it.`);
    progress.ok(`Temporal CLI: ${fromEnv} (from TEMPORAL_CLI)`);
    return fromEnv;
  }
  const system = onPath('temporal');
  if (system && works(system)) {
    progress.ok(`Temporal CLI: ${system} (found on PATH)`);
    return system;
  }
  const targetDir = path.join(cacheDir, 'temporal-cli', `v${TEMPORAL_CLI_VERSION}`);
  const cached = path.join(targetDir, 'temporal');
  if (fs.existsSync(cached) && works(cached)) {
    progress.ok(`Temporal CLI: ${cached} (v${TEMPORAL_CLI_VERSION}, cached build)`);
    return cached;
  }
  fs.mkdirSync(path.dirname(targetDir), { recursive: true });
  const go = onPath('go') ?? (fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  const built = go ? await buildWithGo(go, targetDir) : await download(targetDir);
  if (!works(built)) throw new UserFacingError(`The Temporal CLI at ${built} does not run; delete ${targetDir} and try again.`);
  progress.ok(`Temporal CLI: ${built} (v${TEMPORAL_CLI_VERSION}, ${go ? 'built from source' : 'downloaded'})`);
  return built;
}
