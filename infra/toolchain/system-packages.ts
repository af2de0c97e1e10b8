// Debian packages the tests need: Chromium for Playwright (no browser download here), a Compose
// implementation to validate docker-compose.yml, Docker's engine (`dockerd`, package docker.io), which
// the tests start privately (infra/services/docker-engine.ts), and Java with Maven for Temporal's
// time-skipping test server (infra/toolchain/temporal-test-server.ts), and PostgreSQL's server (package
// postgresql) for the production-shape test's database server. `npm start` starts its own engine for its
// local agent too (ensureDockerd). Installed with apt when missing and we are root.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { progress } from '../progress.ts';

export const CHROMIUM = '/usr/bin/chromium';
const POLICY_RC_D = '/usr/sbin/policy-rc.d';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
export const composeCommand = (): string[] | undefined =>
  has('docker', ['compose', 'version']) ? ['docker', 'compose'] : has('docker-compose', ['version']) ? ['docker-compose'] : undefined;

/** Docker's engine binary: on PATH, or where Debian's docker.io puts it (/usr/sbin is often not on a user's PATH). */
export function dockerdPath(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    const file = path.join(dir, 'dockerd');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** The bin folder of Debian's newest PostgreSQL server (/usr/lib/postgresql/<N>/bin), when installed. */
export function debianPostgresBin(root = '/usr/lib/postgresql'): string | undefined {
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(root, v, 'bin', 'postgres'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? path.join(root, newest, 'bin') : undefined;
}

export function ensureSystemPackages(): boolean {
  const missing: string[] = [];
  if (!fs.existsSync(CHROMIUM)) missing.push('chromium');
  if (!composeCommand()) missing.push('docker-compose');
  if (!dockerdPath()) missing.push('docker.io');
  if (!has('java', ['-version'])) missing.push('default-jre-headless');
  if (!has('mvn', ['--version'])) missing.push('maven');
  if (!debianPostgresBin()) missing.push('postgresql');
  if (missing.length === 0) {
    progress.ok(`Chromium at ${CHROMIUM}; Compose: ${composeCommand()!.join(' ')}; Docker engine: ${dockerdPath()}; Java and Maven; PostgreSQL server: ${debianPostgresBin()}`);
    return true;
  }
  if (os.userInfo().uid !== 0) {
    progress.fail(`Missing Debian packages: ${missing.join(', ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
    return false;
  }
  const ok = aptInstall(missing);
  if (!ok) progress.fail(`apt-get could not install ${missing.join(', ')}; install them by hand and run the tests again.`);
  return ok && fs.existsSync(CHROMIUM) && dockerdPath() !== undefined && has('java', ['-version']) && has('mvn', ['--version']) && debianPostgresBin() !== undefined;
}

/**
 * Docker's engine for `npm start`: dockerd when installed, else installed with apt (package docker.io) when
 * we are root on a machine with apt; otherwise the reason, naming the one command that installs it.
 */
export function ensureDockerd(
  host = { dockerdPath, isRoot: () => os.userInfo().uid === 0, hasApt: () => has('apt-get', ['--version']), aptInstall },
): { path: string } | { missing: string } {
  const found = host.dockerdPath();
  if (found) return { path: found };
  if (!host.isRoot()) return { missing: 'dockerd is not installed: run `sudo apt-get install -y docker.io`, then start again as root' };
  if (!host.hasApt()) return { missing: "dockerd is not installed, and this machine has no apt-get to install docker.io: install Docker's engine, or set DOCKER_HOST" };
  const installed = host.aptInstall(['docker.io']) ? host.dockerdPath() : undefined;
  if (!installed) return { missing: 'apt-get could not install docker.io: run `apt-get install -y docker.io` as root to see why' };
  progress.ok(`Installed Docker's engine with apt (docker.io): ${installed}`);
  return { path: installed };
}

/** Installs Debian packages as root with apt-get; true when apt-get succeeded. */
function aptInstall(missing: string[]): boolean {
  progress.step(`Installing Debian packages with apt: ${missing.join(', ')}`);
  // Installing docker.io must not start the system's docker service (it would create a bridge and
  // iptables rules; the tests and `npm start` start their own engines without either), nor postgresql the
  // system's cluster on port 5432 (the tests run their own servers): a policy-rc.d that refuses every
  // service start while apt runs, unless the machine already has one.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ownPolicy = (missing.includes('docker.io') || missing.includes('postgresql')) && !fs.existsSync(POLICY_RC_D);
  if (ownPolicy) fs.writeFileSync(POLICY_RC_D, '#!/bin/sh\n# Written by Anthropy Works while apt runs: start no services.\nexit 101\n', { mode: 0o755 });
  try {
    return (
      spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env }).status === 0 &&
      spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'inherit', env }).status === 0
    );
  } finally {
    if (ownPolicy) fs.rmSync(POLICY_RC_D, { force: true });
  }
}
