// Deploying a managed OpenClaw instance on a real Docker engine with the real bundle image: preflight,
// the hardened pair of containers, a gateway that answers /healthz, /readyz and `openclaw gateway
// health`, a deploy that is safe to repeat (again, or twice at once, it never makes a second gateway),
// and gateways isolated from the machine and from each other, each in its own network.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import os from 'node:os';
import { agentSettings } from '../settings.ts';
import { freePort } from '../../infra/ports.ts';
import type { RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import { startTestEngine } from '../../tests/jest/docker.ts';
import { cliContainer, gatewayContainer, LABELS, networkName, type InstanceSpec } from './containers.ts';
import { deploy, preflight } from './deploy.ts';
import { describeContainers } from './describe.ts';
import { execIn, instanceHealth, removeInstance, restartGateway, startInstance, waitHealthy } from './health.ts';
import { ensureInstanceNetwork, findNetwork } from './network.ts';
import { containerLogs } from './logs.ts';
import { OPENCLAW_BUNDLE } from './bundle.ts';

let engine: RunningDockerEngine;
const cacheDir = agentSettings().cacheDir;
const newSpec = async (instanceName: string): Promise<InstanceSpec> => ({ instanceId: crypto.randomUUID(), instanceName, jobId: crypto.randomUUID(), port: await freePort() });
const gatewaysOf = async (instanceId: string) => engine.docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${instanceId}`, `${LABELS.role}=gateway`] } });

/** Whether a TCP connection to host:port opens from inside `containerId`'s network namespace ('connected', or why not). */
async function connectFrom(containerId: string, host: string, port: number): Promise<string> {
  const script = `const s = require('node:net').connect(${port}, '${host}'); s.setTimeout(3000);
    s.on('connect', () => { console.log('connected'); s.destroy(); });
    s.on('timeout', () => { console.log('timed out'); s.destroy(); });
    s.on('error', (e) => console.log(e.code));`;
  return (await execIn(engine.docker, containerId, ['node', '-e', script])).output.trim();
}

/** Whether a TCP connection to host:port opens from this process (on the machine itself). */
const connectHere = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    const s = net.connect(port, host);
    s.setTimeout(3000, () => {
      s.destroy();
      resolve('timed out');
    });
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });

beforeAll(async () => {
  engine = await startTestEngine('openclaw-deploy');
}, 60_000);
afterAll(async () => {
  await engine?.stop();
});

describe('OpenClaw deployment on a node', () => {
  it('passes preflight on a free port and refuses a port in use, naming it', async () => {
    const spec = await newSpec('preflight');
    const checks = await preflight(engine.docker, spec, cacheDir);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(['docker', 'port', 'disk', 'image']);
    const busy = net.createServer().listen(spec.port, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    try {
      const refused = (await preflight(engine.docker, spec, cacheDir)).find((c) => c.name === 'port');
      expect(refused).toEqual({ name: 'port', ok: false, detail: `127.0.0.1:${spec.port} is already in use on the machine` });
    } finally {
      busy.close();
    }
  });

  it('runs a hardened gateway and helper that become healthy, a second deploy changes nothing, and a restart reports its downtime', async () => {
    const spec = await newSpec('acme-claw');
    const first = await deploy(engine.docker, spec, { cacheDir });
    expect(first.created).toEqual(['gateway', 'cli']);
    const ref = { gatewayId: first.containers[0]!.id, cliId: first.containers[1]!.id, port: spec.port };
    const health = await waitHealthy(engine.docker, ref, { timeoutMs: 120_000 });
    expect(health).toMatchObject({
      healthy: true,
      gateway: { state: 'running' },
      cli: { state: 'running' },
      healthz: { ok: true, body: { ok: true, status: 'live' } },
      readyz: { ok: true },
      cliCheck: { ok: true, output: expect.stringMatching(/OK/) },
    });

    const [gateway, cli] = await Promise.all(first.containers.map((c) => engine.docker.getContainer(c.id).inspect()));
    for (const c of [gateway!, cli!]) {
      expect(c.Config.User).toBe('10001:10001');
      expect(c.HostConfig).toMatchObject({
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges:true'],
        ReadonlyRootfs: true,
        Memory: 2 * 1024 ** 3,
        PidsLimit: 512,
        NanoCpus: 1e9,
      });
      expect(c.Config.Labels).toMatchObject({ [LABELS.instance]: spec.instanceId, [LABELS.job]: spec.jobId });
    }
    expect(gateway!.HostConfig.NetworkMode).toBe(networkName(spec));
    expect(gateway!.Config.Cmd).toEqual(['gateway', '--allow-unconfigured', '--port', String(spec.port), '--bind', 'lan']);
    expect(cli!.HostConfig.NetworkMode).toBe(`container:${gateway!.Id}`);
    // The token stays on the machine: nothing the agent returns carries it.
    const token = gateway!.Config.Env!.find((e) => e.startsWith('OPENCLAW_GATEWAY_TOKEN='))!.split('=')[1]!;
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(JSON.stringify([first, health])).not.toContain(token);

    const again = await deploy(engine.docker, spec, { cacheDir });
    expect(again.created).toEqual([]);
    expect(again.containers.map((c) => c.id)).toEqual(first.containers.map((c) => c.id));
    expect((await engine.docker.getContainer(gateway!.Id).inspect()).State.StartedAt).toBe(gateway!.State.StartedAt);

    // Its logs, from the machine: the gateway's own lines, and never its token.
    const logs = await containerLogs(engine.docker, gateway!.Id, { tail: 200 });
    expect(logs.lines.some((l) => l.text.includes('[gateway]'))).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(token);
    expect(logs.truncated).toBe(logs.lines.length === 200);
    // A tail smaller than the log: exactly that many lines, the newest, and it says older ones exist.
    const last2 = await containerLogs(engine.docker, gateway!.Id, { tail: 2 });
    expect(last2.lines).toHaveLength(2);
    expect(last2.truncated).toBe(true);
    expect(last2.lines[0]!.at >= logs.lines.at(-2)!.at).toBe(true); // the newest, not the oldest

    // A gateway restart: same container, a new start, healthy again, and the downtime measured.
    const restarted = await restartGateway(engine.docker, ref, { timeoutMs: 120_000 });
    expect(restarted).toMatchObject({ healthy: true, gateway: { id: gateway!.Id, state: 'running' } });
    expect(restarted.downtimeSeconds).toBeGreaterThan(0);
    expect((await engine.docker.getContainer(gateway!.Id).inspect()).State.StartedAt).not.toBe(gateway!.State.StartedAt);

    // The gateway restarted behind our back (as its restart policy does after a crash): its helper is left in
    // the gateway's old network namespace, which the health check says; starting the instance brings it along.
    await engine.docker.getContainer(gateway!.Id).restart({ t: 1 });
    expect(await instanceHealth(engine.docker, ref)).toMatchObject({ cliCheck: { ok: false, output: expect.stringMatching(/earlier start of the gateway/) }, healthy: false });
    expect(await startInstance(engine.docker, ref, { timeoutMs: 120_000 })).toMatchObject({ healthy: true, cliCheck: { ok: true } });

    // The helper down, the gateway still serving: reported separately.
    await engine.docker.getContainer(cli!.Id).stop({ t: 1 });
    const split = await instanceHealth(engine.docker, ref);
    expect(split).toMatchObject({ gateway: { state: 'running' }, cli: { state: 'exited' }, healthz: { ok: true }, cliCheck: null, healthy: false });
  }, 240_000);

  it('calls a gateway healthy only when /healthz, /readyz and `openclaw gateway health` all succeed, and spends no CLI run before /readyz answers', async () => {
    // A stand-in gateway in the hardened pair's place: /healthz answers, /readyz says 503 until told
    // otherwise, and anything else (the CLI's WebSocket) is counted and refused, as no real gateway would.
    const spec = await newSpec('half-ready');
    const server = `let ready = false, others = 0;
      require('node:http').createServer((req, res) => {
        if (req.url === '/healthz') return res.end('{"ok":true}');
        if (req.url === '/readyz') { res.statusCode = ready ? 200 : 503; return res.end(JSON.stringify({ ready })); }
        if (req.url === '/test/ready') { ready = true; return res.end('ok'); }
        if (req.url === '/test/others') return res.end(String(others));
        others++; res.statusCode = 500; res.end();
      }).on('upgrade', (req, socket) => { others++; socket.destroy(); }).listen(${spec.port}, '0.0.0.0');`;
    await ensureInstanceNetwork(engine.docker, spec, 'test');
    const gateway = await engine.docker.createContainer({ ...gatewayContainer(spec, 'token'), Entrypoint: ['node', '-e', server], Cmd: [] });
    await gateway.start();
    const cli = await engine.docker.createContainer(cliContainer(spec, gateway.id, 'token'));
    await cli.start();
    const ref = { gatewayId: gateway.id, cliId: cli.id, port: spec.port };
    const ask = async (p: string) => (await fetch(`http://127.0.0.1:${spec.port}${p}`)).text();
    try {
      await expect(waitHealthy(engine.docker, ref, { timeoutMs: 5000 })).rejects.toThrow('the gateway was not healthy within 5 s: /readyz did not succeed');
      expect(await ask('/test/others')).toBe('0');
      await ask('/test/ready');
      await expect(waitHealthy(engine.docker, ref, { timeoutMs: 8000 })).rejects.toThrow(/not healthy within 8 s: openclaw gateway health \([\s\S]+\) did not succeed/);
      expect(Number(await ask('/test/others'))).toBeGreaterThan(0);
    } finally {
      await removeInstance(engine.docker, ref, { removeVolumes: true });
    }
  }, 120_000);

  it('fails the wait at once on a gateway that crash-loops, naming its exit code, instead of waiting out the timeout', async () => {
    const spec = await newSpec('crash-loop');
    await ensureInstanceNetwork(engine.docker, spec, 'test');
    // The hardened gateway's own restart policy brings it back after each exit, as with a broken version.
    const gateway = await engine.docker.createContainer({ ...gatewayContainer(spec, 'token'), Entrypoint: ['node', '-e', 'process.exit(3)'], Cmd: [] });
    await gateway.start();
    const ref = { gatewayId: gateway.id, cliId: undefined, port: spec.port };
    const started = Date.now();
    try {
      await expect(waitHealthy(engine.docker, ref, { timeoutMs: 90_000 })).rejects.toThrow(/^the gateway exited [3-9] times while starting \(last exit code 3\)$/);
      expect(Date.now() - started).toBeLessThan(45_000);
    } finally {
      await removeInstance(engine.docker, ref, { removeVolumes: true });
    }
  }, 120_000);

  it("redacts a container's secrets from its logs before they leave the machine", async () => {
    const secret = crypto.randomUUID().replaceAll('-', '');
    const chatty = await engine.docker.createContainer({
      Image: OPENCLAW_BUNDLE.image,
      Env: [`OPENCLAW_GATEWAY_TOKEN=${secret}`],
      HostConfig: { NetworkMode: 'none' },
      Entrypoint: ['node', '-e', "console.log('starting with ' + process.env.OPENCLAW_GATEWAY_TOKEN); console.error('db password=hunter2hunter2 ok')"],
      Cmd: [],
    });
    await chatty.start();
    await chatty.wait();
    const { lines } = await containerLogs(engine.docker, chatty.id, { tail: 10 });
    // stdout and stderr are separate pipes: Docker may stamp the second line first, so order is not compared.
    expect(lines.map((l) => [l.stream, l.text]).sort()).toEqual([
      ['stderr', 'db password=[REDACTED] ok'],
      ['stdout', 'starting with [REDACTED]'],
    ]);
    await chatty.remove();
  });

  it("isolates each gateway in its own network: it reaches neither the machine's loopback nor another instance, and its port is on the machine's 127.0.0.1 only", async () => {
    // Standing in for the control plane's Temporal frontend (7233) on the machine's loopback.
    const temporal = net
      .createServer((socket) => {
        socket.on('error', () => {});
        socket.end('temporal\n');
      })
      .listen(0, '127.0.0.1');
    await new Promise((r) => temporal.once('listening', r));
    const hostPort = (temporal.address() as net.AddressInfo).port;
    try {
      const [a, b] = [await newSpec('iso-a'), await newSpec('iso-b')];
      const [deployedA, deployedB] = await Promise.all([deploy(engine.docker, a, { cacheDir }), deploy(engine.docker, b, { cacheDir })]);
      const refA = { gatewayId: deployedA.containers[0]!.id, cliId: deployedA.containers[1]!.id, port: a.port };
      const refB = { gatewayId: deployedB.containers[0]!.id, cliId: deployedB.containers[1]!.id, port: b.port };
      // The agent's probes reach both through the ports published on 127.0.0.1, and the helpers' CLI checks pass.
      await Promise.all([waitHealthy(engine.docker, refA, { timeoutMs: 120_000 }), waitHealthy(engine.docker, refB, { timeoutMs: 120_000 })]);

      const [gatewayA, cliA, gatewayB] = await Promise.all([refA.gatewayId, refA.cliId, refB.gatewayId].map((id) => engine.docker.getContainer(id).inspect()));
      // Its own network, no host networking; the helper in the gateway's namespace; a CPU quota.
      expect(gatewayA!.HostConfig.NetworkMode).toBe(networkName(a));
      expect(Object.keys(gatewayA!.NetworkSettings.Networks)).toEqual([networkName(a)]);
      expect(cliA!.HostConfig.NetworkMode).toBe(`container:${gatewayA!.Id}`);
      expect(gatewayA!.HostConfig.NanoCpus).toBe(1e9);
      expect(cliA!.HostConfig.NanoCpus).toBe(1e9);
      const networkA = (await engine.docker.getNetwork(networkName(a)).inspect()) as {
        Driver: string;
        Internal: boolean;
        Labels: Record<string, string>;
        Containers: Record<string, unknown>;
      };
      expect(networkA).toMatchObject({ Driver: 'bridge', Internal: false, Labels: { [LABELS.instance]: a.instanceId, [LABELS.instanceName]: 'iso-a' } });
      expect(Object.keys(networkA.Containers)).toEqual([gatewayA!.Id]);
      expect(gatewayA!.HostConfig.PortBindings).toEqual({ [`${a.port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(a.port) }] });
      // What a takeover would read about it.
      expect(await describeContainers(engine.docker, [refA.gatewayId])).toEqual([expect.objectContaining({ networkMode: networkName(a), port: a.port })]);

      // From the machine: the gateway's port on 127.0.0.1, and on no other address of the machine.
      expect(await connectHere('127.0.0.1', a.port)).toBe('connected');
      const elsewhere = Object.values(os.networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal);
      if (elsewhere) expect(await connectHere(elsewhere.address, a.port)).not.toBe('connected');

      // From inside gateway A's namespace: its own gateway, and nothing of the machine's or B's.
      const bridgeGateway = Object.values(gatewayA!.NetworkSettings.Networks)[0]!.Gateway;
      const addressB = Object.values(gatewayB!.NetworkSettings.Networks)[0]!.IPAddress;
      expect(await connectFrom(refA.cliId, '127.0.0.1', a.port)).toBe('connected');
      expect(await connectHere('127.0.0.1', hostPort)).toBe('connected');
      expect(await connectFrom(refA.cliId, '127.0.0.1', hostPort)).not.toBe('connected');
      expect(await connectFrom(refA.cliId, bridgeGateway, hostPort)).not.toBe('connected');
      expect(await connectFrom(refA.cliId, '127.0.0.1', b.port)).not.toBe('connected');
      expect(await connectFrom(refA.cliId, bridgeGateway, b.port)).not.toBe('connected');
      expect(await connectFrom(refA.cliId, addressB, b.port)).not.toBe('connected');
      expect(await connectHere('127.0.0.1', b.port)).toBe('connected'); // B serves: A just cannot reach it

      // Removing A takes its network with it, and leaves B's.
      expect(await removeInstance(engine.docker, refA, { removeVolumes: true })).toMatchObject({ networksRemoved: [networkName(a)] });
      expect(await findNetwork(engine.docker, networkName(a))).toBeUndefined();
      expect(await findNetwork(engine.docker, networkName(b))).toMatchObject({ Labels: { [LABELS.instance]: b.instanceId } });
      await removeInstance(engine.docker, refB, { removeVolumes: true });
    } finally {
      temporal.close();
    }
  }, 300_000);

  it('never makes two gateways, even when two deploys of one instance run at once', async () => {
    const spec = await newSpec('racing');
    const results = await Promise.all([deploy(engine.docker, spec, { cacheDir }), deploy(engine.docker, spec, { cacheDir })]);
    expect(await gatewaysOf(spec.instanceId)).toHaveLength(1);
    expect(results[0].containers[0]!.id).toBe(results[1].containers[0]!.id);
    expect(results.flatMap((r) => r.created).sort()).toEqual(['cli', 'gateway']);
  }, 120_000);
});
