// The Temporal server (`go.temporal.io/server`) and its SQL schema tool (temporal-sql-tool), pinned and
// built from Go source once, for a Temporal cluster on PostgreSQL: what production runs, and what the
// production-shape test runs on this machine (no image pulls). Cached outside the clone like the CLI,
// with the module's PostgreSQL schema files beside the binaries, so the runbook's commands name one folder:
//   ~/.cache/anthropy-works/temporal-server/v1.29.1/{temporal-server, temporal-sql-tool, schema/postgresql/v12/…}
// Needs Go and the Go module proxy the first time (about 5 minutes on 2 cores); no release download.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDirFrom } from '../cache-dir.ts';
import { progress, UserFacingError } from '../progress.ts';
import { onPath } from './temporal-cli.ts';

/** The server release the Temporal CLI v1.5.1 embeds too (its dev server), so the Go module cache often has it. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
const MODULE = 'go.temporal.io/server';

export interface TemporalServerToolchain {
  /** The server binary: `temporal-server --root DIR --config config --env NAME start`. */
  server: string;
  /** The schema tool: `temporal-sql-tool --plugin postgres12 … setup-schema | update-schema`. */
  sqlTool: string;
  /** The PostgreSQL schemas of this release: `<schemaDir>/temporal/versioned`, `<schemaDir>/visibility/versioned`. */
  schemaDir: string;
}

const paths = (dir: string): TemporalServerToolchain => ({
  server: path.join(dir, 'temporal-server'),
  sqlTool: path.join(dir, 'temporal-sql-tool'),
  schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
});

// Both print "<name> version 1.29.1"; the schema folder must hold both databases' versioned steps.
const versionOf = (bin: string) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
const complete = (t: TemporalServerToolchain) =>
  versionOf(t.server).endsWith(`version ${TEMPORAL_SERVER_VERSION}`) &&
  versionOf(t.sqlTool).endsWith(`version ${TEMPORAL_SERVER_VERSION}`) &&
  ['temporal', 'visibility'].every((db) => fs.existsSync(path.join(t.schemaDir, db, 'versioned', 'v1.0')));

function goBinary(): string | undefined {
  return onPath('go') ?? (fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/** Runs go, showing its progress: every compiled package would be thousands of lines, so a count every 30 s. */
function go(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    let downloads = 0;
    const started = Date.now();
    const ticker = setInterval(() => progress.step(`  still building (${Math.round((Date.now() - started) / 1000)} s; ${downloads} modules fetched)`), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      downloads += chunk.split('\n').filter((l) => l.startsWith('go: downloading')).length;
      tail = (tail + chunk).slice(-2000);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve(stdout);
      else reject(new Error(`go ${args[0]} exited with ${code}: ${tail.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

async function build(goBin: string, targetDir: string): Promise<void> {
  progress.step(`Building the Temporal server v${TEMPORAL_SERVER_VERSION} and temporal-sql-tool from Go source (about 5 minutes, once; cached in ${targetDir})`);
  fs.mkdirSync(path.dirname(targetDir), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(targetDir), '.build-'));
  // CGO off: a static binary (the server's SQLite driver is pure Go). GOFLAGS=-mod=mod: an inherited
  // -mod=vendor or readonly would refuse the module's own go.sum resolution.
  const env = { ...process.env, GOBIN: tmp, CGO_ENABLED: '0', GOFLAGS: '-mod=mod -buildvcs=false' };
  try {
    const pkg = (p: string) => `${MODULE}/${p}@v${TEMPORAL_SERVER_VERSION}`;
    await go(goBin, ['install', pkg('cmd/server'), pkg('cmd/tools/sql')], env);
    const built = paths(tmp);
    fs.renameSync(path.join(tmp, 'server'), built.server);
    fs.renameSync(path.join(tmp, 'sql'), built.sqlTool);
    // The schema steps from the module just built, where Go keeps it (read-only there: copied writable).
    const module = JSON.parse(await go(goBin, ['mod', 'download', '-json', `${MODULE}@v${TEMPORAL_SERVER_VERSION}`], env)) as { Dir: string };
    fs.cpSync(path.join(module.Dir, 'schema', 'postgresql', 'v12'), built.schemaDir, { recursive: true });
    for (const file of fs.readdirSync(path.join(tmp, 'schema'), { recursive: true, withFileTypes: true }))
      fs.chmodSync(path.join(file.parentPath, file.name), file.isDirectory() ? 0o755 : 0o644);
    fs.chmodSync(path.join(tmp, 'schema'), 0o755);
    fs.chmodSync(tmp, 0o755);
    // Two builds may race; the first rename wins and the other's copy is dropped.
    fs.rmSync(targetDir, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, targetDir);
    } catch (err) {
      if (!complete(paths(targetDir))) throw err;
    }
  } catch (err) {
    throw new UserFacingError(
      `Building the Temporal server with Go failed (${(err as Error).message}); check that the Go module proxy is reachable (GOPROXY), then run this again.`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The cached build of the pinned release, building it first when it is missing or incomplete. */
export async function ensureTemporalServer(cacheDir: string): Promise<TemporalServerToolchain> {
  const targetDir = path.join(cacheDir, 'temporal-server', `v${TEMPORAL_SERVER_VERSION}`);
  const cached = paths(targetDir);
  if (complete(cached)) {
    progress.ok(`Temporal server: ${cached.server} and temporal-sql-tool (v${TEMPORAL_SERVER_VERSION}, cached build)`);
    return cached;
  }
  const goBin = goBinary();
  if (!goBin)
    throw new UserFacingError(`Go is not installed: the Temporal server v${TEMPORAL_SERVER_VERSION} is built from source. Install Go (https://go.dev/dl/) and run this again.`);
  await build(goBin, targetDir);
  if (!complete(cached)) throw new UserFacingError(`The Temporal server build in ${targetDir} does not run; delete that folder and try again.`);
  progress.ok(`Temporal server: ${cached.server} and temporal-sql-tool (v${TEMPORAL_SERVER_VERSION}, built from source)`);
  return cached;
}

// `node infra/toolchain/temporal-server.ts`: build (or find) it and print where, for the runbook.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const t = await ensureTemporalServer(cacheDirFrom());
    console.log(`TEMPORAL_SERVER=${t.server}\nTEMPORAL_SQL_TOOL=${t.sqlTool}\nTEMPORAL_SCHEMA_DIR=${t.schemaDir}`);
  } catch (err) {
    progress.fail((err as Error).message);
    process.exit(1);
  }
}
