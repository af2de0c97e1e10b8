// How a managed OpenClaw instance runs on a node: upstream's two containers of the bundle image (the
// gateway, and the `openclaw-cli` helper in the gateway's network namespace), two volumes, its own
// Docker network, and the hardening: every capability dropped, no-new-privileges, a read-only root file
// system, memory, PID and CPU limits, the image's unprivileged user. The gateway is an AI runtime that
// runs tools, so it never shares the node's network: in its own namespace it cannot reach the node's
// 127.0.0.1 (the control plane's services, other gateways' published ports), and its port is published
// on the node's 127.0.0.1 only (ADR 0010). Labels name the instance and the job, so a retried deployment
// finds its earlier work instead of repeating it.
import type Dockerode from 'dockerode';
import { stateVolumeOf } from '../../protocol/node-actions.ts';
import { IMAGE_USER } from '../docker/images.ts';
import { bundleVersion, GATEWAY_ENV, gatewayCommand, OPENCLAW_BUNDLE } from './bundle.ts';
import { MANAGED_CONFIG_PATH } from './gateway-config.ts';

export const LABELS = {
  instance: 'works.anthropy.instance',
  instanceName: 'works.anthropy.instance.name',
  role: 'works.anthropy.role',
  job: 'works.anthropy.job',
  bundleVersion: 'works.anthropy.bundle.version',
} as const;

export type InstanceRole = 'gateway' | 'cli';

export interface InstanceSpec {
  instanceId: string;
  /** Validated by the control plane: lower-case letters, digits and hyphens. */
  instanceName: string;
  /** The deployment job that created the containers. */
  jobId: string;
  port: number;
  /** The bundle version it runs (default: the newest offered). */
  bundleVersion?: string;
}

export const containerName = (spec: Pick<InstanceSpec, 'instanceName'>, role: InstanceRole) =>
  `${spec.instanceName}-${role === 'gateway' ? OPENCLAW_BUNDLE.containers.gateway : OPENCLAW_BUNDLE.containers.cli}`;

export const volumeNames = (instanceId: string) => ({ state: stateVolumeOf(instanceId), workspace: `aw-${instanceId}-workspace` });

/** The instance's own network (a user-defined bridge), named after it as its containers are. */
export const networkName = (spec: Pick<InstanceSpec, 'instanceName'>) => `${spec.instanceName}-openclaw`;

/** The gateway's port is published on the node's loopback only. */
export const PUBLISHED_ON = '127.0.0.1';

const labelsFor = (spec: InstanceSpec, role: InstanceRole): Record<string, string> => ({
  [LABELS.instance]: spec.instanceId,
  [LABELS.instanceName]: spec.instanceName,
  [LABELS.role]: role,
  [LABELS.job]: spec.jobId,
  [LABELS.bundleVersion]: bundleVersion(spec.bundleVersion).version,
});

function hardenedHostConfig(spec: InstanceSpec, networkMode: string): Dockerode.HostConfig {
  const volumes = volumeNames(spec.instanceId);
  return {
    NetworkMode: networkMode,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges:true'],
    ReadonlyRootfs: true,
    // Scratch space the gateway writes besides its state volume: lost on restart, as it should be.
    Tmpfs: {
      '/tmp': 'rw,nosuid,nodev,size=256m',
      [`${IMAGE_USER.home}/.cache`]: `rw,nosuid,nodev,size=256m,uid=${IMAGE_USER.uid},gid=${IMAGE_USER.gid},mode=0700`,
    },
    Memory: OPENCLAW_BUNDLE.limits.memoryBytes,
    PidsLimit: OPENCLAW_BUNDLE.limits.pids,
    NanoCpus: OPENCLAW_BUNDLE.limits.nanoCpus,
    Mounts: [
      { Type: 'volume', Source: volumes.state, Target: OPENCLAW_BUNDLE.stateDir },
      { Type: 'volume', Source: volumes.workspace, Target: OPENCLAW_BUNDLE.workspaceDir },
    ],
    RestartPolicy: { Name: 'unless-stopped' },
    LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
  };
}

/**
 * What both containers share: no self-update, and the configuration in the state volume (the image's
 * copy is read-only), so that a tool policy can be applied to it (tool-policy.ts).
 */
const managedEnv = () => [...Object.entries(GATEWAY_ENV).map(([k, v]) => `${k}=${v}`), `OPENCLAW_CONFIG_PATH=${MANAGED_CONFIG_PATH}`];

/**
 * The gateway: on the instance's own network, listening on all addresses of its own namespace, on the
 * same port inside as on the node (so the helper's `openclaw gateway health --port` and the agent's
 * probes name one port). The token comes from the agent on the machine and stays there (the
 * container's environment); it is never sent to the control plane.
 */
export function gatewayContainer(spec: InstanceSpec, token: string): Dockerode.ContainerCreateOptions {
  const port = `${spec.port}/tcp`;
  return {
    name: containerName(spec, 'gateway'),
    Image: bundleVersion(spec.bundleVersion).image,
    Cmd: gatewayCommand(spec.port, 'lan'),
    User: `${IMAGE_USER.uid}:${IMAGE_USER.gid}`,
    Env: [`OPENCLAW_GATEWAY_TOKEN=${token}`, ...managedEnv()],
    Labels: labelsFor(spec, 'gateway'),
    ExposedPorts: { [port]: {} },
    HostConfig: {
      ...hardenedHostConfig(spec, networkName(spec)),
      PortBindings: { [port]: [{ HostIp: PUBLISHED_ON, HostPort: String(spec.port) }] },
    },
  };
}

/** The helper: same image and volumes, in the gateway's network namespace, idle until someone execs the CLI. */
export function cliContainer(spec: InstanceSpec, gatewayId: string, token: string): Dockerode.ContainerCreateOptions {
  return {
    name: containerName(spec, 'cli'),
    Image: bundleVersion(spec.bundleVersion).image,
    Entrypoint: ['node', '-e', 'setInterval(() => {}, 1 << 30)'],
    Cmd: [],
    User: `${IMAGE_USER.uid}:${IMAGE_USER.gid}`,
    Env: [`OPENCLAW_GATEWAY_TOKEN=${token}`, `OPENCLAW_GATEWAY_PORT=${spec.port}`, ...managedEnv()],
    Labels: labelsFor(spec, 'cli'),
    HostConfig: hardenedHostConfig(spec, `container:${gatewayId}`),
  };
}
