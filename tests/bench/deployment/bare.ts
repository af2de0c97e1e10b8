// The limit of suite 2: the same gateway started with the `docker` CLI alone, no product in between.
// Its flags are made from the very options the agent passes to Docker (containers.ts gatewayContainer,
// network.ts networkOptions), so hardening, limits, volumes, network and published port are the same;
// only the configuration file differs in where it lives: the agent writes GATEWAY_CONFIG into the state
// volume before the first start, a bare run has no such step and reads the image's copy of the same text.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { gatewayContainer, networkName, volumeNames, type InstanceSpec } from '../../../agent-worker/openclaw/containers.ts';
import { GATEWAY_CONFIG_PATH } from '../../../agent-worker/openclaw/image.ts';
import { networkOptions } from '../../../agent-worker/openclaw/network.ts';

const run = promisify(execFile);

/** `docker run` flags for the options Docker's API is given; throws on one it has no flag for here, so nothing is dropped unseen. */
export function dockerRunArgs(opts: Dockerode.ContainerCreateOptions): string[] {
  const h = opts.HostConfig ?? {};
  const args = ['run', '--detach', '--name', opts.name!, '--user', opts.User!];
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

/** The gateway of `spec` as a bare run makes it: the agent's options, the configuration read from the image. */
export function bareGatewayArgs(spec: InstanceSpec): string[] {
  const opts = gatewayContainer(spec, crypto.randomBytes(32).toString('base64url'));
  opts.Env = (opts.Env ?? []).map((e) => (e.startsWith('OPENCLAW_CONFIG_PATH=') ? `OPENCLAW_CONFIG_PATH=${GATEWAY_CONFIG_PATH}` : e));
  return dockerRunArgs(opts);
}

export class DockerCli {
  private readonly socketPath: string;
  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  async run(args: string[]): Promise<string> {
    const { stdout } = await run('docker', ['--host', `unix://${this.socketPath}`, ...args], { encoding: 'utf8' });
    return stdout.trim();
  }

  /** `docker network create` then `docker run` of the gateway; resolves with the container id. */
  async networkAndRun(spec: InstanceSpec): Promise<string> {
    await this.run(dockerNetworkArgs(spec));
    return this.run(bareGatewayArgs(spec));
  }

  async remove(spec: InstanceSpec, containerId: string): Promise<void> {
    await this.run(['rm', '--force', containerId]);
    await this.run(['volume', 'rm', ...Object.values(volumeNames(spec.instanceId))]);
    await this.run(['network', 'rm', networkName(spec)]);
  }
}
