// The container inventory the agent reports: what Docker runs on its machine. Environment values and
// command lines are never collected: each record is built field by field from the engine's answers, and
// label values whose key looks secret are redacted with the same rules as logs and audit events.
import crypto from 'node:crypto';
import type Dockerode from 'dockerode';
import { redact } from '../../infra/redact.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';

export interface ContainerPort {
  privatePort: number;
  publicPort?: number;
  type: string;
  ip?: string;
}

export interface ContainerRecord {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  /** The image as the container was created from it (a name, or an id when the name has moved). */
  image: string;
  imageId: string;
  /** created, running, paused, restarting, removing, exited or dead. */
  state: string;
  /** starting, healthy or unhealthy; null without a health check. */
  health: string | null;
  /** Docker's human status ("Up 5 minutes"): shown in the console, left out of the digest. */
  status: string;
  ports: ContainerPort[];
  labels: Record<string, string>;
  /** "host", "none", "default", a network name, or "container:<id>" (shares another's network namespace). */
  networkMode: string;
  created: string;
  started: string | null;
}

type Engine = Pick<Dockerode, 'listContainers' | 'getContainer'>;

const NEVER = '0001-01-01T00:00:00Z';
const isNotFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

function ports(list: Dockerode.Port[] | undefined): ContainerPort[] {
  const seen = new Map<string, ContainerPort>();
  for (const p of list ?? []) {
    const port: ContainerPort = { privatePort: p.PrivatePort, type: p.Type };
    if (p.PublicPort) port.publicPort = p.PublicPort;
    if (p.IP) port.ip = p.IP;
    seen.set(JSON.stringify(port), port);
  }
  return [...seen.values()].sort(
    (a, b) => a.privatePort - b.privatePort || (a.publicPort ?? 0) - (b.publicPort ?? 0) || a.type.localeCompare(b.type) || (a.ip ?? '').localeCompare(b.ip ?? ''),
  );
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Every container of the engine, running or not, sorted by name. */
export async function listContainers(docker: Engine): Promise<ContainerRecord[]> {
  const summaries = await docker.listContainers({ all: true });
  const records = await mapLimited(summaries, 8, async (summary): Promise<ContainerRecord | undefined> => {
    let info: Dockerode.ContainerInspectInfo;
    try {
      info = await docker.getContainer(summary.Id).inspect();
    } catch (err) {
      if (isNotFound(err)) return undefined; // removed between the list and the inspect
      throw err;
    }
    const started = info.State?.StartedAt;
    return {
      id: info.Id,
      name: (info.Name ?? summary.Names?.[0] ?? '').replace(/^\//, ''),
      image: summary.Image ?? info.Config?.Image ?? '',
      imageId: info.Image ?? summary.ImageID ?? '',
      state: info.State?.Status ?? summary.State,
      health: info.State?.Health?.Status ?? null,
      status: summary.Status ?? '',
      ports: ports(summary.Ports),
      labels: redact({ ...(info.Config?.Labels ?? summary.Labels ?? {}) }),
      networkMode: info.HostConfig?.NetworkMode ?? summary.HostConfig?.NetworkMode ?? '',
      created: new Date(info.Created ?? summary.Created * 1000).toISOString(),
      started: started && started !== NEVER ? new Date(started).toISOString() : null,
    };
  });
  return records.filter((r): r is ContainerRecord => r !== undefined).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/**
 * A SHA-256 over the inventory (for heartbeats): it changes when a container appears, goes, or changes
 * state, health, image, ports, labels or start time, and not when only the "Up 5 minutes" text ages.
 */
export function inventoryDigest(containers: ContainerRecord[]): string {
  const stable = containers.map(({ status: _status, ...rest }) => rest).sort((a, b) => a.id.localeCompare(b.id));
  return crypto.createHash('sha256').update(canonicalJson(stable)).digest('hex');
}
