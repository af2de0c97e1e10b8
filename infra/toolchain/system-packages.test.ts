// How `npm start` gets Docker's engine on a machine without one (the machine itself is not changed: the
// host is a stand-in).
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ensureDockerd } from './system-packages.ts';

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
