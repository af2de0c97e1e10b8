// The bundle's readiness on this node: is the image here (or can it be built), which version, how big,
// and does its gateway start and answer /healthz? The gateway runs in a throw-away container with no
// network at all, and is removed afterwards whatever happened.
import crypto from 'node:crypto';
import type Dockerode from 'dockerode';
import type { BundleCheck } from '../../protocol/node-actions.ts';
import type { Progress } from '../../protocol/step-progress.ts';
import { bundleVersion, gatewayCommand } from './bundle.ts';
import { answersHealthzInside, waitingFor } from './health.ts';
import { ensureBundleImage, findBundleImage } from './image.ts';

export async function checkBundle(docker: Dockerode, opts: { cacheDir: string; timeoutMs: number; version?: string; progress?: Progress }): Promise<BundleCheck> {
  const v = bundleVersion(opts.version);
  const wasPresent = Boolean(await findBundleImage(docker, { cacheDir: opts.cacheDir, version: v.version }));
  const built = await ensureBundleImage(docker, { cacheDir: opts.cacheDir, version: v.version, progress: opts.progress });
  const image = await docker.getImage(built.id).inspect();
  const container = await docker.createContainer({
    Image: built.id,
    name: `aw-bundle-check-${crypto.randomBytes(4).toString('hex')}`,
    Cmd: gatewayCommand(),
    Env: [`OPENCLAW_GATEWAY_TOKEN=${crypto.randomBytes(24).toString('hex')}`],
    Labels: { 'works.anthropy.bundle-check': 'true' },
    HostConfig: { NetworkMode: 'none', CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'] },
  });
  const started = Date.now();
  const verdict = (secondsToHealthz: number | null, detail: string): BundleCheck => ({
    image: v.image,
    version: v.version,
    wasPresent,
    sizeBytes: image.Size,
    gatewayAnswered: secondsToHealthz !== null,
    secondsToHealthz,
    detail,
  });
  try {
    await container.start();
    for (let attempt = 1; Date.now() - started < opts.timeoutMs; attempt++) {
      opts.progress?.(waitingFor('the throw-away gateway to answer /healthz', attempt, started, opts.timeoutMs));
      if (await answersHealthzInside(docker, container.id)) {
        const seconds = Math.round((Date.now() - started) / 100) / 10;
        return verdict(seconds, `the gateway answered /healthz after ${seconds} s`);
      }
      const state = (await container.inspect()).State;
      if (!state.Running) return verdict(null, `the gateway exited with code ${state.ExitCode}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    return verdict(null, `no answer on /healthz within ${opts.timeoutMs / 1000} s`);
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}
