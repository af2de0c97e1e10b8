// The instance network's rules without an engine: an engine that cannot make a network fails the
// deployment in one sentence before anything else is done (never the host's network instead), someone
// else's network of that name is refused, and two deploys at once make one network.
import { describe, expect, it } from '@jest/globals';
import type Dockerode from 'dockerode';
import { LABELS, networkName, type InstanceSpec } from './containers.ts';
import { deploy } from './deploy.ts';
import { ensureInstanceNetwork } from './network.ts';

const spec: InstanceSpec = { instanceId: crypto.randomUUID(), instanceName: 'acme-claw', jobId: crypto.randomUUID(), port: 18789 };

/** What dockerode rejects with when the engine answers an error. */
const engineError = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message} `), { statusCode, json: { message } });

/** An engine with only the network calls: anything else the deployment tried would throw. */
function engine(opts: { networks?: Dockerode.NetworkInspectInfo[]; create?: (o: Dockerode.NetworkCreateOptions) => Promise<{ id: string }> }) {
  const networks = [...(opts.networks ?? [])];
  const created: Dockerode.NetworkCreateOptions[] = [];
  const docker = {
    listNetworks: async () => networks,
    createNetwork: async (o: Dockerode.NetworkCreateOptions) => {
      created.push(o);
      const made = await (opts.create ?? (async () => ({ id: `net-${created.length}` })))(o);
      networks.push({ Id: made.id, Name: o.Name, Labels: o.Labels } as Dockerode.NetworkInspectInfo);
      return made;
    },
  };
  return { docker: docker as unknown as Dockerode, created };
}

describe("an instance's own network", () => {
  it("fails the deployment in one sentence, naming the node and Docker's reason, when the engine cannot make one", async () => {
    const { docker } = engine({
      create: async () => {
        throw engineError(500, 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
      },
    });
    await expect(deploy(docker, spec, { cacheDir: '/nonexistent', nodeName: 'acme-edge' })).rejects.toHaveProperty(
      'message',
      'the Docker engine on acme-edge cannot create a network for the instance: could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
    );
  });

  it('is a labelled bridge named after the instance, publishing on loopback by default', async () => {
    const { docker, created } = engine({});
    expect(await ensureInstanceNetwork(docker, spec, 'edge')).toBe('net-1');
    expect(created).toEqual([
      {
        Name: 'acme-claw-openclaw',
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [LABELS.instance]: spec.instanceId, [LABELS.instanceName]: 'acme-claw' },
        Options: { 'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1' },
      },
    ]);
    // Found again, not made again.
    expect(await ensureInstanceNetwork(docker, spec, 'edge')).toBe('net-1');
    expect(created).toHaveLength(1);
  });

  it('is made once when two deploys of the instance ask at the same time', async () => {
    const { docker, created } = engine({
      create: async () => {
        await new Promise((r) => setTimeout(r, 50));
        return { id: 'net-once' };
      },
    });
    expect(await Promise.all([ensureInstanceNetwork(docker, spec, 'edge'), ensureInstanceNetwork(docker, spec, 'edge')])).toEqual(['net-once', 'net-once']);
    expect(created).toHaveLength(1);
  });

  it("takes the network another process made in the meantime when it is this instance's, and refuses anyone else's", async () => {
    const theirs = { Id: 'net-x', Name: networkName(spec), Labels: { [LABELS.instance]: spec.instanceId } } as unknown as Dockerode.NetworkInspectInfo;
    const raced = engine({});
    raced.docker.listNetworks = (async () => {
      const first = !raced.created.length;
      return first ? [] : [theirs];
    }) as Dockerode['listNetworks'];
    raced.docker.createNetwork = (async (o: Dockerode.NetworkCreateOptions) => {
      raced.created.push(o);
      throw engineError(409, `network with name ${o.Name} already exists`);
    }) as Dockerode['createNetwork'];
    expect(await ensureInstanceNetwork(raced.docker, spec, 'edge')).toBe('net-x');

    const { docker, created } = engine({ networks: [{ Id: 'net-y', Name: networkName(spec), Labels: { app: 'billing' } } as unknown as Dockerode.NetworkInspectInfo] });
    await expect(ensureInstanceNetwork(docker, spec, 'edge')).rejects.toThrow(`a Docker network named ${networkName(spec)} exists on this machine but is not this instance's`);
    expect(created).toEqual([]);
  });
});
