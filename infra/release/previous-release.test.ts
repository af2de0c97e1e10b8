import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git, previousRelease, RELEASES_FILE, type Release } from './previous-release.ts';

let repo: string;
const commit = (message: string) => {
  fs.appendFileSync(path.join(repo, 'file.txt'), `${message}\n`);
  git(['add', 'file.txt'], repo);
  git(['-c', 'user.name=t', '-c', 'user.email=t@example.test', 'commit', '-qm', message], repo);
  return git(['rev-parse', 'HEAD'], repo);
};
const tag = (name: string) => git(['-c', 'user.name=t', '-c', 'user.email=t@example.test', 'tag', '-a', name, '-m', name], repo);

beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-previous-release-'));
  git(['init', '-q', '-b', 'main'], repo);
});
afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

describe('previousRelease', () => {
  it('says to fetch the history and tags when no release is in HEAD’s history, or only HEAD’s own', () => {
    commit('first');
    expect(() => previousRelease(repo)).toThrow(/No previous release: neither a v\* tag nor infra\/release\/releases\.json names a commit .*git fetch --unshallow --tags/);
    tag('v0.9.0');
    expect(() => previousRelease(repo)).toThrow(/other than HEAD's own \(v0\.9\.0\).*git fetch --unshallow --tags/);
  });

  it('is the newest v* tag by version that does not point at HEAD; an annotated tag gives its commit', () => {
    const nine = git(['rev-parse', 'HEAD'], repo);
    commit('second');
    expect(previousRelease(repo)).toEqual({ tag: 'v0.9.0', commit: nine });
    tag('v0.10.0');
    const ten = git(['rev-parse', 'HEAD'], repo);
    // On the release commit itself, the one before it.
    expect(previousRelease(repo)).toEqual({ tag: 'v0.9.0', commit: nine });
    commit('third');
    expect(previousRelease(repo)).toEqual({ tag: 'v0.10.0', commit: ten });
    // A tag on another branch is not reachable from HEAD.
    git(['checkout', '-q', '-b', 'side', nine], repo);
    commit('side');
    expect(previousRelease(repo)).toEqual({ tag: 'v0.9.0', commit: nine });
  });

  it('asks origin for its tags once when a clone was made without them', () => {
    const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-previous-release-clone-'));
    try {
      git(['clone', '-q', '--no-tags', repo, clone], os.tmpdir());
      expect(git(['tag', '--list'], clone)).toBe('');
      expect(previousRelease(clone).tag).toBe('v0.9.0'); // the clone is of origin's HEAD, the side branch
      expect(git(['tag', '--list'], clone).split('\n')).toEqual(expect.arrayContaining(['v0.9.0', 'v0.10.0']));
    } finally {
      fs.rmSync(clone, { recursive: true, force: true });
    }
  });

  it('finds a release recorded in releases.json where the clone and its origin have no tags (a pushed branch), but not one on another branch', () => {
    // origin: a repository that got the branch pushed and never the tags.
    const origin = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-previous-release-origin-'));
    const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-previous-release-notags-'));
    try {
      git(['checkout', '-q', 'main'], repo);
      const ten = git(['rev-parse', 'v0.10.0^{commit}'], repo);
      const side = git(['rev-parse', 'side'], repo);
      fs.mkdirSync(path.join(repo, 'infra/release'), { recursive: true });
      const record = (releases: Release[]) => {
        fs.writeFileSync(path.join(repo, RELEASES_FILE), JSON.stringify(releases));
        git(['add', RELEASES_FILE], repo);
        git(['-c', 'user.name=t', '-c', 'user.email=t@example.test', 'commit', '-qm', 'record releases'], repo);
      };
      record([
        { tag: 'v0.10.0', commit: ten },
        { tag: 'v0.11.0', commit: side }, // newer, but not in main's history
      ]);
      git(['init', '-q', '--bare', origin], os.tmpdir());
      git(['push', '-q', origin, 'main'], repo);
      git(['clone', '-q', '--branch', 'main', origin, clone], os.tmpdir());
      expect(git(['tag', '--list'], clone)).toBe('');
      expect(previousRelease(clone)).toEqual({ tag: 'v0.10.0', commit: ten });
      // A malformed record is named, not skipped.
      record([{ tag: 'v0.10.0', commit: ten.slice(0, 12) }]);
      expect(() => previousRelease(repo)).toThrow('infra/release/releases.json[0].commit: expected a full 40-hex commit id');
    } finally {
      fs.rmSync(origin, { recursive: true, force: true });
      fs.rmSync(clone, { recursive: true, force: true });
    }
  });
});
