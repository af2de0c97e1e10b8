// Two private Docker engines on one machine (as the multi-node tests run two agents): separate sockets,
// data roots and containerd namespaces, and each engine's inventory shows only its own containers. An
// engine outlives the process that started it when that process is killed: the next start takes it
// over, or cleans up after it when it was killed too.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildNodeImage } from '../../agent-worker/docker/images.ts';
import { listContainers } from '../../agent-worker/docker/inventory.ts';
import { cmdlineOf, descendantsOf, findProcesses, isAlive, killAll, readPid } from '../../infra/pids.ts';
import { UserFacingError } from '../../infra/progress.ts';
import { findDockerEngine, startDockerEngine, type RunningDockerEngine } from '../../infra/services/docker-engine.ts';

const TAG = 'aw-test-node:engines';
const IDLE = ['node', '-e', 'setInterval(() => {}, 1000)'];
let dir: string;
let a: RunningDockerEngine | undefined;
let b: RunningDockerEngine | undefined;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-engines-'));
  const started = await Promise.allSettled([startDockerEngine({ dir: path.join(dir, 'a'), name: 'engine-a' }), startDockerEngine({ dir: path.join(dir, 'b'), name: 'engine-b' })]);
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
      const info = (await engine.docker.info()) as { DockerRootDir: string };
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
    expect(inventoryA.map((c) => [c.name, c.id, c.state])).toEqual([
      ['only-on-a', onA, 'running'],
      ['same-name', sameA, 'running'],
    ]);
    expect(inventoryB.map((c) => [c.name, c.id, c.state])).toEqual([
      ['only-on-b', onB, 'running'],
      ['same-name', sameB, 'running'],
    ]);
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

  it("take over an engine whose starter was killed, and clean up after one killed too, its containers' processes included", async () => {
    const engineDir = path.join(dir, 'c');
    // A starter that is killed (as the OOM killer would kill `npm start`) once its engine answers.
    const starter = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '--input-type=module',
        '-e',
        `
      const { startDockerEngine } = await import(${JSON.stringify(path.resolve('infra/services/docker-engine.ts'))});
      await startDockerEngine({ dir: ${JSON.stringify(engineDir)}, name: 'engine-c' });
      console.log('ready');
      setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve, reject) => {
      starter.stdout!.once('data', resolve);
      starter.once('exit', reject);
    });
    const starterGone = new Promise((resolve) => starter.once('exit', resolve));
    starter.kill('SIGKILL');
    await starterGone;
    let c = await startDockerEngine({ dir: path.join(dir, 'c'), name: 'engine-c' });
    try {
      expect(c.reused).toBe(true);
      expect(c.recovered).toBe(`Reusing the private Docker engine "engine-c" an earlier start left running (pid ${c.pid})`);
      await buildNodeImage(c.docker, { tag: TAG });
      await runOn(c, 'survivor');

      // A power cut of the product: dockerd and its containerd; the shim and the container's process live on.
      const containerd = readPid(path.join(c.execRoot, 'containerd', 'containerd.pid'))!;
      await killAll([c.pid, containerd]);
      const shims = findProcesses((cmdline) => cmdline.some((arg) => arg.includes(c.execRoot)) && path.basename(cmdline[0] ?? '').startsWith('containerd-shim'));
      const containerProcesses = descendantsOf(shims);
      expect(containerProcesses.map((pid) => cmdlineOf(pid).join(' '))).toContainEqual(expect.stringContaining('setInterval'));
      c = await startDockerEngine({ dir: path.join(dir, 'c'), name: 'engine-c' });
      expect(c.reused).toBe(false);
      expect(c.recovered).toMatch(/^Cleaned up after the private Docker engine "engine-c", which did not stop \(\d+ leftover processes\)$/);
      for (const pid of [...shims, ...containerProcesses]) expect(isAlive(pid)).toBe(false);
      expect((await listContainers(c.docker)).map((container) => container.name)).toEqual(['survivor']); // its record, stopped
    } finally {
      await c.stop();
    }
    // Nothing stays mounted: not even the data root, which the killed dockerd had bind-mounted onto itself.
    expect(
      fs
        .readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((line) => line.includes(engineDir)),
    ).toEqual([]);
  }, 120_000);

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
