// The limit of suite 2: the same gateway started with the `docker` CLI alone, no product in between.
// Its flags are made from the very options the agent passes to Docker (containers.ts gatewayContainer,
// network.ts networkOptions), so hardening, limits, volumes, network, published port and environment are
// the same. The configuration goes where the agent puts it, the state volume (the gateway keeps its media
// beside that file: read from the image's read-only copy instead, it runs differently), the way a person
// with the CLI alone does it: `docker create`, `docker cp` of the file, `docker start`.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import type Dockerode from 'dockerode';
import tar from 'tar-stream';
import { gatewayContainer, networkName, volumeNames, type InstanceSpec } from '../../../agent-worker/openclaw/containers.ts';
import { MANAGED_CONFIG_PATH, seedConfigText } from '../../../agent-worker/openclaw/gateway-config.ts';
import { IMAGE_USER } from '../../../agent-worker/docker/images.ts';
import { networkOptions } from '../../../agent-worker/openclaw/network.ts';

/**
 * The configuration file the agent seeds (gateway-config.ts) as a tar stream for `docker cp -`, which keeps
 * the owner and mode its entry names: the image's user, readable by it alone, as the agent writes it.
 */
async function configTar(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: path.posix.basename(MANAGED_CONFIG_PATH), mode: 0o600, uid: IMAGE_USER.uid, gid: IMAGE_USER.gid, type: 'file' }, seedConfigText());
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `docker create` (`docker run` less its start) flags for the options Docker's API is given; throws on one it has no flag for here, so nothing is dropped unseen. */
export function dockerCreateArgs(opts: Dockerode.ContainerCreateOptions): string[] {
  const h = opts.HostConfig ?? {};
  const args = ['create', '--name', opts.name!, '--user', opts.User!];
  for (const e of opts.Env ?? []) args.push('--env', e);
  for (const [k, v] of Object.entries(opts.Labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const [port, bindings] of Object.entries(h.PortBindings ?? {}) as [string, { HostIp: string; HostPort: string }[]][]) {
    for (const b of bindings) args.push('--publish', `${b.HostIp}:${b.HostPort}:${port}`);
  }
  args.push('--network', h.NetworkMode!);
  for (const c of h.CapDrop ?? []) args.push('--cap-drop', c);
  for (const o of h.SecurityOpt ?? []) args.push('--security-opt', o);
  if (h.ReadonlyRootfs) args.push('--read-only');
  for (const [dir, o] of Object.entries(h.Tmpfs ?? {})) args.push('--tmpfs', `${dir}:${o}`);
  args.push('--memory', String(h.Memory), '--pids-limit', String(h.PidsLimit), '--cpus', String(h.NanoCpus! / 1e9));
  for (const m of h.Mounts ?? []) args.push('--mount', `type=${m.Type},src=${m.Source},dst=${m.Target}`);
  args.push('--restart', h.RestartPolicy!.Name!);
  args.push('--log-driver', h.LogConfig!.Type!);
  for (const [k, v] of Object.entries(h.LogConfig!.Config ?? {})) args.push('--log-opt', `${k}=${v}`);
  const known = new Set([
    'NetworkMode',
    'CapDrop',
    'SecurityOpt',
    'ReadonlyRootfs',
    'Tmpfs',
    'Memory',
    'PidsLimit',
    'NanoCpus',
    'Mounts',
    'RestartPolicy',
    'LogConfig',
    'PortBindings',
  ]);
  const unknown = Object.keys(h).filter((k) => !known.has(k));
  if (unknown.length) throw new Error(`the bare run has no flag for HostConfig ${unknown.join(', ')}: add it to tests/bench/deployment/bare.ts`);
  args.push(opts.Image!, ...(opts.Cmd ?? []));
  return args;
}

export function dockerNetworkArgs(spec: InstanceSpec): string[] {
  const o = networkOptions(spec);
  const args = ['network', 'create', '--driver', o.Driver!];
  for (const [k, v] of Object.entries(o.Labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const [k, v] of Object.entries(o.Options ?? {})) args.push('--opt', `${k}=${v}`);
  return [...args, o.Name];
}

/** The gateway of `spec` as a bare run makes it: the agent's own options (a token of its own). */
export const bareGatewayArgs = (spec: InstanceSpec): string[] => dockerCreateArgs(gatewayContainer(spec, crypto.randomBytes(32).toString('base64url')));

export class DockerCli {
  private readonly socketPath: string;
  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  /** Runs `docker <args>` (with `input` on its standard input); resolves with what it printed. */
  run(args: string[], input?: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile('docker', ['--host', `unix://${this.socketPath}`, ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
        err ? reject(new Error(`docker ${args[0]}: ${stderr.trim() || err.message}`)) : resolve(stdout.trim()),
      );
      child.stdin!.end(input);
    });
  }

  /**
   * `docker network create`, `docker create` of the gateway, `docker cp` of its configuration file (the
   * bundle's, owned by the image's user and readable by it alone, as the agent writes it), `docker start`;
   * resolves with the container id.
   */
  async networkAndRun(spec: InstanceSpec): Promise<string> {
    await this.run(dockerNetworkArgs(spec));
    const id = await this.run(bareGatewayArgs(spec));
    await this.run(['cp', '-', `${id}:${path.posix.dirname(MANAGED_CONFIG_PATH)}`], await configTar());
    await this.run(['start', id]);
    return id;
  }

  async remove(spec: InstanceSpec, containerId: string): Promise<void> {
    await this.run(['rm', '--force', containerId]);
    await this.run(['volume', 'rm', ...Object.values(volumeNames(spec.instanceId))]);
    await this.run(['network', 'rm', networkName(spec)]);
  }
}
