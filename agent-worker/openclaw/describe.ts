// What a takeover needs to know about running OpenClaw containers it did not create: names, images,
// state, start times, the gateway port from the command line, and the network mode (a gateway on the
// host's network can reach the node's own services). Reads only; environment values (the
// gateway's token among them) are never read out.
import type Dockerode from 'dockerode';
import type { DescribedContainer } from '../../protocol/node-actions.ts';
import { OPENCLAW_BUNDLE } from './bundle.ts';
import { LABELS } from './containers.ts';

export async function describeContainers(docker: Dockerode, ids: string[]): Promise<DescribedContainer[]> {
  const out: DescribedContainer[] = [];
  for (const id of ids) {
    const c = await docker
      .getContainer(id)
      .inspect()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode === 404) throw new Error(`container ${id.slice(0, 12)} is no longer on the machine`);
        throw err;
      });
    const args = [...(c.Config.Entrypoint ?? []), ...(c.Config.Cmd ?? [])].map(String);
    const at = args.indexOf('--port');
    const port = at >= 0 ? Number(args[at + 1]) : args.includes('gateway') ? OPENCLAW_BUNDLE.gatewayPort : null;
    out.push({
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      image: c.Config.Image,
      state: c.State.Status,
      startedAt: c.State.Running ? c.State.StartedAt : null,
      created: c.Created,
      bundleVersion: c.Config.Labels?.[LABELS.bundleVersion] ?? null,
      port: Number.isInteger(port) ? port : null,
      networkMode: c.HostConfig.NetworkMode ?? '',
    });
  }
  return out;
}
