// What the heartbeat says about each managed gateway's configuration (protocol/heartbeat.ts
// InstanceConfigReport): read on every beat, so that a hand edit of the file turns the instance drifted
// on the control plane within one beat. Only gateways of our deployments are known here, by their
// labels; the hash covers the whole `tools` section, secrets included (a changed key is a change), while
// the section itself is reported with secret-looking values redacted.
import type Dockerode from 'dockerode';
import { redact } from '../../infra/redact.ts';
import { canonicalJson } from '../../protocol/canonical-json.ts';
import type { ContainerRecord, InstanceConfigReport } from '../../protocol/heartbeat.ts';
import { toolsConfigHash, toolsSection, unreadableConfigHash } from '../../protocol/tool-policy.ts';
import { LABELS } from './containers.ts';
import { configPathOf, parseConfig, readFileFrom } from './gateway-config.ts';

/** A `tools` section larger than this is reported by its hash alone. */
const MAX_REPORTED_BYTES = 32 * 1024;

async function reportOne(docker: Dockerode, gatewayId: string, instanceId: string): Promise<InstanceConfigReport | undefined> {
  const readAt = new Date().toISOString();
  const info = await docker.getContainer(gatewayId).inspect();
  const file = parseConfig(await readFileFrom(docker, gatewayId, configPathOf(info)));
  if (file.config === null) return { instanceId, gatewayId, hash: unreadableConfigHash(file.raw), tools: null, readAt };
  const tools = toolsSection(file.config);
  return { instanceId, gatewayId, hash: toolsConfigHash(file.config), tools: canonicalJson(tools).length > MAX_REPORTED_BYTES ? null : redact(tools), readAt };
}

/** The configuration report of every gateway among `containers` that one of our deployments made. */
export async function instanceConfigReports(docker: Dockerode, containers: Pick<ContainerRecord, 'id' | 'labels'>[]): Promise<InstanceConfigReport[]> {
  const gateways = containers.filter((c) => c.labels[LABELS.role] === 'gateway' && /^[0-9a-f-]{36}$/.test(c.labels[LABELS.instance] ?? ''));
  const reports = await Promise.all(
    // A container removed between the list and the read, or an engine hiccup, costs its entry this beat only.
    gateways.map((c) => reportOne(docker, c.id, c.labels[LABELS.instance]!).catch(() => undefined)),
  );
  return reports.filter((r): r is InstanceConfigReport => r !== undefined);
}
