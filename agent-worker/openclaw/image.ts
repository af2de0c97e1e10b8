// The bundle's image, built on the node from local files only (no registry pull): the standard Node image
// (agent-worker/docker/images.ts: FROM scratch, Node 24, its libraries, an unprivileged user) plus the
// cached npm install of openclaw, read-only under /opt/openclaw, and the gateway's configuration.
import type Dockerode from 'dockerode';
import type { Progress } from '../../protocol/step-progress.ts';
import { buildNodeImage } from '../docker/images.ts';
import { GATEWAY_CONFIG, gatewayCommand, OPENCLAW_BUNDLE, OPENCLAW_ENTRYPOINT } from './bundle.ts';
import { ensureOpenClawPackage } from './package.ts';

/** Where the gateway reads its configuration inside the image (OPENCLAW_CONFIG_PATH). */
export const GATEWAY_CONFIG_PATH = '/etc/openclaw/openclaw.json';

export interface BundleImage {
  tag: string;
  id: string;
}

/** Builds the bundle image unless the engine already has it with the same content; returns its id. */
export async function ensureBundleImage(docker: Dockerode, opts: { cacheDir: string; progress?: Progress }): Promise<BundleImage> {
  const pkg = await ensureOpenClawPackage(opts.cacheDir, opts.progress);
  const tag = OPENCLAW_BUNDLE.image;
  opts.progress?.({ step: 'building the bundle image', message: `${tag}, unless the engine has it already` });
  const id = await buildNodeImage(docker, {
    progress: opts.progress && ((p) => opts.progress!({ ...p, step: 'building the bundle image' })),
    tag,
    extraTrees: [{ path: OPENCLAW_BUNDLE.installDir, source: pkg.dir, contentKey: `openclaw@${pkg.version} lock ${pkg.lockHash} installed ${pkg.installedAt}` }],
    extraFiles: [{ path: GATEWAY_CONFIG_PATH, content: `${JSON.stringify(GATEWAY_CONFIG, null, 2)}\n` }],
    // Owned by the gateway's user, so the volumes mounted there are writable by it.
    homeDirs: ['.openclaw', '.openclaw/workspace'],
    labels: { 'works.anthropy.bundle': 'openclaw', 'works.anthropy.bundle.version': OPENCLAW_BUNDLE.version, 'works.anthropy.bundle.revision': String(OPENCLAW_BUNDLE.revision) },
    dockerfileLines: [`ENV OPENCLAW_CONFIG_PATH=${GATEWAY_CONFIG_PATH}`, `ENTRYPOINT ${JSON.stringify(OPENCLAW_ENTRYPOINT)}`, `CMD ${JSON.stringify(gatewayCommand())}`],
  });
  return { tag, id };
}
