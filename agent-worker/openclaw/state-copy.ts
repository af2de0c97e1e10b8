// Copies of an instance's state volume (snapshots), made and restored by a short-lived container of the
// bundle image itself: no other image exists on a node, and none may be pulled. The container has no
// network and no capabilities, and runs as the gateway's own user, who owns every file of its state.
import type Dockerode from 'dockerode';
import { IMAGE_USER } from '../docker/images.ts';
import { demultiplex } from '../docker/streams.ts';
import { OPENCLAW_BUNDLE } from './bundle.ts';

export const SNAPSHOT_LABELS = {
  of: 'works.anthropy.snapshot.of',
  job: 'works.anthropy.snapshot.job',
  at: 'works.anthropy.snapshot.at',
  copy: 'works.anthropy.snapshot.copy',
} as const;

/**
 * Run by node in the copy container: `from` into `to` (in `restore` mode `to` is emptied first), then
 * the copy's size. The target is mounted at the image's state folder, so that a new (empty) volume
 * takes that folder's owner, the gateway's user, from the image.
 */
const COPY_SCRIPT = `
const fs = require('node:fs'), path = require('node:path');
const [from, to, mode] = process.argv.slice(1);
if (mode === 'restore') for (const e of fs.readdirSync(to)) fs.rmSync(path.join(to, e), { recursive: true, force: true });
fs.cpSync(from, to, { recursive: true, force: true, preserveTimestamps: true, verbatimSymlinks: true });
let sizeBytes = 0, files = 0;
const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else { files++; sizeBytes += fs.lstatSync(p).size; } } };
walk(to);
console.log(JSON.stringify({ sizeBytes, files }));
`;

const FROM = '/tmp/aw-copy-from';

/** Removes the instance's copy containers a crashed attempt left: they would keep its volumes busy. */
export async function removeCopyContainers(docker: Dockerode, instanceId: string): Promise<void> {
  for (const stale of await docker.listContainers({ all: true, filters: { label: [`${SNAPSHOT_LABELS.copy}=${instanceId}`] } })) {
    await docker
      .getContainer(stale.Id)
      .remove({ force: true })
      .catch(() => {});
  }
}

/** Copies volume `from` into volume `to` (emptied first when `restore`) with a container of `image`; the copy's size. */
export async function copyVolume(
  docker: Dockerode,
  opts: { image: string; from: string; to: string; restore: boolean; instanceId: string },
): Promise<{ sizeBytes: number; files: number }> {
  await removeCopyContainers(docker, opts.instanceId);
  const container = await docker.createContainer({
    Image: opts.image,
    Entrypoint: ['node', '-e', COPY_SCRIPT],
    Cmd: [FROM, OPENCLAW_BUNDLE.stateDir, opts.restore ? 'restore' : 'snapshot'],
    User: `${IMAGE_USER.uid}:${IMAGE_USER.gid}`,
    Labels: { [SNAPSHOT_LABELS.copy]: opts.instanceId },
    HostConfig: {
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      Mounts: [
        { Type: 'volume', Source: opts.from, Target: FROM, ReadOnly: true },
        { Type: 'volume', Source: opts.to, Target: OPENCLAW_BUNDLE.stateDir },
      ],
    },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const frames = await demultiplex(docker, (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    const out = frames
      .filter((f) => f.stream === 'stdout')
      .map((f) => f.text)
      .join('');
    if (StatusCode !== 0) {
      const err = frames
        .filter((f) => f.stream === 'stderr')
        .map((f) => f.text)
        .join('')
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      throw new Error(`copying volume ${opts.from} into ${opts.to} failed with code ${StatusCode}: ${err}`);
    }
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { sizeBytes: number; files: number };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** The instance's snapshots of volume `of`, newest first. */
export async function listSnapshots(docker: Dockerode, of: string): Promise<{ volume: string; takenAt: string }[]> {
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${SNAPSHOT_LABELS.of}=${of}`] } });
  return (Volumes ?? [])
    .map((v) => ({ volume: v.Name, takenAt: v.Labels?.[SNAPSHOT_LABELS.at] ?? '' }))
    .sort((a, b) => b.takenAt.localeCompare(a.takenAt) || b.volume.localeCompare(a.volume));
}
