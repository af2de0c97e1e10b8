// Docker engines. `findDockerEngine` finds the machine's own engine (DOCKER_HOST when it is a unix socket,
// else /var/run/docker.sock) when one answers. `startDockerEngine` starts a private `dockerd` for tests and
// for machines without a running engine: its own data root, exec root, socket, pid file, configuration and
// containerd namespace, no default bridge and no iptables rules (containers use host networking, none, or
// a user-defined bridge network, such as a managed gateway's own), so that several engines can run side by
// side on one machine without seeing each other's containers. Docker gives each new network an address
// range no route of the machine uses yet, so the networks of two engines do not overlap. An engine
// left running by a process that died (a crash of `npm start`, a killed test) is taken over when it
// answers, else stopped and cleaned up, so that a crash needs no hand work before the next start.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { cmdlineOf, descendantsOf, findProcesses, flagValue, isAlive, killAll, livePidRecord, readPid, terminate, writePidRecord } from '../pids.ts';
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
  /** Whether this is an engine that an earlier process started and left running, taken over. */
  reused: boolean;
  /** Set when this start recovered from an earlier one that crashed: what it did, as a sentence for the user. */
  recovered?: string;
  /**
   * Stops dockerd (SIGTERM, then SIGKILL) and cleans the exec root; first removes every container of the
   * engine and the networks they leave unused, unless it was started with `keepContainers` (then they stop
   * with it and their restart policy brings them back with the next start).
   */
  stop(): Promise<void>;
}

export interface FoundDockerEngine {
  socketPath: string;
  docker: Dockerode;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true when the engine behind `docker` answers a ping within `timeoutMs`. */
export async function pingDocker(docker: Dockerode, timeoutMs = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      docker.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
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
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 20) || 'engine';
  const hash = crypto.createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 8);
  return path.join('/tmp', `awd-${slug}-${hash}`);
}

/** Lazily unmounts whatever is still mounted below `root`, and `root` too when told (left by a daemon that did not stop cleanly). */
export function unmountBelow(root: string, opts: { itself?: boolean } = {}): void {
  let mountInfo: string;
  try {
    mountInfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  // The kernel lists mounts by real path (a data root may be a symbolic link).
  let real = path.resolve(root);
  try {
    real = fs.realpathSync(real);
  } catch {
    /* not there: nothing can be mounted below it */
  }
  const prefix = `${real}/`;
  const points = mountInfo
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p): p is string => !!p && (p.startsWith(prefix) || (!!opts.itself && p === real)))
    .sort((a, b) => b.length - a.length);
  for (const point of points) spawnSync('umount', ['-l', point], { stdio: 'ignore' });
}

/** The last messages of dockerd's log (its `msg="…"` text when it has one), for an error sentence. */
function lastLogMessages(logFile: string, count = 2): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean);
    return lines
      .slice(-count)
      .map((line) => /msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line)
      .join(' | ')
      .slice(0, 400);
  } catch {
    return '';
  }
}

/** Where an engine keeps its files: its folder (data root, pid file, log, configuration) and a short exec root. */
function engineFiles(dir: string, name: string) {
  const execRoot = engineExecRoot(name, dir);
  return {
    dir,
    dataRoot: path.join(dir, 'data'),
    pidFile: path.join(dir, 'docker.pid'),
    // The process that started (or took over) the engine: while it runs, the engine is in use.
    ownerFile: path.join(dir, 'owner.pid'),
    logFile: path.join(dir, 'dockerd.log'),
    configFile: path.join(dir, 'daemon.json'),
    execRoot,
    socketPath: path.join(execRoot, 'docker.sock'),
    containerdPidFile: path.join(execRoot, 'containerd', 'containerd.pid'),
    namespace: path.basename(execRoot),
  };
}
type EngineFiles = ReturnType<typeof engineFiles>;

/**
 * Unmounts what a dockerd that did not stop cleanly left mounted: below its exec root and data root, and
 * the data root itself when dockerd bind-mounted it onto itself to make it a shared mount (its marker
 * `unmount-on-shutdown` says so; a clean shutdown unmounts it, and a later dockerd, finding it shared
 * already, would leave it mounted for good).
 */
function unmountLeftovers(files: EngineFiles): void {
  unmountBelow(files.execRoot);
  unmountBelow(files.dataRoot, { itself: fs.existsSync(path.join(files.execRoot, 'unmount-on-shutdown')) });
}

/** The pid its pid file names, when that process is a dockerd started with this engine's data root, exec root and pid file. */
function runningDockerd(files: EngineFiles): number | undefined {
  const pid = readPid(files.pidFile);
  if (!pid || !isAlive(pid)) return undefined;
  const cmdline = cmdlineOf(pid);
  const ours =
    path.basename(cmdline[0] ?? '') === 'dockerd' &&
    flagValue(cmdline, '--data-root') === files.dataRoot &&
    flagValue(cmdline, '--exec-root') === files.execRoot &&
    flagValue(cmdline, '--pidfile') === files.pidFile;
  return ours ? pid : undefined;
}

/**
 * What a killed dockerd leaves running: its containerd (started with a config in the exec root), the
 * containerd shims (their -address is there) and, below the shims, the containers' processes, which would
 * hold their ports (host networking) against the containers the next engine starts. Returns how many.
 */
async function killEngineLeftovers(execRoot: string): Promise<number> {
  // containerd processes only: an agent still pointed at the dead engine's socket is not the engine's.
  const leftovers = findProcesses((cmdline) => path.basename(cmdline[0] ?? '').startsWith('containerd') && cmdline.some((arg) => arg === execRoot || arg.includes(`${execRoot}/`)));
  const all = [...leftovers, ...descendantsOf(leftovers)];
  await killAll(all);
  return all.length;
}

export async function startDockerEngine(opts: { dir: string; name: string; timeoutMs?: number; keepContainers?: boolean }): Promise<RunningDockerEngine> {
  const dockerd = dockerdPath();
  if (!dockerd) {
    throw new UserFacingError(
      "Docker's engine (dockerd) is not installed: install it as root with `apt-get install -y docker.io` (`npm start` and `npm test` do so when run as root).",
    );
  }
  if (os.userInfo().uid !== 0) {
    throw new UserFacingError(`A private Docker engine needs root to start ${dockerd}: run as root, or start Docker yourself and set DOCKER_HOST=unix:///path/to/docker.sock.`);
  }
  const files = engineFiles(path.resolve(opts.dir), opts.name);
  const { dir, dataRoot, pidFile, ownerFile, logFile, configFile, execRoot, socketPath, namespace } = files;
  const docker = new Dockerode({ socketPath });

  // An engine of this folder that still runs: in use while the process that started it runs; else the
  // leftover of a crash, taken over when it answers and replaced when it does not.
  let recovered: string | undefined;
  const previous = runningDockerd(files);
  if (previous) {
    const owner = livePidRecord(ownerFile);
    if (owner)
      throw new UserFacingError(`A Docker engine already runs for ${dir} (pid ${previous}, started by pid ${owner}, which still runs); stop it first, or use another folder.`);
    if (await pingDocker(docker)) {
      writePidRecord(ownerFile, process.pid);
      return engineHandle(files, opts, { pid: previous, docker, recovered: `Reusing the private Docker engine "${opts.name}" an earlier start left running (pid ${previous})` });
    }
    await terminate(previous, 20_000);
    recovered = `Stopped the private Docker engine "${opts.name}" an earlier start left running (pid ${previous}): it no longer answered`;
  }
  const killed = await killEngineLeftovers(execRoot);
  if (!recovered && (killed || fs.existsSync(pidFile))) {
    recovered = `Cleaned up after the private Docker engine "${opts.name}", which did not stop (${killed ? `${killed} leftover processes` : 'a stale pid file'})`;
  }
  // Leftovers of an engine that did not stop cleanly would confuse the new one.
  unmountLeftovers(files);
  fs.rmSync(execRoot, { recursive: true, force: true });
  fs.rmSync(pidFile, { force: true });
  fs.mkdirSync(dataRoot, { recursive: true, mode: 0o711 });
  fs.mkdirSync(execRoot, { recursive: true, mode: 0o700 });
  // Our own (empty) configuration, so a machine's /etc/docker/daemon.json cannot contradict these flags.
  fs.writeFileSync(configFile, '{}\n');

  const args = [
    '--config-file',
    configFile,
    '--data-root',
    dataRoot,
    '--exec-root',
    execRoot,
    '--pidfile',
    pidFile,
    '--host',
    `unix://${socketPath}`,
    '--bridge=none',
    '--iptables=false',
    '--ip6tables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    // Separate containerd namespaces, should dockerd attach to a system containerd instead of its own.
    '--containerd-namespace',
    namespace,
    '--containerd-plugins-namespace',
    `${namespace}-plugins`,
    '--log-level',
    'warn',
  ];
  const log = fs.openSync(logFile, 'a');
  const child = spawn(dockerd, args, { stdio: ['ignore', log, log], detached: true });
  fs.closeSync(log);
  let exitCode: number | string | null = null;
  child.on('exit', (code, signal) => {
    exitCode = code ?? signal ?? -1;
  });
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error | undefined>((resolve) => {
      child.once('error', resolve);
      setTimeout(resolve, 1000);
    });
    throw new UserFacingError(`Could not run ${dockerd} (${error?.message ?? 'no process'}); see ${logFile}.`);
  }
  child.on('error', () => {
    /* a failed kill: the exit (or its absence) tells */
  });
  writePidRecord(ownerFile, process.pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const engine = engineHandle(files, opts, {
    pid,
    docker,
    recovered,
    stopDockerd: async () => {
      if (exitCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.kill('SIGTERM');
      await exited; // reaped: the pid is gone for good
      clearTimeout(timer);
    },
  });

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let ready = false;
  while (!ready && exitCode === null && Date.now() < deadline) {
    if (fs.existsSync(socketPath)) ready = await pingDocker(docker, 2000);
    if (!ready) await sleep(150);
  }
  if (!ready) {
    const why = exitCode !== null ? `it exited (${exitCode})` : `it did not answer within ${(opts.timeoutMs ?? 60_000) / 1000} s`;
    await engine.stop({ keepContainers: true });
    const tail = lastLogMessages(logFile);
    throw new UserFacingError(`The private Docker engine "${opts.name}" did not start: ${why}${tail ? `: ${tail}` : ''}; see ${logFile}.`);
  }
  return engine;
}

/**
 * The running engine: `stopDockerd` stops the dockerd this process started; one taken over from an
 * earlier start is stopped by pid.
 */
function engineHandle(
  files: EngineFiles,
  opts: { name: string; keepContainers?: boolean },
  running: { pid: number; docker: Dockerode; recovered?: string; stopDockerd?: () => Promise<void> },
): RunningDockerEngine & { stop(how?: { keepContainers?: boolean }): Promise<void> } {
  const { pid, docker } = running;
  const { dataRoot, execRoot } = files;
  let containerdPid: number | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (how: { keepContainers?: boolean } = {}) => {
    stopping ??= (async () => {
      containerdPid ??= readPid(files.containerdPidFile);
      if (isAlive(pid) && !(how.keepContainers ?? opts.keepContainers)) {
        const removeAll = async () => {
          const containers = await docker.listContainers({ all: true });
          await Promise.all(
            containers.map((c) =>
              docker
                .getContainer(c.Id)
                .remove({ force: true, v: true })
                .catch(() => {}),
            ),
          );
          // Their networks too: a network's bridge stays on the machine after dockerd stops.
          await docker.pruneNetworks();
        };
        let timer: NodeJS.Timeout | undefined;
        // An engine that no longer answers is simply stopped.
        await Promise.race([
          removeAll().catch(() => {}),
          new Promise((resolve) => {
            timer = setTimeout(resolve, 30_000);
          }),
        ]);
        clearTimeout(timer);
      }
      await (running.stopDockerd ?? (() => terminate(pid, 20_000)))();
      // dockerd stops its own containerd; make sure, if dockerd had to be killed.
      if (containerdPid && cmdlineOf(containerdPid).some((arg) => arg.includes(execRoot))) await terminate(containerdPid, 10_000);
      unmountLeftovers(files);
      fs.rmSync(execRoot, { recursive: true, force: true });
      if (livePidRecord(files.ownerFile) === process.pid) fs.rmSync(files.ownerFile, { force: true });
    })();
    return stopping;
  };
  return {
    name: opts.name,
    socketPath: files.socketPath,
    docker,
    pid,
    dataRoot,
    execRoot,
    logFile: files.logFile,
    reused: !running.stopDockerd,
    recovered: running.recovered,
    stop,
  };
}
