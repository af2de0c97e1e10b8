// The previous tagged release of this checkout: the newest `v*` tag (by version) reachable from HEAD that
// does not point at HEAD itself (on a release commit, the one before it). Git alone answers; a clone made
// without tags asks its origin for them once, and failing that the message says how to get them.
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../config.ts';
import { UserFacingError } from '../progress.ts';

export interface Release {
  tag: string;
  /** The commit the tag points at (an annotated tag's target, not the tag object). */
  commit: string;
}

export function git(args: string[], cwd = REPO_ROOT): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }).trim();
}

const releaseTags = (cwd: string) => git(['tag', '--merged', 'HEAD', '--list', 'v*', '--sort=-v:refname'], cwd).split('\n').filter(Boolean);

/** A clone made without tags (or a shallow one) still has its origin: ask it once, as the message would tell a person to. */
function fetchTagsFromOrigin(cwd: string): boolean {
  try {
    if (!git(['remote'], cwd).split('\n').includes('origin')) return false;
    if (git(['rev-parse', '--is-shallow-repository'], cwd) === 'true') git(['fetch', '--quiet', '--unshallow', '--tags', 'origin'], cwd);
    else git(['fetch', '--quiet', '--tags', 'origin'], cwd);
    return true;
  } catch {
    return false;
  }
}

export function previousRelease(cwd = REPO_ROOT): Release {
  const head = git(['rev-parse', 'HEAD'], cwd);
  let tags = releaseTags(cwd);
  if (!tags.some((t) => git(['rev-parse', `${t}^{commit}`], cwd) !== head) && fetchTagsFromOrigin(cwd)) tags = releaseTags(cwd);
  for (const tag of tags) {
    const commit = git(['rev-parse', `${tag}^{commit}`], cwd);
    if (commit !== head) return { tag, commit };
  }
  throw new UserFacingError(
    `No previous release: no v* tag is reachable from HEAD (${head.slice(0, 12)}) other than HEAD's own` +
      `${tags.length ? ` (${tags.join(', ')})` : ''}. Fetch the tags (git fetch --tags) and run this again.`,
  );
}
