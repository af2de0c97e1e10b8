// A bundle version's image, built on the node from local files only (no registry pull): the standard Node
// image (agent-worker/docker/images.ts: FROM scratch, Node 24, its libraries, an unprivileged user) plus
// the cached npm install of that version's openclaw, read-only under /opt/openclaw, and the gateway's
// configuration. An image is known by its content label: the version's lock file hash and the recipe
// (the Dockerfile and every other input); on a deployment the engine is asked for that label once, and
// neither the install (about 38,700 files) is walked nor the npm cache needed when the image is there.
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { Progress } from '../../protocol/step-progress.ts';
import { buildNodeImage, findImageByContent, nodeImageContent, type NodeImageOptions } from '../docker/images.ts';
import { bundleVersion, GATEWAY_CONFIG, gatewayCommand, OPENCLAW_BUNDLE, OPENCLAW_ENTRYPOINT, type BundleVersion } from './bundle.ts';
import { bundleLockHash, ensureOpenClawPackage, packageDirOf } from './package.ts';

/** Where the gateway reads its configuration inside the image (OPENCLAW_CONFIG_PATH). */
export const GATEWAY_CONFIG_PATH = '/etc/openclaw/openclaw.json';

export const BUNDLE_LABELS = {
  bundle: 'works.anthropy.bundle',
  version: 'works.anthropy.bundle.version',
  revision: 'works.anthropy.bundle.revision',
  lock: 'works.anthropy.bundle.lock',
} as const;

export interface BundleImage {
  tag: string;
  id: string;
  version: string;
}

/**
 * The test-only variant's gateway: it breaks the state it was given (the configuration file overwritten,
 * a marker left), says why, and exits, so that no health check ever passes; a rollback must restore the
 * state for the previous version to start again.
 */
const UNHEALTHY_SCRIPT = [
  "const fs = require('node:fs'), path = require('node:path'), file = process.env.OPENCLAW_CONFIG_PATH;",
  "if (file) { fs.writeFileSync(file, '{ broken by the test bundle'); fs.writeFileSync(path.join(path.dirname(file), 'test-bundle-was-here'), 'yes'); }",
  "console.error('test bundle: this gateway is made to fail its health gate'); setTimeout(() => process.exit(3), 1000);",
].join(' ');
const UNHEALTHY_ENTRYPOINT = ['node', '-e', UNHEALTHY_SCRIPT];

/** The image's recipe for `v`, whose tree is the (perhaps not yet installed) npm install in `cacheDir`. */
export function bundleImageOptions(v: BundleVersion, cacheDir: string): NodeImageOptions {
  const lockHash = bundleLockHash(v.openclaw);
  if (lockHash !== v.lockSha256)
    throw new Error(`the lock file of openclaw ${v.openclaw} (sha256 ${lockHash}) is not the one bundle.ts pins (${v.lockSha256}): nothing is installed from it`);
  return {
    tag: v.image,
    extraTrees: [{ path: OPENCLAW_BUNDLE.installDir, source: packageDirOf(cacheDir, v.openclaw, lockHash), contentKey: `openclaw@${v.openclaw} lock ${lockHash}` }],
    extraFiles: [{ path: GATEWAY_CONFIG_PATH, content: `${JSON.stringify(GATEWAY_CONFIG, null, 2)}\n` }],
    // Owned by the gateway's user, so the volumes mounted there are writable by it.
    homeDirs: ['.openclaw', '.openclaw/workspace'],
    labels: { [BUNDLE_LABELS.bundle]: 'openclaw', [BUNDLE_LABELS.version]: v.version, [BUNDLE_LABELS.revision]: String(OPENCLAW_BUNDLE.revision), [BUNDLE_LABELS.lock]: lockHash },
    dockerfileLines: [
      `ENV OPENCLAW_CONFIG_PATH=${GATEWAY_CONFIG_PATH}`,
      `ENTRYPOINT ${JSON.stringify(v.unhealthy ? UNHEALTHY_ENTRYPOINT : OPENCLAW_ENTRYPOINT)}`,
      `CMD ${JSON.stringify(gatewayCommand())}`,
    ],
  };
}

/** The version's image id when the engine has it (by its content label), else undefined; builds nothing. */
export async function findBundleImage(docker: Dockerode, opts: { cacheDir: string; version?: string }): Promise<BundleImage | undefined> {
  const v = bundleVersion(opts.version);
  const id = await findImageByContent(docker, v.image, nodeImageContent(bundleImageOptions(v, opts.cacheDir)));
  return id ? { tag: v.image, id, version: v.version } : undefined;
}

/** Builds version `version`'s image (default: the newest) unless the engine has it with the same content; returns its id. */
export async function ensureBundleImage(docker: Dockerode, opts: { cacheDir: string; version?: string; progress?: Progress }): Promise<BundleImage> {
  const v = bundleVersion(opts.version);
  const found = await findBundleImage(docker, { cacheDir: opts.cacheDir, version: v.version });
  if (found) return found;
  const pkg = await ensureOpenClawPackage(opts.cacheDir, v.openclaw, opts.progress);
  const options = bundleImageOptions(v, opts.cacheDir);
  if (path.resolve(options.extraTrees![0]!.source) !== path.resolve(pkg.dir)) throw new Error(`openclaw ${v.openclaw} was installed in ${pkg.dir}, not where its image expects it`);
  opts.progress?.({ step: 'building the bundle image', message: `${v.image}` });
  const id = await buildNodeImage(docker, { ...options, progress: opts.progress && ((p) => opts.progress!({ ...p, step: 'building the bundle image' })) });
  return { tag: v.image, id, version: v.version };
}
