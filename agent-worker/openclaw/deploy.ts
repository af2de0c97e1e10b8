// Deploying a managed instance on this node, in steps the control plane runs as separate signed jobs:
// preflight (reads only), deploy (idempotent: finds its earlier containers by label and continues),
// and waitHealthy (reads only). Progress goes to `progress`, which the activity turns into heartbeats.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type Dockerode from 'dockerode';
import type { DeployOutput, PreflightCheck } from '../../protocol/node-actions.ts';
import type { Progress } from '../../protocol/step-progress.ts';
import { bundleVersion } from './bundle.ts';
import { cliContainer, containerName, gatewayContainer, LABELS, networkName, volumeNames, type InstanceRole, type InstanceSpec } from './containers.ts';
import { seedGatewayConfig } from './gateway-config.ts';
import { rejoinHelper } from './health.ts';
import { ensureBundleImage, findBundleImage, type BundleImage } from './image.ts';
import { ensureInstanceNetwork, findNetwork } from './network.ts';

/** Disk space the image build and a gateway's first start need, with room to spare. */
const MIN_FREE_BYTES = 3 * 1024 ** 3;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Checks the machine before anyone is asked to approve: Docker, the port, disk space, the image. */
export async function preflight(
  docker: Dockerode,
  spec: Pick<InstanceSpec, 'instanceId' | 'instanceName' | 'port' | 'bundleVersion'>,
  cacheDir: string,
): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [];
  let info: { DockerRootDir?: string; ServerVersion?: string } | undefined;
  try {
    info = (await docker.info()) as typeof info;
    checks.push({ name: 'docker', ok: true, detail: `Docker ${info?.ServerVersion ?? '?'} answers` });
  } catch (err) {
    checks.push({ name: 'docker', ok: false, detail: `Docker does not answer (${(err as Error).message})` });
    return checks;
  }
  const ours = await docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${spec.instanceId}`] } });
  const free = await portIsFree(spec.port);
  checks.push(
    free || ours.length > 0
      ? { name: 'port', ok: true, detail: free ? `127.0.0.1:${spec.port} is free` : `127.0.0.1:${spec.port} is this instance's own gateway` }
      : { name: 'port', ok: false, detail: `127.0.0.1:${spec.port} is already in use on the machine` },
  );
  const clash = await docker.listContainers({ all: true, filters: { name: [`^/${containerName(spec, 'gateway')}$`] } });
  if (clash.some((c) => c.Labels?.[LABELS.instance] !== spec.instanceId)) {
    checks.push({ name: 'name', ok: false, detail: `a container named ${containerName(spec, 'gateway')} already exists on the machine` });
  }
  const network = await findNetwork(docker, networkName(spec));
  if (network && network.Labels?.[LABELS.instance] !== spec.instanceId) {
    checks.push({ name: 'network', ok: false, detail: `a Docker network named ${networkName(spec)} already exists on the machine` });
  }
  checks.push(await diskCheck(info?.DockerRootDir), await imageCheck(docker, spec.bundleVersion, cacheDir));
  return checks;
}

/** Free space in Docker's data root, for an image build and a gateway's state. */
export async function diskCheck(dockerRootDir: string | undefined, needed = MIN_FREE_BYTES): Promise<PreflightCheck> {
  try {
    const stat = await fs.promises.statfs(dockerRootDir ?? '/var/lib/docker');
    const bytes = stat.bavail * stat.bsize;
    return { name: 'disk', ok: bytes >= needed, detail: `${(bytes / 1024 ** 3).toFixed(1)} GiB free for Docker (${(needed / 1024 ** 3).toFixed(1)} GiB needed)` };
  } catch (err) {
    return { name: 'disk', ok: false, detail: `cannot read the free space of Docker's data root (${(err as Error).message})` };
  }
}

/** Whether the version's image is here or can be built: the version offered and pinned by a lock file. */
export async function imageCheck(docker: Dockerode, version: string | undefined, cacheDir: string): Promise<PreflightCheck> {
  try {
    const v = bundleVersion(version);
    const image = await findBundleImage(docker, { cacheDir, version: v.version });
    return { name: 'image', ok: true, detail: image ? `${v.image} is present` : `${v.image} will be built on this machine (about a minute)` };
  } catch (err) {
    return { name: 'image', ok: false, detail: (err as Error).message };
  }
}

async function findOwn(docker: Dockerode, instanceId: string, role: InstanceRole) {
  const [found] = await docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${instanceId}`, `${LABELS.role}=${role}`] } });
  return found;
}

/** Creates with `options` unless the container exists already (a concurrent or earlier attempt made it). */
async function createOnce(docker: Dockerode, instanceId: string, role: InstanceRole, options: Dockerode.ContainerCreateOptions): Promise<{ id: string; created: boolean }> {
  try {
    return { id: (await docker.createContainer(options)).id, created: true };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    // The name is taken. Docker reserves it before the other creation has finished registering the
    // container, so look for ours for a few seconds before calling it somebody else's.
    for (let i = 0; i < 50; i++) {
      const existing = await findOwn(docker, instanceId, role);
      if (existing) return { id: existing.Id, created: false };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`a container named ${String(options.name)} exists on this machine but is not this instance's`, { cause: err });
  }
}

/** The gateway token in a gateway container's environment (it stays on the machine). */
export async function tokenOf(docker: Dockerode, containerId: string): Promise<string | undefined> {
  const env = (await docker.getContainer(containerId).inspect()).Config.Env ?? [];
  return env.find((e) => e.startsWith('OPENCLAW_GATEWAY_TOKEN='))?.slice('OPENCLAW_GATEWAY_TOKEN='.length);
}

export interface DeployOptions {
  cacheDir: string;
  /** How the agent's node is called in the console (for error sentences); the machine's hostname otherwise. */
  nodeName?: string;
  progress?: Progress;
}

/**
 * Brings the instance to "both containers running": builds the image if needed, creates the volumes,
 * the network and whichever container is missing, and starts what is stopped. Running it again changes
 * nothing.
 */
export async function deploy(docker: Dockerode, spec: InstanceSpec, opts: DeployOptions): Promise<DeployOutput> {
  // Two deploys racing can see a container the other is still creating, which Docker then reports as
  // missing for a moment. Deploying is idempotent, so such a step is simply taken again.
  const created: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await deployOnce(docker, spec, opts, created);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404 || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

const containerStep = (message: string) => ({ step: 'creating the containers', message });

/** One pass; `created` collects what this deploy made, across passes. */
async function deployOnce(docker: Dockerode, spec: InstanceSpec, opts: DeployOptions, created: string[]): Promise<DeployOutput> {
  const progress = opts.progress ?? (() => {});
  // First: an engine that cannot give the instance a network of its own fails the deployment at once.
  await ensureInstanceNetwork(docker, spec, opts.nodeName ?? os.hostname());
  const image = await ensureBundleImage(docker, { cacheDir: opts.cacheDir, version: spec.bundleVersion, progress });
  for (const name of Object.values(volumeNames(spec.instanceId))) {
    await docker.createVolume({ Name: name, Labels: { [LABELS.instance]: spec.instanceId } });
  }

  let gateway = await findOwn(docker, spec.instanceId, 'gateway');
  let token = gateway ? await tokenOf(docker, gateway.Id) : undefined;
  let gatewayId = gateway?.Id;
  if (!gatewayId) {
    token = crypto.randomBytes(32).toString('base64url');
    progress(containerStep(`creating ${containerName(spec, 'gateway')}`));
    const made = await createOnce(docker, spec.instanceId, 'gateway', gatewayContainer(spec, token));
    gatewayId = made.id;
    if (made.created) created.push('gateway');
    else token = await tokenOf(docker, gatewayId);
  }
  if (!token) throw new Error(`the gateway container ${gatewayId.slice(0, 12)} has no token: remove the instance and deploy again`);
  gateway = await findOwn(docker, spec.instanceId, 'gateway');
  if (gateway?.State !== 'running') {
    // Before its first start: a gateway without its file would fetch a model catalogue and look for updates.
    await seedGatewayConfig(docker, gatewayId);
    progress(containerStep(`starting ${containerName(spec, 'gateway')}`));
    await docker
      .getContainer(gatewayId)
      .start()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err;
      });
  }

  let cli = await findOwn(docker, spec.instanceId, 'cli');
  let cliId = cli?.Id;
  if (!cliId) {
    progress(containerStep(`creating ${containerName(spec, 'cli')}`));
    const made = await createOnce(docker, spec.instanceId, 'cli', cliContainer(spec, gatewayId, token));
    cliId = made.id;
    if (made.created) created.push('cli');
  }
  cli = await findOwn(docker, spec.instanceId, 'cli');
  if (cli?.State !== 'running') {
    progress(containerStep(`starting ${containerName(spec, 'cli')}`));
    await docker
      .getContainer(cliId)
      .start()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err;
      });
  }
  await rejoinHelper(docker, { gatewayId, cliId });
  return deployOutput(spec, { gatewayId, cliId }, image, created);
}

/** What a deployment (or a version switch) made: the instance's two containers, its image and version. */
export const deployOutput = (spec: InstanceSpec, ids: { gatewayId: string; cliId: string }, image: BundleImage, created: string[]): DeployOutput => ({
  containers: [
    { id: ids.gatewayId, name: containerName(spec, 'gateway'), role: 'gateway' },
    { id: ids.cliId, name: containerName(spec, 'cli'), role: 'cli' },
  ],
  image: image.tag,
  version: image.version,
  port: spec.port,
  created,
});
