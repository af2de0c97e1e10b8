// Moving a managed instance to another bundle version (an upgrade or a downgrade: the same path), in
// steps the control plane runs as separate signed jobs (workflows/upgrade-openclaw.ts):
//   preflight   reads only: Docker, disk, the new version's image (here or buildable), the version the
//               instance runs, and its health now;
//   snapshot    stops both containers and copies the state volume into a snapshot volume beside it;
//   switch      keeps the previous containers, stopped, under another name (their image, token and
//               configuration intact: the rollback needs nothing else), and creates the new version's
//               containers on the same volumes and network with the same token;
//   rollback    removes the new containers, restores the state volume from the snapshot, and starts the
//               previous containers under their names again;
//   finish      removes the previous containers and prunes the snapshots to the last N.
// Each is idempotent: a retried attempt finds its earlier work by container name and job label.
import type Dockerode from 'dockerode';
import { snapshotVolumeOf, type CheckedNodeActionParams, type DeployOutput, type PreflightCheck, type StateSnapshot } from '../../protocol/node-actions.ts';
import type { Progress } from '../../protocol/step-progress.ts';
import { bundleVersion } from './bundle.ts';
import { cliContainer, containerName, gatewayContainer, LABELS, volumeNames, type InstanceRole, type InstanceSpec } from './containers.ts';
import { deployOutput, diskCheck, imageCheck, tokenOf } from './deploy.ts';
import { instanceHealth, rejoinHelper } from './health.ts';
import { ensureBundleImage } from './image.ts';
import { ensureInstanceNetwork } from './network.ts';
import { copyVolume, listSnapshots, removeCopyContainers, SNAPSHOT_LABELS } from './state-copy.ts';

type Params<A extends 'openclaw.upgrade-preflight' | 'openclaw.snapshot-state' | 'openclaw.switch-version' | 'openclaw.rollback-version' | 'openclaw.finish-upgrade'> =
  CheckedNodeActionParams<A>;

/** The name the previous containers are kept under during an upgrade (the instance's names are the new ones'). */
export const previousName = (name: string, jobId: string) => `${name}-pre-${jobId.slice(0, 8)}`;

const inspect = (docker: Dockerode, id: string) =>
  docker
    .getContainer(id)
    .inspect()
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return undefined;
      throw err;
    });

const ignore =
  (...codes: number[]) =>
  (err: { statusCode?: number }) => {
    if (!codes.includes(err.statusCode ?? 0)) throw err;
  };

export async function upgradePreflight(docker: Dockerode, p: Params<'openclaw.upgrade-preflight'>, cacheDir: string) {
  const checks: PreflightCheck[] = [];
  let info: { DockerRootDir?: string; ServerVersion?: string };
  try {
    info = (await docker.info()) as typeof info;
    checks.push({ name: 'docker', ok: true, detail: `Docker ${info.ServerVersion ?? '?'} answers` });
  } catch (err) {
    throw new Error(`Docker does not answer (${(err as Error).message})`, { cause: err });
  }
  const gateway = await inspect(docker, p.gatewayId);
  const fromVersion = gateway?.Config.Labels?.[LABELS.bundleVersion] ?? null;
  if (!gateway) checks.push({ name: 'containers', ok: false, detail: `the gateway container ${p.gatewayId.slice(0, 12)} is not on the machine` });
  else if (gateway.Config.Labels?.[LABELS.instance] !== p.instanceId)
    checks.push({ name: 'containers', ok: false, detail: 'the containers were not made by the bundle (an adopted instance): deploy it anew to change its version' });
  else checks.push({ name: 'containers', ok: true, detail: `the instance runs bundle version ${fromVersion ?? 'unknown'}` });
  checks.push(
    fromVersion === p.toVersion
      ? { name: 'version', ok: false, detail: `the instance already runs ${p.toVersion}` }
      : { name: 'version', ok: true, detail: `${fromVersion ?? 'unknown'} → ${p.toVersion}` },
  );
  checks.push(await diskCheck(info.DockerRootDir), await imageCheck(docker, p.toVersion, cacheDir));
  const health = await instanceHealth(docker, p);
  checks.push({
    name: 'health',
    ok: health.healthy,
    detail: health.healthy ? 'the gateway is healthy now' : 'the gateway is not healthy now: mend it before changing its version',
  });
  return { checks, fromVersion, health };
}

/** Stops the instance and copies its state volume into `aw-<instance>-state-snap-<job>`; a retry makes the copy again. */
export async function snapshotState(docker: Dockerode, p: Params<'openclaw.snapshot-state'>, progress?: Progress): Promise<StateSnapshot> {
  const gateway = await docker.getContainer(p.gatewayId).inspect();
  const of = volumeNames(p.instanceId).state;
  const volume = snapshotVolumeOf(p.instanceId, p.jobId);
  progress?.({ step: 'snapshot', message: 'stopping the gateway for a consistent copy' });
  for (const id of [p.cliId, p.gatewayId]) if (id) await docker.getContainer(id).stop({ t: 10 }).catch(ignore(304, 404));
  await removeCopyContainers(docker, p.instanceId);
  await docker.getVolume(volume).remove().catch(ignore(404));
  const takenAt = new Date().toISOString();
  await docker.createVolume({ Name: volume, Labels: { [LABELS.instance]: p.instanceId, [SNAPSHOT_LABELS.of]: of, [SNAPSHOT_LABELS.job]: p.jobId, [SNAPSHOT_LABELS.at]: takenAt } });
  progress?.({ step: 'snapshot', message: `copying ${of} into ${volume}` });
  const size = await copyVolume(docker, { image: gateway.Image, from: of, to: volume, restore: false, instanceId: p.instanceId });
  return { volume, of, takenAt, ...size };
}

async function startContainer(docker: Dockerode, id: string) {
  await docker.getContainer(id).start().catch(ignore(304));
}

/** Stops and renames the instance's container to its previous-name, unless an earlier attempt did. */
async function setAside(docker: Dockerode, id: string | undefined, name: string, jobId: string) {
  if (!id) return;
  const info = await inspect(docker, id);
  if (!info || info.Name === `/${previousName(name, jobId)}`) return;
  await docker.getContainer(id).stop({ t: 10 }).catch(ignore(304));
  await docker.getContainer(id).rename({ name: previousName(name, jobId) });
}

async function upgradeContainer(docker: Dockerode, spec: InstanceSpec, role: InstanceRole, create: () => Dockerode.ContainerCreateOptions): Promise<string> {
  const [found] = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.instance}=${spec.instanceId}`, `${LABELS.role}=${role}`, `${LABELS.job}=${spec.jobId}`] },
  });
  if (found) return found.Id;
  return (await docker.createContainer(create())).id;
}

export async function switchVersion(
  docker: Dockerode,
  p: Params<'openclaw.switch-version'>,
  opts: { cacheDir: string; nodeName: string; progress?: Progress },
): Promise<DeployOutput> {
  const v = bundleVersion(p.toVersion);
  const spec: InstanceSpec = { instanceId: p.instanceId, instanceName: p.instanceName, port: p.port, jobId: p.jobId, bundleVersion: v.version };
  const token = await tokenOf(docker, p.previous.gatewayId);
  if (!token) throw new Error('the previous gateway container has no token: the instance cannot keep it');
  // The image first: a version that cannot be built leaves the instance as it was.
  const image = await ensureBundleImage(docker, { cacheDir: opts.cacheDir, version: v.version, progress: opts.progress });
  opts.progress?.({ step: 'switching the version', message: 'keeping the previous containers, stopped' });
  await setAside(docker, p.previous.cliId, containerName(spec, 'cli'), p.jobId);
  await setAside(docker, p.previous.gatewayId, containerName(spec, 'gateway'), p.jobId);
  await ensureInstanceNetwork(docker, spec, opts.nodeName);
  opts.progress?.({ step: 'switching the version', message: `starting ${v.image}` });
  const created: string[] = [];
  const gatewayId = await upgradeContainer(docker, spec, 'gateway', () => (created.push('gateway'), gatewayContainer(spec, token)));
  await startContainer(docker, gatewayId);
  const cliId = await upgradeContainer(docker, spec, 'cli', () => (created.push('cli'), cliContainer(spec, gatewayId, token)));
  await startContainer(docker, cliId);
  await rejoinHelper(docker, { gatewayId, cliId });
  return deployOutput(spec, { gatewayId, cliId }, image, created);
}

export async function rollbackVersion(docker: Dockerode, p: Params<'openclaw.rollback-version'>, progress?: Progress): Promise<{ removed: string[]; restoredFrom: string }> {
  const previous = await docker.getContainer(p.previous.gatewayId).inspect();
  progress?.({ step: 'rolling back', message: "removing the upgrade's containers" });
  const removed: string[] = [];
  for (const c of await docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${p.instanceId}`, `${LABELS.job}=${p.jobId}`] } })) {
    if (c.Id === p.previous.gatewayId || c.Id === p.previous.cliId) continue;
    await docker.getContainer(c.Id).remove({ force: true }).catch(ignore(404));
    removed.push(c.Id);
  }
  // Still running if the switch never happened (a failure right after the snapshot): stop before restoring.
  for (const id of [p.previous.cliId, p.previous.gatewayId]) if (id) await docker.getContainer(id).stop({ t: 10 }).catch(ignore(304, 404));
  progress?.({ step: 'rolling back', message: `restoring the state from ${p.snapshotVolume}` });
  await copyVolume(docker, { image: previous.Image, from: p.snapshotVolume, to: volumeNames(p.instanceId).state, restore: true, instanceId: p.instanceId });
  const names = { gateway: containerName(p, 'gateway'), cli: containerName(p, 'cli') };
  for (const [role, id] of [
    ['gateway', p.previous.gatewayId],
    ['cli', p.previous.cliId],
  ] as const) {
    if (!id) continue;
    const info = await docker.getContainer(id).inspect();
    if (info.Name !== `/${names[role]}`) await docker.getContainer(id).rename({ name: names[role] });
  }
  progress?.({ step: 'rolling back', message: 'starting the previous containers' });
  await startContainer(docker, p.previous.gatewayId);
  if (p.previous.cliId) await startContainer(docker, p.previous.cliId);
  await rejoinHelper(docker, p.previous);
  return { removed, restoredFrom: p.snapshotVolume };
}

export async function finishUpgrade(docker: Dockerode, p: Params<'openclaw.finish-upgrade'>) {
  const removed: string[] = [];
  for (const id of [p.previous.cliId, p.previous.gatewayId]) {
    if (!id) continue;
    const info = await inspect(docker, id);
    if (!info) continue;
    // Only containers an upgrade set aside: never the instance's running ones.
    if (!/-pre-[0-9a-f]{8}$/.test(info.Name)) throw new Error(`container ${info.Name} is not a previous container of an upgrade: it stays`);
    await docker.getContainer(id).remove({ force: true }).catch(ignore(404));
    removed.push(id);
  }
  const snapshots = await listSnapshots(docker, volumeNames(p.instanceId).state);
  const snapshotsPruned: string[] = [];
  for (const old of snapshots.slice(p.keepSnapshots)) {
    await docker.getVolume(old.volume).remove().catch(ignore(404));
    snapshotsPruned.push(old.volume);
  }
  return { removed, snapshotsPruned, snapshotsKept: snapshots.slice(0, p.keepSnapshots) };
}
