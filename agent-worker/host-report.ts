// What the agent tells the control plane about its machine on each heartbeat.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Dockerode from 'dockerode';
import type { HeartbeatReport } from '../protocol/heartbeat.ts';
import { discoverOpenClawOnEngine } from './docker/discovery.ts';
import { inventoryDigest, listContainers, type ContainerRecord } from './docker/inventory.ts';
import { instanceConfigReports } from './openclaw/config-report.ts';

export const AGENT_VERSION = (JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as { version: string }).version;

/** The report as the API checks it (protocol/heartbeat.ts); the agent's records carry a few more fields, which the API ignores. */
export type HostReport = HeartbeatReport;

/** The report; the container list is included only when `includeContainers(digest)` says so. */
export async function hostReport(docker: Dockerode | null, includeContainers: (digest: string) => boolean): Promise<HostReport> {
  const cpus = os.cpus();
  let dockerVersion: string | null = null;
  let containers: ContainerRecord[] | null = null;
  if (docker) {
    try {
      dockerVersion = (await docker.version()).Version;
      containers = await listContainers(docker);
    } catch {
      dockerVersion = null; // Docker went away: report it as unreachable, keep beating
    }
  }
  const digest = containers ? inventoryDigest(containers) : null;
  const send = Boolean(containers && digest && includeContainers(digest));
  // Discovery reads container commands, which stay on this machine; only its verdicts are reported.
  const discovered = send && docker ? (await discoverOpenClawOnEngine(docker, containers!).catch(() => null))?.instances : undefined;
  // On every beat, changed inventory or not: a hand-edited configuration changes no container.
  const instanceConfigs = docker && containers ? await instanceConfigReports(docker, containers) : [];
  return {
    agentVersion: AGENT_VERSION,
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    cpu: { count: cpus.length || 1, model: cpus[0]?.model, loadAverage: os.loadavg() },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    dockerVersion,
    inventoryDigest: digest,
    ...(send ? { containers: containers!, ...(discovered ? { discovered } : {}) } : {}),
    ...(instanceConfigs.length ? { instanceConfigs } : {}),
  };
}
