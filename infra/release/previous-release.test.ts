import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git, previousRelease } from './previous-release.ts';

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
  it('says to fetch the tags when none is reachable, or only HEAD’s own', () => {
    commit('first');
    expect(() => previousRelease(repo)).toThrow(/No previous release: no v\* tag is reachable from HEAD .*Fetch the tags \(git fetch --tags\)/);
    tag('v0.9.0');
    expect(() => previousRelease(repo)).toThrow(/other than HEAD's own \(v0\.9\.0\).*git fetch --tags/);
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
});
