// A PostgreSQL server of the production shape's own: Debian's (package postgresql, /usr/lib/postgresql/<N>/bin,
// not the embedded one), in a temporary data folder, on loopback and a free port, with password
// (SCRAM) sign-in only. PostgreSQL refuses to run as root, so as root it runs as the package's `postgres`
// user (setuid children, as infra/services/postgres.ts's embedded server does).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from '../../infra/ports.ts';
import { debianPostgresBin } from '../../infra/toolchain/system-packages.ts';
import { waitFor } from './wait-for.ts';

export interface DebianPostgres {
  host: string;
  port: number;
  /** The server's major version (e.g. 15). */
  version: number;
  /** Creates a role that signs in with a password; `createdb` lets it create databases (temporal-sql-tool's create-database). */
  createRole(name: string, opts?: { createdb?: boolean }): Promise<{ name: string; password: string }>;
  /** Creates database `name` owned by `owner`, and its URL as the owner. */
  createDatabase(name: string, owner: { name: string; password: string }): Promise<string>;
  /** The server's log, for a failure's message. */
  log(): string;
  stop(): Promise<void>;
}

/** The uid and gid to run PostgreSQL as: ours, unless we are root. */
function serverUser(): { uid: number; gid: number } {
  if (os.userInfo().uid !== 0) return { uid: os.userInfo().uid, gid: os.userInfo().gid };
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('Debian\'s PostgreSQL runs as the user "postgres", which does not exist: install the package postgresql.');
  return { uid, gid: id('-g') };
}

export async function startDebianPostgres(): Promise<DebianPostgres> {
  const bin = debianPostgresBin();
  if (!bin) throw new Error("Debian's PostgreSQL server is not installed (package postgresql): npm test's system packages stage installs it.");
  const user = serverUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-debian-pg-'));
  fs.chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const superPassword = crypto.randomBytes(24).toString('base64url');
  const pwfile = path.join(dir, 'superuser-password');
  fs.writeFileSync(pwfile, superPassword, { mode: 0o600 });
  fs.chownSync(pwfile, user.uid, user.gid);
  const env = { PATH: process.env.PATH, LANG: 'C.UTF-8' };
  const initdb = spawnSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C.UTF-8'], {
    ...user,
    env,
    encoding: 'utf8',
  });
  fs.rmSync(pwfile);
  if (initdb.status !== 0) throw new Error(`initdb failed: ${initdb.stderr || initdb.stdout}`);

  const port = await freePort();
  const logFile = path.join(dir, 'postgres.log');
  const log = fs.openSync(logFile, 'a');
  fs.fchownSync(log, user.uid, user.gid);
  // Loopback only, its socket in its own folder (not /var/run/postgresql, which the system's cluster owns).
  const child: ChildProcess = spawn(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dir], {
    ...user,
    env,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGINT'); // fast shutdown
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const superUrl = `postgres://postgres:${superPassword}@127.0.0.1:${port}/postgres`;
  const asSuperuser = async <T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
    const sql = postgres(superUrl, { max: 1, onnotice: () => {} });
    try {
      return await fn(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
  };
  try {
    await waitFor(
      "Debian's PostgreSQL to accept connections",
      async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${readLog().slice(-1000)}`);
        return asSuperuser((sql) => sql`select 1 as ok`).then(
          () => true,
          () => undefined,
        );
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const version = Number(path.basename(path.dirname(bin)));
  return {
    host: '127.0.0.1',
    port,
    version,
    async createRole(name, opts = {}) {
      const password = crypto.randomBytes(24).toString('hex');
      // Identifiers and the password are ours (a fixed name, hex), so plain SQL is safe here.
      await asSuperuser((sql) => sql.unsafe(`CREATE ROLE ${name} LOGIN ${opts.createdb ? 'CREATEDB' : ''} PASSWORD '${password}'`));
      return { name, password };
    },
    async createDatabase(name, owner) {
      await asSuperuser((sql) => sql.unsafe(`CREATE DATABASE ${name} OWNER ${owner.name}`));
      return `postgres://${owner.name}:${owner.password}@127.0.0.1:${port}/${name}`;
    },
    log: readLog,
    stop,
  };
}
