// What a crashed `npm start` leaves behind, recognised and stopped by the next start, with stand-in
// processes (a sleeping Node) in place of the real services: the real ones are in
// tests/integration/start-restart.test.ts.
import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { isAlive, waitForExit, writePidRecord } from '../pids.ts';
import { freePort } from '../ports.ts';
import { claimDataFolder, servicePidFile } from './leftovers.ts';

const children: ChildProcess[] = [];
/** A process that sleeps until killed; `argv0` and `args` make its command line look like a service's. */
function sleeper(args: string[] = [], argv0 = process.execPath): number {
  const child = spawn(argv0, ['-e', 'setInterval(() => {}, 1000)', '--', ...args], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

let dataDir: string;
let config: Config;
let printed: string[];
beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-leftovers-'));
  config = loadConfig({ HOME: os.homedir(), DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(await freePort()) });
  printed = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => {
    printed.push(line);
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

describe('claimDataFolder', () => {
  it('refuses while another start runs on the data folder, and touches nothing', async () => {
    const otherStart = sleeper();
    const web = sleeper();
    writePidRecord(path.join(dataDir, 'run', 'start.pid'), otherStart);
    writePidRecord(servicePidFile(config, 'web'), web);
    await expect(claimDataFolder(config)).rejects.toThrow(`Anthropy Works already runs for ${dataDir} (pid ${otherStart}); stop it first, or set DATA_DIR to another folder.`);
    expect(isAlive(web)).toBe(true);
  });

  it('stops what a crashed start left running, says so in one line each, and claims the folder', async () => {
    const crashed = sleeper();
    writePidRecord(path.join(dataDir, 'run', 'start.pid'), crashed);
    process.kill(crashed, 'SIGKILL');
    await waitForExit(crashed, 5000);
    const web = sleeper();
    writePidRecord(servicePidFile(config, 'web'), web);
    const temporal = sleeper(['server', 'start-dev', '--db-filename', path.join(dataDir, 'temporal', 'temporal.sqlite')]);
    // The same kind of server for another data folder is not ours.
    const othersTemporal = sleeper(['server', 'start-dev', '--db-filename', path.join(dataDir, 'other', 'temporal.sqlite')]);
    fs.mkdirSync(path.join(dataDir, 'bin'));
    fs.symlinkSync(process.execPath, path.join(dataDir, 'bin', 'postgres'));
    const pg = sleeper(['-D', path.join(dataDir, 'postgres'), '-p', '5432'], path.join(dataDir, 'bin', 'postgres'));
    fs.mkdirSync(path.join(dataDir, 'postgres'));
    fs.writeFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), `${pg}\n${path.join(dataDir, 'postgres')}\n`);

    const claim = await claimDataFolder(config);
    expect(printed.map((line) => line.replace(/^.*?(Stopped|Removed)/, '$1'))).toEqual([
      `Stopped the web console an earlier start left running (pid ${web})`,
      `Stopped the Temporal dev server an earlier start left running (pid ${temporal})`,
      `Stopped the embedded PostgreSQL an earlier start left running (pid ${pg})`,
    ]);
    for (const pid of [web, temporal, pg]) expect(isAlive(pid)).toBe(false);
    expect(isAlive(othersTemporal)).toBe(true);
    expect(fs.existsSync(servicePidFile(config, 'web'))).toBe(false);

    // Claimed: a second claim from another process would be refused; released at a clean stop.
    expect(fs.readFileSync(path.join(dataDir, 'run', 'start.pid'), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+\n$`));
    claim.release();
    expect(fs.existsSync(path.join(dataDir, 'run', 'start.pid'))).toBe(false);
  });

  it('removes the lock files of a PostgreSQL whose pid is gone or belongs to another process now, and leaves that process alone', async () => {
    const stranger = sleeper(); // the pid a reboot gave to something else
    fs.mkdirSync(path.join(dataDir, 'postgres'));
    const lockFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    const socketLock = `/tmp/.s.PGSQL.${config.EMBEDDED_POSTGRES_PORT}.lock`;
    try {
      fs.writeFileSync(lockFile, `${stranger}\n`);
      fs.writeFileSync(socketLock, `${stranger}\n${path.join(dataDir, 'postgres')}\n`);
      (await claimDataFolder(config)).release();
      expect(printed.at(-1)).toContain(
        `Removed the stale lock files (postmaster.pid, .s.PGSQL.${config.EMBEDDED_POSTGRES_PORT}.lock) of an embedded PostgreSQL that did not stop (pid ${stranger} is another process now)`,
      );
      expect(fs.existsSync(lockFile)).toBe(false);
      expect(fs.existsSync(socketLock)).toBe(false);
      expect(isAlive(stranger)).toBe(true);

      // Another data folder's server on that port (its lock says so) is not ours to clean up after.
      fs.writeFileSync(lockFile, '4194303\n'); // above any pid the kernel hands out by default
      fs.writeFileSync(socketLock, `4194303\n${path.join(dataDir, 'elsewhere')}\n`);
      (await claimDataFolder(config)).release();
      expect(printed.at(-1)).toContain('Removed the stale lock files (postmaster.pid) of an embedded PostgreSQL that did not stop (pid 4194303 is gone)');
      expect(fs.existsSync(lockFile)).toBe(false);
      expect(fs.existsSync(socketLock)).toBe(true);
    } finally {
      fs.rmSync(socketLock, { force: true });
    }
  });

  it('says nothing after a clean stop', async () => {
    (await claimDataFolder(config)).release();
    expect(printed).toEqual([]);
  });
});
