// Each managed instance's own Docker network: a user-defined bridge named after the instance and
// labelled with its id. Made by the deployment (once: a retry or a concurrent deploy finds it) and
// removed with the instance. There is no fallback to the host's network: an engine that cannot make one
// fails the deployment with its reason (ADR 0010, item 4).
import type Dockerode from 'dockerode';
import { LABELS, networkName, PUBLISHED_ON, type InstanceSpec } from './containers.ts';

type Engine = Pick<Dockerode, 'listNetworks' | 'createNetwork'>;

export function networkOptions(spec: InstanceSpec): Dockerode.NetworkCreateOptions {
  return {
    Name: networkName(spec),
    Driver: 'bridge',
    CheckDuplicate: true,
    Labels: { [LABELS.instance]: spec.instanceId, [LABELS.instanceName]: spec.instanceName },
    // Should a port ever be published without an address, it still lands on the node's loopback.
    Options: { 'com.docker.network.bridge.host_binding_ipv4': PUBLISHED_ON },
  };
}

/** The network of exactly that name (Docker's name filter also matches parts of names). */
export async function findNetwork(docker: Pick<Dockerode, 'listNetworks'>, name: string): Promise<Dockerode.NetworkInspectInfo | undefined> {
  return (await docker.listNetworks({ filters: { name: [name] } })).find((n) => n.Name === name);
}

/** Docker's own sentence from a failed API call, without dockerode's "(HTTP code 500) server error - " prefix. */
const engineReason = (err: unknown) => (err as { json?: { message?: string } }).json?.message?.trim() ?? (err as Error).message.replace(/^\(HTTP code \d+\)[^-]*- /, '').trim();

/** Networks this agent is making now, by name: Docker's duplicate check is best effort, so two deploys share one creation. */
const making = new Map<string, Promise<string>>();

/** The instance's network id, made if missing; never someone else's network of that name. */
export function ensureInstanceNetwork(docker: Engine, spec: InstanceSpec, nodeName: string): Promise<string> {
  const name = networkName(spec);
  const pending = making.get(name) ?? makeNetwork(docker, spec, nodeName).finally(() => making.delete(name));
  making.set(name, pending);
  return pending;
}

async function makeNetwork(docker: Engine, spec: InstanceSpec, nodeName: string): Promise<string> {
  const name = networkName(spec);
  const ours = (n: Dockerode.NetworkInspectInfo | undefined) => {
    if (n && n.Labels?.[LABELS.instance] !== spec.instanceId) throw new Error(`a Docker network named ${name} exists on this machine but is not this instance's`);
    return n?.Id;
  };
  const existing = ours(await findNetwork(docker, name));
  if (existing) return existing;
  try {
    return (await docker.createNetwork(networkOptions(spec))).id;
  } catch (err) {
    // Made by another process's deploy of this instance in the meantime: that one is ours too.
    if ((err as { statusCode?: number }).statusCode === 409) {
      const made = ours(await findNetwork(docker, name));
      if (made) return made;
    }
    throw new Error(`the Docker engine on ${nodeName} cannot create a network for the instance: ${engineReason(err)}`, { cause: err });
  }
}

/**
 * Removes the networks named (name → instance id), each only when it is labelled as that instance's own:
 * an adopted instance's networks, or anything else of the same name, stay.
 */
export async function removeInstanceNetworks(docker: Pick<Dockerode, 'getNetwork'>, names: Map<string, string>): Promise<string[]> {
  const removed: string[] = [];
  for (const [name, instanceId] of names) {
    const network = docker.getNetwork(name);
    const info = (await network.inspect().catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return undefined;
      throw err;
    })) as Dockerode.NetworkInspectInfo | undefined;
    if (info?.Labels?.[LABELS.instance] !== instanceId) continue;
    await network.remove().catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
    removed.push(name);
  }
  return removed;
}
