// A gateway's configuration file (openclaw.json) as the agent reads and writes it: through Docker's
// archive API, so nothing is passed on a command line (the file may hold secrets of an adopted gateway)
// and no shell is needed (the image has none). A managed gateway reads it from its state volume
// (MANAGED_CONFIG_PATH, set by containers.ts), where the gateway's own hot reload watches it; the image's
// copy (/etc/openclaw/openclaw.json) is read-only and serves the image's default command only.
import path from 'node:path';
import type Dockerode from 'dockerode';
import tar from 'tar-stream';
import { IMAGE_USER } from '../docker/images.ts';
import { GATEWAY_CONFIG, OPENCLAW_BUNDLE } from './bundle.ts';

/** Where a managed gateway (and its helper) read the configuration: in the state volume, so it can change. */
export const MANAGED_CONFIG_PATH = `${OPENCLAW_BUNDLE.stateDir}/openclaw.json`;

const envOf = (info: Dockerode.ContainerInspectInfo) =>
  Object.fromEntries((info.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const).filter(([k]) => k));

/** The file the gateway reads, as OpenClaw resolves it: OPENCLAW_CONFIG_PATH, else the state folder's openclaw.json. */
export function configPathOf(info: Dockerode.ContainerInspectInfo): string {
  const env = envOf(info);
  if (env.OPENCLAW_CONFIG_PATH) return env.OPENCLAW_CONFIG_PATH;
  const stateDir = env.OPENCLAW_STATE_DIR ?? path.posix.join(env.HOME ?? IMAGE_USER.home, '.openclaw');
  return path.posix.join(stateDir, 'openclaw.json');
}

/** Whether `file` lies in a mount the container may write (a file outside one is in the image, read-only for ours). */
export function inWritableMount(info: Dockerode.ContainerInspectInfo, file: string): boolean {
  return (info.Mounts ?? []).some((m) => m.RW && (file === m.Destination || file.startsWith(`${m.Destination.replace(/\/$/, '')}/`)));
}

/** The owner the container runs as (numeric `uid:gid`), for files written into its volumes; the image's user otherwise. */
export function ownerOf(info: Dockerode.ContainerInspectInfo): { uid: number; gid: number } {
  const [uid, gid] = (info.Config.User ?? '').split(':').map(Number);
  return uid !== undefined && Number.isInteger(uid) && info.Config.User ? { uid, gid: Number.isInteger(gid) ? gid! : uid } : { uid: IMAGE_USER.uid, gid: IMAGE_USER.gid };
}

/** A file's text from a container (running or not), or null when it does not exist. */
export async function readFileFrom(docker: Dockerode, containerId: string, file: string): Promise<string | null> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getContainer(containerId).getArchive({ path: file });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    throw err;
  }
  const extract = tar.extract();
  let text: string | null = null;
  await new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on('data', (c: unknown) => chunks.push(c as Buffer));
      body.on('end', () => {
        if (header.type === 'file' && text === null) text = Buffer.concat(chunks).toString('utf8');
        next();
      });
      body.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.on('error', reject);
    stream.pipe(extract);
  });
  return text;
}

/** Writes `content` as `file` into a container (running or not), owned by `owner`, readable by it alone. */
export async function writeFileInto(docker: Dockerode, containerId: string, file: string, content: string, owner: { uid: number; gid: number }): Promise<void> {
  const pack = tar.pack();
  pack.entry({ name: path.posix.basename(file), mode: 0o600, uid: owner.uid, gid: owner.gid, mtime: new Date(), type: 'file' }, Buffer.from(content, 'utf8'));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  await docker.getContainer(containerId).putArchive(Buffer.concat(chunks), { path: path.posix.dirname(file) });
}

/** The configuration as the file holds it: parsed, or why it is not a JSON object (null text: no file). */
export type ConfigFile = { raw: string | null; config: Record<string, unknown> } | { raw: string; config: null; problem: string };

export function parseConfig(raw: string | null): ConfigFile {
  if (raw === null) return { raw, config: {} };
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return { raw, config: parsed as Record<string, unknown> };
    return { raw, config: null, problem: 'it is not a JSON object' };
  } catch (err) {
    // OpenClaw also reads JSON5 (comments, trailing commas); the agent writes and reads plain JSON only.
    return { raw, config: null, problem: `it is not plain JSON (${(err as Error).message})` };
  }
}

/** The text a managed gateway's configuration starts from: the bundle's GATEWAY_CONFIG. */
export const seedConfigText = () => `${JSON.stringify(GATEWAY_CONFIG, null, 2)}\n`;

/**
 * Gives a new gateway its configuration in the state volume before its first start, unless the volume
 * has one (kept data of an earlier instance, or an earlier attempt of this deployment).
 */
export async function seedGatewayConfig(docker: Dockerode, gatewayId: string): Promise<void> {
  const info = await docker.getContainer(gatewayId).inspect();
  const file = configPathOf(info);
  if (!inWritableMount(info, file) || (await readFileFrom(docker, gatewayId, file)) !== null) return;
  await writeFileInto(docker, gatewayId, file, seedConfigText(), ownerOf(info));
}
