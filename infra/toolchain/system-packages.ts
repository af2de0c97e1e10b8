// Debian packages the tests need: Chromium for Playwright (no browser download here) and a Compose
// implementation to validate docker-compose.yml. Installed with apt when missing and we are root.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { progress } from '../progress.ts';

export const CHROMIUM = '/usr/bin/chromium';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
export const composeCommand = (): string[] | undefined =>
  has('docker', ['compose', 'version']) ? ['docker', 'compose'] : has('docker-compose', ['version']) ? ['docker-compose'] : undefined;

export function ensureSystemPackages(): boolean {
  const missing: string[] = [];
  if (!fs.existsSync(CHROMIUM)) missing.push('chromium');
  if (!composeCommand()) missing.push('docker-compose');
  if (missing.length === 0) {
    progress.ok(`Chromium at ${CHROMIUM}; Compose: ${composeCommand()!.join(' ')}`);
    return true;
  }
  if (os.userInfo().uid !== 0) {
    progress.fail(`Missing Debian packages: ${missing.join(', ')}. Install them with: sudo apt-get install -y ${missing.join(' ')}`);
    return false;
  }
  progress.step(`Installing Debian packages with apt: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ok = spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env }).status === 0
    && spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'inherit', env }).status === 0;
  if (!ok) progress.fail(`apt-get could not install ${missing.join(', ')}; install them by hand and run the tests again.`);
  return ok && fs.existsSync(CHROMIUM);
}
