// The bundle's versions: each offered version is pinned by a lock file of its own that names exactly
// that openclaw; the test-only variants are offered only where the environment says so; an unknown
// version is refused with the offered ones named.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { BUNDLE_VERSIONS, DEFAULT_BUNDLE_VERSION, findBundleVersion, offeredBundleVersions, TEST_BUNDLE_VERSIONS } from './bundle.ts';
import { bundleLockHash, lockDirOf } from './package.ts';

describe('bundle versions', () => {
  it('pins every version by its own lock file, exactly', () => {
    expect(BUNDLE_VERSIONS.length).toBeGreaterThanOrEqual(2);
    expect(DEFAULT_BUNDLE_VERSION).toBe(BUNDLE_VERSIONS[0]!.version);
    const hashes = new Set<string>();
    for (const v of [...BUNDLE_VERSIONS, ...TEST_BUNDLE_VERSIONS]) {
      const dir = lockDirOf(v.openclaw);
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
      };
      expect(pkg.dependencies).toEqual({ openclaw: v.openclaw }); // an exact version, never a range
      expect(lock.packages['']!.dependencies).toEqual({ openclaw: v.openclaw });
      expect(lock.packages['node_modules/openclaw']!.version).toBe(v.openclaw);
      expect(bundleLockHash(v.openclaw)).toBe(v.lockSha256); // what bundle.ts pins is the file
      if (!TEST_BUNDLE_VERSIONS.includes(v)) hashes.add(v.lockSha256);
    }
    expect(hashes.size).toBe(BUNDLE_VERSIONS.length);
    expect(() => bundleLockHash('2026.1.1')).toThrow('openclaw 2026.1.1 has no lock file');
  });

  it('offers the test-only versions only where OPENCLAW_TEST_BUNDLES=1', () => {
    expect(offeredBundleVersions({}).map((v) => v.version)).toEqual(BUNDLE_VERSIONS.map((v) => v.version));
    expect(findBundleVersion('2026.9.5-unhealthy', {})).toBeUndefined();
    expect(findBundleVersion('2026.9.5-unhealthy', { OPENCLAW_TEST_BUNDLES: '1' })).toMatchObject({ openclaw: '2026.9.5', unhealthy: true });
    expect(findBundleVersion('latest', { OPENCLAW_TEST_BUNDLES: '1' })).toBeUndefined();
  });
});
