// The previous release of this checkout: the newest release (by version) whose commit HEAD contains and
// that is not HEAD itself (on a release commit, the one before it). A release is an annotated `v*` tag and a
// line in releases.json: tags do not travel with a pushed branch or a `--no-tags` clone, the file does. A
// clone that lacks the release's commit (a shallow one) asks its origin once; failing that, the message
// says what is missing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';
import { UserFacingError } from '../progress.ts';

export interface Release {
  tag: string;
  /** The commit the release is (an annotated tag's target, not the tag object). */
  commit: string;
}

/** Where releases are recorded beside their tags, relative to the repository's root. */
export const RELEASES_FILE = 'infra/release/releases.json';

export function git(args: string[], cwd = REPO_ROOT): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }).trim();
}

const succeeds = (args: string[], cwd: string) => {
  try {
    git(args, cwd);
    return true;
  } catch {
    return false;
  }
};

/** Releases recorded in the checkout's releases.json (absent file: none). */
export function recordedReleases(cwd: string): Release[] {
  const file = path.join(cwd, RELEASES_FILE);
  if (!fs.existsSync(file)) return [];
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed)) throw new UserFacingError(`${RELEASES_FILE}: expected a list of { "tag", "commit" }`);
  return parsed.map((r: { tag?: unknown; commit?: unknown }, i) => {
    if (typeof r?.tag !== 'string' || !/^v\d+\.\d+\.\d+$/.test(r.tag)) throw new UserFacingError(`${RELEASES_FILE}[${i}].tag: expected vMAJOR.MINOR.PATCH`);
    if (typeof r.commit !== 'string' || !/^[0-9a-f]{40}$/.test(r.commit)) throw new UserFacingError(`${RELEASES_FILE}[${i}].commit: expected a full 40-hex commit id`);
    return { tag: r.tag, commit: r.commit };
  });
}

const taggedReleases = (cwd: string): Release[] =>
  git(['tag', '--merged', 'HEAD', '--list', 'v*'], cwd)
    .split('\n')
    .filter(Boolean)
    .map((tag) => ({ tag, commit: git(['rev-parse', `${tag}^{commit}`], cwd) }));

/** Newest first: v0.10.0 before v0.9.0. */
const byVersionDescending = (a: Release, b: Release) => {
  const [x, y] = [a.tag, b.tag].map((t) =>
    t
      .replace(/^v/, '')
      .split(/[.-]/)
      .map((p) => Number(p) || 0),
  );
  for (let i = 0; i < Math.max(x!.length, y!.length); i++) if ((x![i] ?? 0) !== (y![i] ?? 0)) return (y![i] ?? 0) - (x![i] ?? 0);
  return 0;
};

/** A clone made without tags, or a shallow one, still has its origin: ask it once, as the message would tell a person to. */
function fetchFromOrigin(cwd: string): boolean {
  try {
    if (!git(['remote'], cwd).split('\n').includes('origin')) return false;
    if (git(['rev-parse', '--is-shallow-repository'], cwd) === 'true') git(['fetch', '--quiet', '--unshallow', '--tags', 'origin'], cwd);
    else git(['fetch', '--quiet', '--tags', 'origin'], cwd);
    return true;
  } catch {
    return false;
  }
}

function candidates(cwd: string, head: string): Release[] {
  const seen = new Map<string, Release>();
  for (const r of [...taggedReleases(cwd), ...recordedReleases(cwd)]) {
    if (r.commit === head || seen.has(r.tag)) continue;
    // A recorded release counts only where its commit is in HEAD's history (not on another branch).
    if (!succeeds(['cat-file', '-e', `${r.commit}^{commit}`], cwd)) continue;
    if (!succeeds(['merge-base', '--is-ancestor', r.commit, 'HEAD'], cwd)) continue;
    seen.set(r.tag, r);
  }
  return [...seen.values()].sort(byVersionDescending);
}

export function previousRelease(cwd = REPO_ROOT): Release {
  const head = git(['rev-parse', 'HEAD'], cwd);
  let found = candidates(cwd, head);
  if (found.length === 0 && fetchFromOrigin(cwd)) found = candidates(cwd, head);
  if (found[0]) return found[0];
  const known = [...new Set([...taggedReleases(cwd), ...recordedReleases(cwd)].map((r) => r.tag))];
  throw new UserFacingError(
    `No previous release: neither a v* tag nor ${RELEASES_FILE} names a commit in HEAD's history (${head.slice(0, 12)}) other than HEAD's own` +
      `${known.length ? ` (${known.join(', ')})` : ''}. Fetch the history and tags (git fetch --unshallow --tags) and run this again.`,
  );
}
