// How `npm start` gets Docker's engine on a machine without one (the machine itself is not changed: the
// host is a stand-in).
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debianPostgresBin, ensureDockerd } from './system-packages.ts';

const host = (over: Partial<Parameters<typeof ensureDockerd>[0]> = {}) => ({
  dockerdPath: () => undefined as string | undefined,
  isRoot: () => true,
  hasApt: () => true,
  aptInstall: jest.fn(() => true),
  ...over,
});

beforeEach(() => {
  jest.spyOn(console, 'log').mockImplementation(() => {});
});
afterEach(() => {
  jest.restoreAllMocks();
});

describe('ensureDockerd', () => {
  it('uses the installed dockerd', () => {
    const h = host({ dockerdPath: () => '/usr/sbin/dockerd' });
    expect(ensureDockerd(h)).toEqual({ path: '/usr/sbin/dockerd' });
    expect(h.aptInstall).not.toHaveBeenCalled();
  });

  it('installs docker.io with apt as root, and says so', () => {
    let installed = false;
    const h = host({ dockerdPath: () => (installed ? '/usr/sbin/dockerd' : undefined), aptInstall: jest.fn(() => (installed = true)) });
    expect(ensureDockerd(h)).toEqual({ path: '/usr/sbin/dockerd' });
    expect(h.aptInstall).toHaveBeenCalledWith(['docker.io']);
    expect(console.log).toHaveBeenCalledWith(expect.stringContaining("Installed Docker's engine with apt (docker.io): /usr/sbin/dockerd"));
  });

  it('names the one command to run when it cannot install', () => {
    expect(ensureDockerd(host({ isRoot: () => false }))).toEqual({ missing: 'dockerd is not installed: run `sudo apt-get install -y docker.io`, then start again as root' });
    expect(ensureDockerd(host({ aptInstall: jest.fn(() => false) }))).toEqual({
      missing: 'apt-get could not install docker.io: run `apt-get install -y docker.io` as root to see why',
    });
    expect(ensureDockerd(host({ hasApt: () => false }))).toEqual({ missing: expect.stringContaining('no apt-get to install docker.io') });
  });
});

describe('debianPostgresBin', () => {
  it("picks the newest installed server's bin folder, skipping folders without a server", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-pg-root-'));
    try {
      expect(debianPostgresBin(root)).toBeUndefined();
      for (const [version, withServer] of [
        ['9', true],
        ['15', true],
        ['17', false],
        ['common', true],
      ] as const) {
        fs.mkdirSync(path.join(root, version, 'bin'), { recursive: true });
        if (withServer) fs.writeFileSync(path.join(root, version, 'bin', 'postgres'), '');
      }
      expect(debianPostgresBin(root)).toBe(path.join(root, '15', 'bin'));
      expect(debianPostgresBin(path.join(root, 'absent'))).toBeUndefined();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
