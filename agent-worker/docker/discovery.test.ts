// OpenClaw discovery: the heuristics as a pure function, then once against a real Docker engine (a private
// dockerd this file starts) with containers laid out like upstream's Compose file, proving that discovery
// groups gateway and helper and changes nothing on the machine.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDockerEngine, type RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { discoverOpenClaw, discoverOpenClawOnEngine, type DiscoveryContainer } from './discovery.ts';
import { buildNodeImage } from './images.ts';
import { inventoryDigest, listContainers } from './inventory.ts';

const GW_ID = 'a'.repeat(64);
const CLI_ID = 'b'.repeat(64);

function container(id: string, name: string, extra: Partial<DiscoveryContainer> = {}): DiscoveryContainer {
  return { id, name, image: 'example/app:1', labels: {}, ports: [], networkMode: 'default', ...extra };
}
const commands = (map: Record<string, string[]>) => (id: string) => map[id];
const compose = (project: string, service: string) => ({ 'com.docker.compose.project': project, 'com.docker.compose.service': service });

describe('discoverOpenClaw (pure)', () => {
  it('groups an upstream gateway and its CLI helper into one instance named after the Compose project', () => {
    const result = discoverOpenClaw(
      [
        container(GW_ID, 'myclaw-openclaw-gateway-1', {
          image: 'ghcr.io/openclaw/openclaw:latest',
          labels: compose('myclaw', 'openclaw-gateway'),
          ports: [{ privatePort: 18789, publicPort: 18789, type: 'tcp', ip: '127.0.0.1' }],
        }),
        container(CLI_ID, 'myclaw-openclaw-cli-1', {
          image: 'ghcr.io/openclaw/openclaw:latest',
          labels: compose('myclaw', 'openclaw-cli'),
          networkMode: `container:${GW_ID}`,
        }),
        container('c'.repeat(64), 'postgres', { image: 'postgres:16', ports: [{ privatePort: 5432, type: 'tcp' }] }),
      ],
      commands({
        [GW_ID]: ['tini', '--', 'node', 'openclaw.mjs', 'gateway', '--bind', 'lan', '--port', '18789'],
        [CLI_ID]: ['node', 'dist/index.js', 'devices', 'list', '--token', 'sk-secret-in-argv'],
      }),
    );
    expect(result.instances).toHaveLength(1);
    const [instance] = result.instances;
    expect(instance).toMatchObject({ name: 'myclaw', containerIds: [GW_ID, CLI_ID], gatewayContainerId: GW_ID });
    expect(instance!.confidence).toBeGreaterThan(0.9);
    expect(instance!.confidence).toBeLessThanOrEqual(1);
    expect(instance!.reasons).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Compose service "openclaw-gateway"'),
        expect.stringContaining('command runs "openclaw gateway"'),
        expect.stringContaining('publishes the gateway port 18789'),
        expect.stringContaining('"myclaw-openclaw-cli-1" shares the network namespace of "myclaw-openclaw-gateway-1"'),
      ]),
    );
    expect(result.containers.map((c) => [c.name, c.role])).toEqual([
      ['myclaw-openclaw-cli-1', 'cli'],
      ['myclaw-openclaw-gateway-1', 'gateway'],
    ]);
    expect(JSON.stringify(result)).not.toContain('sk-secret-in-argv');
  });

  it('finds a single gateway by image and command, named after its container', () => {
    const { containers, instances } = discoverOpenClaw(
      [container(GW_ID, 'claw', { image: 'openclaw:local', networkMode: 'host' })],
      commands({ [GW_ID]: ['openclaw', 'gateway', '--allow-unconfigured', '--token', 'tok-123'] }),
    );
    expect(instances).toEqual([expect.objectContaining({ name: 'claw', containerIds: [GW_ID], gatewayContainerId: GW_ID })]);
    expect(containers[0]).toMatchObject({ role: 'gateway', reasons: ['image "openclaw:local" names openclaw', 'command runs "openclaw gateway"'] });
    expect(containers[0]!.confidence).toBeCloseTo(0.91, 2);
    expect(JSON.stringify(instances)).not.toContain('tok-123');
  });

  it('recognises the upstream image entry point and upstream Compose labels on an otherwise unnamed image', () => {
    const { instances, containers } = discoverOpenClaw(
      [
        container(GW_ID, 'assistant', { image: 'registry.example/assistant:7', labels: compose('acme', 'openclaw-gateway') }),
        container(CLI_ID, 'helper', { image: 'registry.example/assistant:7', labels: compose('acme', 'openclaw-cli') }),
      ],
      commands({ [GW_ID]: ['node', 'dist/index.js', 'gateway', '--bind', 'lan'] }),
    );
    expect(instances).toHaveLength(1);
    expect(instances[0]).toMatchObject({ name: 'acme', containerIds: [GW_ID, CLI_ID], gatewayContainerId: GW_ID });
    expect(instances[0]!.reasons).toEqual(expect.arrayContaining(['same Compose project "acme"']));
    expect(containers.find((c) => c.id === GW_ID)!.reasons).toEqual(expect.arrayContaining([expect.stringContaining('dist/index.js gateway')]));
    expect(containers.find((c) => c.id === CLI_ID)!.confidence).toBeCloseTo(0.8, 2);
  });

  it('reads shell-form commands word by word', () => {
    const { containers } = discoverOpenClaw(
      [container(GW_ID, 'svc', { networkMode: 'host' })],
      commands({ [GW_ID]: ['/bin/sh', '-c', 'exec node /app/openclaw.mjs gateway --port 18789 --token sk-shell-secret'] }),
    );
    expect(containers).toEqual([expect.objectContaining({ role: 'gateway', reasons: ['command runs "openclaw gateway"', 'command sets --port 18789'] })]);
    expect(JSON.stringify(containers)).not.toContain('sk-shell-secret');
  });

  it('counts the gateway port alone as a weak match', () => {
    const published = discoverOpenClaw([container(GW_ID, 'web', { image: 'nginx:1', ports: [{ privatePort: 18789, publicPort: 8080, type: 'tcp' }] })], () => undefined);
    expect(published.containers).toEqual([expect.objectContaining({ confidence: 0.35, reasons: ['publishes the gateway port 18789'] })]);
    expect(published.instances[0]!.confidence).toBeLessThan(0.5);
    const flag = discoverOpenClaw([container(GW_ID, 'svc', { networkMode: 'host' })], commands({ [GW_ID]: ['/srv/app', '--port', '18789'] }));
    expect(flag.containers).toEqual([expect.objectContaining({ role: 'gateway', confidence: 0.35, reasons: ['command sets --port 18789'] })]);
  });

  it('matches labels and container names that name openclaw', () => {
    const { containers } = discoverOpenClaw(
      [container(GW_ID, 'tenant-a', { labels: { 'org.opencontainers.image.source': 'https://github.com/openclaw/openclaw' } }), container(CLI_ID, 'openclaw-sandbox', {})],
      () => undefined,
    );
    expect(containers.map((c) => [c.name, c.reasons])).toEqual([
      ['openclaw-sandbox', ['container name "openclaw-sandbox" names openclaw']],
      ['tenant-a', ['labels name openclaw (org.opencontainers.image.source)']],
    ]);
  });

  it("leaves unrelated containers alone, including one sharing an unrelated container's network", () => {
    const { containers, instances } = discoverOpenClaw(
      [
        container(GW_ID, 'postgres', { image: 'postgres:16', ports: [{ privatePort: 5432, publicPort: 5432, type: 'tcp' }] }),
        container(CLI_ID, 'sidecar', { image: 'busybox', networkMode: `container:${GW_ID}`, labels: compose('shop', 'proxy') }),
        container('d'.repeat(64), 'worker', { image: 'example/worker' }),
      ],
      commands({ [GW_ID]: ['postgres', '-c', 'port=5432'], [CLI_ID]: ['sh', '-c', 'gateway --port 8080'], ['d'.repeat(64)]: ['node', 'dist/index.js', 'queue'] }),
    );
    expect(containers).toEqual([]);
    expect(instances).toEqual([]);
  });

  it("resolves a helper's network reference by name or id prefix, and keeps two gateways of one project apart", () => {
    const gw2 = 'e'.repeat(64);
    const cli2 = 'f'.repeat(64);
    const { instances } = discoverOpenClaw(
      [
        container(GW_ID, 'gw-one', { image: 'openclaw:local', labels: compose('proj', 'openclaw-gateway') }),
        container(CLI_ID, 'cli-one', { image: 'openclaw:local', networkMode: 'container:gw-one' }),
        container(gw2, 'gw-two', { image: 'openclaw:local', labels: compose('proj', 'openclaw-gateway') }),
        container(cli2, 'cli-two', { image: 'openclaw:local', networkMode: `container:${gw2.slice(0, 12)}` }),
      ],
      () => undefined,
    );
    expect(instances.map((i) => [i.name, i.containerIds])).toEqual([
      ['proj', [GW_ID, CLI_ID]],
      ['proj-2', [gw2, cli2]],
    ]);
  });
});

describe('discoverOpenClawOnEngine (real engine)', () => {
  const TAG = 'aw-test-node:discovery';
  const IDLE = ['node', '-e', 'setInterval(() => {}, 1000)'];
  let dir: string;
  let engine: RunningDockerEngine | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-discovery-'));
    engine = await startDockerEngine({ dir, name: 'discovery' });
    await buildNodeImage(engine.docker, { tag: TAG });
  }, 180_000);

  afterAll(async () => {
    await engine?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("finds upstream's gateway + CLI layout as one instance and changes nothing", async () => {
    const docker = engine!.docker;
    const testStartMs = Date.now() - 1000;
    const gateway = await docker.createContainer({
      name: 'openclaw-gateway',
      Image: TAG,
      Cmd: [...IDLE, '--', '--token', 'sk-gateway-secret'],
      Env: ['OPENCLAW_GATEWAY_TOKEN=sk-env-secret'],
      Labels: compose('acme', 'openclaw-gateway'),
      HostConfig: { NetworkMode: 'host' },
    });
    await gateway.start();
    const cli = await docker.createContainer({
      name: 'openclaw-cli',
      Image: TAG,
      Cmd: IDLE,
      Labels: compose('acme', 'openclaw-cli'),
      HostConfig: { NetworkMode: `container:${gateway.id}` },
    });
    await cli.start();
    const other = await docker.createContainer({ name: 'unrelated', Image: TAG, Cmd: IDLE, HostConfig: { NetworkMode: 'none' } });
    await other.start();

    const before = await listContainers(docker);
    const sinceMs = Date.now();
    const result = await discoverOpenClawOnEngine(docker);
    const untilMs = Date.now() + 1;
    const after = await listContainers(docker);

    expect(result.instances).toHaveLength(1);
    expect(result.instances[0]).toMatchObject({ name: 'acme', containerIds: [gateway.id, cli.id], gatewayContainerId: gateway.id });
    expect(result.instances[0]!.confidence).toBeGreaterThan(0.8);
    expect(result.instances[0]!.reasons).toEqual(
      expect.arrayContaining(['openclaw-gateway: Compose service "openclaw-gateway" (upstream\'s name)', 'openclaw-cli: shares the network namespace of "openclaw-gateway"']),
    );
    expect(result.containers.map((c) => c.id)).not.toContain(other.id);
    const text = JSON.stringify(result);
    for (const secret of ['sk-gateway-secret', 'sk-env-secret', 'setInterval']) expect(text).not.toContain(secret);

    // Nothing changed: same containers, states and start times, and the engine logged no event at all.
    const essentials = (list: typeof before) => list.map((c) => ({ id: c.id, name: c.name, state: c.state, started: c.started }));
    expect(essentials(after)).toEqual(essentials(before));
    expect(inventoryDigest(after)).toBe(inventoryDigest(before));
    expect(after.filter((c) => c.state === 'running')).toHaveLength(3);
    let raw = '';
    for await (const chunk of await docker.getEvents({ since: testStartMs / 1000, until: untilMs / 1000 })) raw += String(chunk);
    const events = raw
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { Action: string; timeNano: number; Actor?: { ID?: string } });
    expect(events.filter((e) => e.Action === 'start').map((e) => e.Actor?.ID)).toEqual([gateway.id, cli.id, other.id]); // the query sees events
    expect(events.filter((e) => e.timeNano / 1e6 >= sinceMs).map((e) => e.Action)).toEqual([]);
  });
});
