import { describe, expect, it } from '@jest/globals';
import { PROVIDERS } from '../../capabilities/model.ts';
import { googleDrive } from './google-drive.ts';
import { defineProvider } from './provider.ts';
import { buildProviderRegistry, providers } from './registry.ts';

describe('the provider registry', () => {
  it('has a module for every provider the capability catalogue names, and no other', () => {
    expect([...providers().keys()].sort()).toEqual([...PROVIDERS].sort());
  });

  it('refuses a provider defined twice', () => {
    expect(() => buildProviderRegistry([googleDrive, googleDrive] as never)).toThrow('provider "google_drive" is defined twice');
  });

  it('labels every demo output clearly fake, and refuses a provider whose demo output misses or breaks its schema', () => {
    for (const p of providers().values()) expect(JSON.stringify(p.demo)).toMatch(/Demo|demo/);
    expect(() => defineProvider({ ...googleDrive, demo: { 'files.list': { files: [], incompleteSearch: false } } })).toThrow('action files.get has no demo output');
    expect(() => defineProvider({ ...googleDrive, demo: { ...googleDrive.demo, 'files.get': { id: 1 } } })).toThrow('the demo output of files.get does not match its schema');
  });
});
