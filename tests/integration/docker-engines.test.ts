// Two private Docker engines on one machine (as the multi-node tests run two agents): separate sockets,
// data roots and containerd namespaces, and each engine's inventory shows only its own containers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildNodeImage } from '../../agent-worker/docker/images.ts';
import { listContainers } from '../../agent-worker/docker/inventory.ts';
import { UserFacingError } from '../../infra/progress.ts';
import { findDockerEngine, startDockerEngine, type RunningDockerEngine } from '../../infra/services/docker-engine.ts';

const TAG = 'aw-test-node:engines';
const IDLE = ['node', '-e', 'setInterval(() => {}, 1000)'];
let dir: string;
let a: RunningDockerEngine | undefined;
let b: RunningDockerEngine | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-engines-'));
  const started = await Promise.allSettled([
    startDockerEngine({ dir: path.join(dir, 'a'), name: 'engine-a' }),
    startDockerEngine({ dir: path.join(dir, 'b'), name: 'engine-b' }),
  ]);
  [a, b] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  await Promise.all([buildNodeImage(a!.docker, { tag: TAG }), buildNodeImage(b!.docker, { tag: TAG })]);
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function runOn(engine: RunningDockerEngine, name: string) {
  const container = await engine.docker.createContainer({ name, Image: TAG, Cmd: IDLE, HostConfig: { NetworkMode: 'host' } });
  await container.start();
  return container.id;
}

describe('two private Docker engines', () => {
  it('run side by side with their own sockets, data roots and processes', async () => {
    expect(a!.socketPath).not.toBe(b!.socketPath);
    expect(a!.dataRoot).not.toBe(b!.dataRoot);
    expect(a!.pid).not.toBe(b!.pid);
    for (const engine of [a!, b!]) {
      expect(engine.socketPath.length).toBeLessThan(100);
      const info = await engine.docker.info() as { DockerRootDir: string };
      expect(info.DockerRootDir).toBe(engine.dataRoot);
    }
  });

  it('each lists only its own containers', async () => {
    const onA = await runOn(a!, 'only-on-a');
    const onB = await runOn(b!, 'only-on-b');
    // The same name on both engines is two different containers.
    const sameA = await runOn(a!, 'same-name');
    const sameB = await runOn(b!, 'same-name');

    const [inventoryA, inventoryB] = await Promise.all([listContainers(a!.docker), listContainers(b!.docker)]);
    expect(inventoryA.map((c) => [c.name, c.id, c.state])).toEqual([['only-on-a', onA, 'running'], ['same-name', sameA, 'running']]);
    expect(inventoryB.map((c) => [c.name, c.id, c.state])).toEqual([['only-on-b', onB, 'running'], ['same-name', sameB, 'running']]);
    expect(sameA).not.toBe(sameB);

    // Acting on one engine leaves the other alone.
    await a!.docker.getContainer(sameA).stop({ t: 0 });
    expect((await listContainers(b!.docker)).find((c) => c.id === sameB)!.state).toBe('running');
    await expect(b!.docker.getContainer(onA).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('are found through DOCKER_HOST', async () => {
    const found = await findDockerEngine({ DOCKER_HOST: `unix://${b!.socketPath}` });
    expect(found?.socketPath).toBe(b!.socketPath);
    const missing = await findDockerEngine({ DOCKER_HOST: `unix://${path.join(dir, 'no-such.sock')}` });
    expect(missing?.socketPath).not.toBe(path.join(dir, 'no-such.sock'));
  });

  it('refuse a second engine on the same folder', async () => {
    const second = startDockerEngine({ dir: path.join(dir, 'a'), name: 'engine-a' });
    await expect(second).rejects.toBeInstanceOf(UserFacingError);
    await expect(second).rejects.toThrow(/already runs/);
  });

  it('stop cleanly: containers removed, dockerd gone, exec root cleaned', async () => {
    const engine = b!;
    await engine.stop();
    expect(() => process.kill(engine.pid, 0)).toThrow();
    expect(fs.existsSync(engine.execRoot)).toBe(false);
    // Its containers were removed before dockerd stopped: the data root holds none.
    expect(fs.readdirSync(path.join(engine.dataRoot, 'containers'))).toEqual([]);
    await engine.stop(); // a second stop is harmless
  });
});
