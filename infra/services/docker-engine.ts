// Docker engines. `findDockerEngine` finds the machine's own engine (DOCKER_HOST when it is a unix socket,
// else /var/run/docker.sock) when one answers. `startDockerEngine` starts a private `dockerd` for tests and
// for machines without a running engine: its own data root, exec root, socket, pid file, configuration and
// containerd namespace, no bridge and no iptables rules (containers use host networking or none), so that
// several engines can run side by side on one machine without seeing each other's containers.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { UserFacingError } from '../progress.ts';
import { dockerdPath } from '../toolchain/system-packages.ts';

export interface RunningDockerEngine {
  name: string;
  socketPath: string;
  docker: Dockerode;
  pid: number;
  dataRoot: string;
  execRoot: string;
  logFile: string;
  /**
   * Stops dockerd (SIGTERM, then SIGKILL) and cleans the exec root; first removes every container of the
   * engine, unless it was started with `keepContainers` (then they stop with it and their restart policy
   * brings them back with the next start).
   */
  stop(): Promise<void>;
}

export interface FoundDockerEngine { socketPath: string; docker: Dockerode }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true when the engine behind `docker` answers a ping within `timeoutMs`. */
export async function pingDocker(docker: Dockerode, timeoutMs = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      docker.ping().then(() => true, () => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The machine's own Docker engine, when one answers: DOCKER_HOST (unix:// only), else /var/run/docker.sock. */
export async function findDockerEngine(env: NodeJS.ProcessEnv = process.env): Promise<FoundDockerEngine | undefined> {
  const candidates: string[] = [];
  const host = env.DOCKER_HOST?.trim();
  if (host?.startsWith('unix://')) candidates.push(host.slice('unix://'.length));
  candidates.push('/var/run/docker.sock');
  for (const socketPath of [...new Set(candidates)]) {
    if (!fs.existsSync(socketPath)) continue;
    const docker = new Dockerode({ socketPath });
    if (await pingDocker(docker)) return { socketPath, docker };
  }
  return undefined;
}

/** A short exec root under /tmp for an engine: unix socket paths must stay under ~100 characters. */
export function engineExecRoot(name: string, dir: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 20) || 'engine';
  const hash = crypto.createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 8);
  return path.join('/tmp', `awd-${slug}-${hash}`);
}

// A zombie (exited, not yet reaped by its parent) counts as gone.
const isAlive = (pid: number) => {
  try { process.kill(pid, 0); } catch { return false; }
  try { return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
};
const readPid = (file: string): number | undefined => {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch { return undefined; }
};
const cmdlineOf = (pid: number) => {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { return []; }
};

/** Lazily unmounts whatever is still mounted below `root` (left by a daemon that did not stop cleanly). */
export function unmountBelow(root: string): void {
  let mountInfo: string;
  try { mountInfo = fs.readFileSync('/proc/self/mountinfo', 'utf8'); } catch { return; }
  const prefix = `${path.resolve(root)}/`;
  const points = mountInfo.split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p): p is string => !!p && p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const point of points) spawnSync('umount', ['-l', point], { stdio: 'ignore' });
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Stops a process this module started (by pid): SIGTERM, then SIGKILL after `timeoutMs`. */
async function terminate(pid: number, timeoutMs: number): Promise<void> {
  if (!isAlive(pid)) return;
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  if (await waitForExit(pid, timeoutMs)) return;
  try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  await waitForExit(pid, 5000);
}

/** The last messages of dockerd's log (its `msg="…"` text when it has one), for an error sentence. */
function lastLogMessages(logFile: string, count = 2): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean);
    return lines.slice(-count).map((line) => /msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line).join(' | ').slice(0, 400);
  } catch { return ''; }
}

export async function startDockerEngine(opts: { dir: string; name: string; timeoutMs?: number; keepContainers?: boolean }): Promise<RunningDockerEngine> {
  const dockerd = dockerdPath();
  if (!dockerd) {
    throw new UserFacingError('Docker\'s engine (dockerd) is not installed: install docker.io (sudo apt-get install -y docker.io; `npm test` installs it when run as root).');
  }
  if (os.userInfo().uid !== 0) {
    throw new UserFacingError(`A private Docker engine needs root to start ${dockerd}: run as root, or start Docker yourself and set DOCKER_HOST=unix:///path/to/docker.sock.`);
  }
  const dir = path.resolve(opts.dir);
  const dataRoot = path.join(dir, 'data');
  const pidFile = path.join(dir, 'docker.pid');
  const logFile = path.join(dir, 'dockerd.log');
  const configFile = path.join(dir, 'daemon.json');
  const execRoot = engineExecRoot(opts.name, dir);
  const socketPath = path.join(execRoot, 'docker.sock');
  const namespace = path.basename(execRoot);

  const previous = readPid(pidFile);
  if (previous && isAlive(previous) && cmdlineOf(previous).some((arg) => arg.includes('dockerd'))) {
    throw new UserFacingError(`A Docker engine already runs for ${dir} (pid ${previous}); stop it first, or use another folder.`);
  }
  // Leftovers of an engine that did not stop cleanly would confuse the new one.
  unmountBelow(execRoot);
  fs.rmSync(execRoot, { recursive: true, force: true });
  fs.rmSync(pidFile, { force: true });
  fs.mkdirSync(dataRoot, { recursive: true, mode: 0o711 });
  fs.mkdirSync(execRoot, { recursive: true, mode: 0o700 });
  // Our own (empty) configuration, so a machine's /etc/docker/daemon.json cannot contradict these flags.
  fs.writeFileSync(configFile, '{}\n');

  const args = [
    '--config-file', configFile,
    '--data-root', dataRoot,
    '--exec-root', execRoot,
    '--pidfile', pidFile,
    '--host', `unix://${socketPath}`,
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
    // Separate containerd namespaces, should dockerd attach to a system containerd instead of its own.
    '--containerd-namespace', namespace, '--containerd-plugins-namespace', `${namespace}-plugins`,
    '--log-level', 'warn',
  ];
  const log = fs.openSync(logFile, 'a');
  const child = spawn(dockerd, args, { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  let exitCode: number | string | null = null;
  child.on('exit', (code, signal) => { exitCode = code ?? signal ?? -1; });
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error | undefined>((resolve) => { child.once('error', resolve); setTimeout(resolve, 1000); });
    throw new UserFacingError(`Could not run ${dockerd} (${error?.message ?? 'no process'}); see ${logFile}.`);
  }
  child.on('error', () => { /* a failed kill: the exit (or its absence) tells */ });
  const docker = new Dockerode({ socketPath });

  const containerdPidFile = path.join(execRoot, 'containerd', 'containerd.pid');
  let containerdPid: number | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopDockerd = async () => {
    if (exitCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.kill('SIGTERM');
    await exited; // reaped: the pid is gone for good
    clearTimeout(timer);
  };
  const cleanUp = async () => {
    containerdPid ??= readPid(containerdPidFile);
    await stopDockerd();
    // dockerd stops its own containerd; make sure, if dockerd had to be killed.
    if (containerdPid && cmdlineOf(containerdPid).some((arg) => arg.includes(execRoot))) await terminate(containerdPid, 10_000);
    unmountBelow(execRoot);
    unmountBelow(dataRoot);
    fs.rmSync(execRoot, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let ready = false;
  while (!ready && exitCode === null && Date.now() < deadline) {
    if (fs.existsSync(socketPath)) ready = await pingDocker(docker, 2000);
    if (!ready) await sleep(150);
  }
  if (!ready) {
    const why = exitCode !== null ? `it exited (${exitCode})` : `it did not answer within ${(opts.timeoutMs ?? 60_000) / 1000} s`;
    await cleanUp();
    const tail = lastLogMessages(logFile);
    throw new UserFacingError(`The private Docker engine "${opts.name}" did not start: ${why}${tail ? `: ${tail}` : ''}; see ${logFile}.`);
  }
  containerdPid = readPid(containerdPidFile);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (exitCode === null && !opts.keepContainers) {
        const removeAll = async () => {
          const containers = await docker.listContainers({ all: true });
          await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})));
        };
        let timer: NodeJS.Timeout | undefined;
        // An engine that no longer answers is simply stopped.
        await Promise.race([removeAll().catch(() => {}), new Promise((resolve) => { timer = setTimeout(resolve, 30_000); })]);
        clearTimeout(timer);
      }
      await cleanUp();
    })();
    return stopping;
  };

  return { name: opts.name, socketPath, docker, pid, dataRoot, execRoot, logFile, stop };
}
