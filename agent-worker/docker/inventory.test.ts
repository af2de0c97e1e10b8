// The container inventory against a real Docker engine (a private dockerd this file starts): every
// container with its state and labels, never an environment value or a command-line secret, and a digest
// that moves only when something real changes. Also the locally built Node image it runs them from, and
// the progress its build reports (the context's bytes, then the Dockerfile's steps).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { startDockerEngine, type RunningDockerEngine } from '../../infra/services/docker-engine.ts';
import type { StepProgress } from '../../protocol/step-progress.ts';
import { buildNodeImage, CONTENT_LABEL } from './images.ts';
import { inventoryDigest, listContainers } from './inventory.ts';

const TAG = 'aw-test-node:inventory';
const ENV_SECRET = 'sk-test-secret-value';
const CLI_SECRET = 'sk-cli-secret';
const LABEL_SECRET = 'label-secret-4711';
const LONG_PATH = `/opt/${'deep/'.repeat(24)}file.txt`; // longer than the 100 bytes a plain tar header holds
const IDLE = 'setInterval(() => {}, 1000)';

let dir: string;
let engine: RunningDockerEngine | undefined;
let docker: Dockerode;
let imageId: string;
/** What the first build reported as it went (ADR 0022). */
const built: StepProgress[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-inventory-'));
  engine = await startDockerEngine({ dir, name: 'inventory' });
  docker = engine.docker;
  imageId = await buildNodeImage(docker, { tag: TAG, extraFiles: [{ path: LONG_PATH, content: 'deep content\n' }], progress: (p) => built.push(p) });
}, 180_000);

afterAll(async () => {
  await engine?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function run(name: string, opts: { cmd: string[]; env?: string[]; labels?: Record<string, string>; tty?: boolean }) {
  const container = await docker.createContainer({
    name,
    Image: TAG,
    Cmd: opts.cmd,
    Env: opts.env,
    Labels: opts.labels,
    Tty: opts.tty ?? false,
    HostConfig: { NetworkMode: 'host' },
  });
  await container.start();
  return container;
}

describe('buildNodeImage', () => {
  it('reports its progress while it builds: the build context’s bytes sent of its size, then the Dockerfile’s steps', () => {
    const bytes = built.filter((p) => p.unit === 'bytes');
    expect(bytes.length).toBeGreaterThan(1);
    const size = bytes[0]!.total!;
    expect(size).toBeGreaterThan(50_000_000); // the Node binary is most of it
    for (const p of bytes) expect(p).toMatchObject({ step: `building ${TAG}`, message: 'sending the build context to Docker', total: size, done: expect.any(Number) });
    expect(bytes.map((p) => p.done)).toEqual(bytes.map((p) => p.done).sort((a, b) => a! - b!));
    expect(bytes.at(-1)!.done).toBe(size);
    const steps = built.filter((p) => p.unit === 'steps');
    expect(steps[0]).toMatchObject({ step: `building ${TAG}`, message: 'Dockerfile step 1 of 9: FROM scratch', done: 0, total: 9 });
    expect(steps.at(-1)).toMatchObject({ done: 8, total: 9 });
    expect(built.indexOf(steps[0]!)).toBeGreaterThan(built.indexOf(bytes.at(-1)!)); // the context first
  });

  it('builds once: the same content gives the same image without a rebuild', async () => {
    const started = Date.now();
    const again: StepProgress[] = [];
    expect(await buildNodeImage(docker, { tag: TAG, extraFiles: [{ path: LONG_PATH, content: 'deep content\n' }], progress: (p) => again.push(p) })).toBe(imageId);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(again).toEqual([]); // nothing built, nothing to report
    const image = await docker.getImage(TAG).inspect();
    expect(image.Config.Labels?.[CONTENT_LABEL]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('runs Node 24 as the unprivileged user 10001, with a writable /tmp and the extra files', async () => {
    const container = await run('image-check', {
      tty: true,
      cmd: [
        'node',
        '-e',
        `const fs = require('fs'); fs.writeFileSync('/tmp/probe', 'x');
        console.log('REPORT ' + JSON.stringify({ v: process.version, uid: process.getuid(), home: require('os').userInfo().homedir,
          deep: fs.readFileSync(${JSON.stringify(LONG_PATH)}, 'utf8') }))`,
      ],
    });
    await container.wait();
    const out = String(await container.logs({ stdout: true, stderr: true }));
    const line = /REPORT (\{.*\})/.exec(out)?.[1];
    if (!line) throw new Error(`the container printed no report: ${out}`);
    const report = JSON.parse(line) as { v: string; uid: number; home: string; deep: string };
    expect(report.v).toMatch(/^v24\./);
    expect(report.uid).toBe(10001);
    expect(report.home).toBe('/home/node');
    expect(report.deep).toBe('deep content\n');
    await container.remove({ force: true });
  });
});

describe('listContainers', () => {
  let runningId: string;
  let exitedId: string;
  let createdId: string;

  beforeAll(async () => {
    const running = await run('inv-running', {
      cmd: ['node', '-e', IDLE, '--', '--token', CLI_SECRET],
      env: [`OPENAI_API_KEY=${ENV_SECRET}`],
      labels: { 'works.anthropy.test': 'inventory', 'example.api-token': LABEL_SECRET },
    });
    runningId = running.id;
    const exited = await run('inv-exited', { cmd: ['node', '-e', 'process.exit(3)'], labels: { 'works.anthropy.test': 'exited' } });
    await exited.wait();
    exitedId = exited.id;
    const created = await docker.createContainer({ name: 'inv-created', Image: TAG, Cmd: ['node', '-e', IDLE], HostConfig: { NetworkMode: 'none' } });
    createdId = created.id;
  }, 60_000);

  it('lists every container with name, image, state, labels and start time', async () => {
    const inventory = await listContainers(docker);
    const running = inventory.find((c) => c.id === runningId);
    expect(running).toMatchObject({
      name: 'inv-running',
      image: TAG,
      imageId,
      state: 'running',
      health: null,
      networkMode: 'host',
      ports: [],
      labels: expect.objectContaining({ 'works.anthropy.test': 'inventory' }),
    });
    expect(running!.status).toMatch(/^Up /);
    expect(Date.parse(running!.started!)).toBeGreaterThan(Date.parse(running!.created) - 1000);
    expect(Math.abs(Date.parse(running!.started!) - Date.now())).toBeLessThan(120_000);

    expect(inventory.find((c) => c.id === exitedId)).toMatchObject({ name: 'inv-exited', state: 'exited', labels: { 'works.anthropy.test': 'exited' } });
    expect(inventory.find((c) => c.id === exitedId)!.status).toMatch(/^Exited \(3\)/);
    expect(inventory.find((c) => c.id === createdId)).toMatchObject({ name: 'inv-created', state: 'created', started: null, networkMode: 'none' });
  });

  it('never collects environment values or command-line secrets; secret-looking label values are redacted', async () => {
    const text = JSON.stringify(await listContainers(docker));
    expect(text).toContain('inv-running');
    for (const secret of [ENV_SECRET, CLI_SECRET, 'OPENAI_API_KEY', LABEL_SECRET, IDLE]) expect(text).not.toContain(secret);
    const running = (await listContainers(docker)).find((c) => c.id === runningId)!;
    expect(running.labels['example.api-token']).toBe('[REDACTED]');
    expect(Object.keys(running)).not.toEqual(expect.arrayContaining(['env', 'command', 'args']));
  });

  it('has a digest that is stable while nothing changes and moves when a container changes state', async () => {
    const first = inventoryDigest(await listContainers(docker));
    await new Promise((r) => setTimeout(r, 1100)); // "Up 2 seconds" becomes "Up 3 seconds": not a change
    const again = await listContainers(docker);
    expect(inventoryDigest(again)).toBe(first);
    expect(inventoryDigest([...again].reverse())).toBe(first);

    await docker.getContainer(runningId).stop({ t: 0 });
    const stopped = await listContainers(docker);
    expect(stopped.find((c) => c.id === runningId)!.state).toBe('exited');
    const afterStop = inventoryDigest(stopped);
    expect(afterStop).not.toBe(first);

    await docker.getContainer(runningId).start();
    const afterRestart = inventoryDigest(await listContainers(docker));
    expect(afterRestart).not.toBe(afterStop);
    expect(afterRestart).not.toBe(first); // same state as at first, but a new start time

    await docker.getContainer(createdId).remove({ force: true });
    expect(inventoryDigest(await listContainers(docker))).not.toBe(afterRestart);
  });
});
