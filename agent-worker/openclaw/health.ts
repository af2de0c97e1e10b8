// An instance's health as the operator needs it: each container's state and Docker health separately
// (the helper can be down while the gateway serves), the gateway's own /healthz and /readyz answers,
// and `openclaw gateway health` run inside the helper, as upstream's CLI checks a gateway. A restart
// reports how long the gateway did not answer.
import type Dockerode from 'dockerode';
import type { ContainerHealth, InstanceHealth, InstanceRef } from '../../protocol/node-actions.ts';
import { demultiplex } from '../docker/streams.ts';
import { OPENCLAW_BUNDLE, OPENCLAW_ENTRYPOINT } from './bundle.ts';
import { LABELS } from './containers.ts';
import { removeInstanceNetworks } from './network.ts';
import type { Progress, StepProgress } from '../../protocol/step-progress.ts';

// The shapes are the node-action catalogue's; re-exported for the console's job result view.
export type { InstanceHealth } from '../../protocol/node-actions.ts';

const MISSING: ContainerHealth = { id: null, state: 'missing', health: null };

const inspectIfThere = (docker: Dockerode, id: string | undefined) =>
  id
    ? docker
        .getContainer(id)
        .inspect()
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode === 404) return undefined;
          throw err;
        })
    : Promise.resolve(undefined);

const asHealth = (found: Dockerode.ContainerInspectInfo | undefined): ContainerHealth =>
  found ? { id: found.Id, state: found.State.Status, health: found.State.Health?.Status ?? null } : MISSING;

/**
 * The helper joins the gateway's network namespace when it starts, and each start of a gateway with a
 * network of its own makes a new one: a helper running since before the gateway's latest start is left
 * in the old namespace, where nothing answers. (A gateway on the host's network, as an adopted one may
 * be, has the one namespace of the machine.)
 */
const helperIsStale = (gateway: Dockerode.ContainerInspectInfo | undefined, cli: Dockerode.ContainerInspectInfo | undefined) =>
  Boolean(gateway?.State.Running && cli?.State.Running && gateway.HostConfig.NetworkMode !== 'host' && Date.parse(cli.State.StartedAt) < Date.parse(gateway.State.StartedAt));

/** Restarts the helper when it is in an earlier namespace of the gateway (after the gateway restarted or started again). */
export async function rejoinHelper(docker: Dockerode, ref: Pick<InstanceRef, 'gatewayId' | 'cliId'>): Promise<void> {
  const [gateway, cli] = await Promise.all([inspectIfThere(docker, ref.gatewayId), inspectIfThere(docker, ref.cliId)]);
  // The helper idles (and, as PID 1 without a handler, ignores SIGTERM): nothing to wait for, so no grace period.
  if (helperIsStale(gateway, cli)) await docker.getContainer(cli!.Id).restart({ t: 0 });
}

const STALE_HELPER = 'the helper is in the network namespace of an earlier start of the gateway: restart the gateway (its helper follows)';

async function probe(url: string): Promise<{ ok: boolean; body: unknown } | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    let body: unknown = text.slice(0, 2000);
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { ok: res.ok, body };
  } catch {
    return null;
  }
}

/** Runs `cmd` in a container (with `env` on top of the container's); resolves with its exit code and (demultiplexed) output. */
export async function execIn(docker: Dockerode, containerId: string, cmd: string[], timeoutMs = 30_000, env?: string[]): Promise<{ exitCode: number | null; output: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(env ? { Env: env } : {}) });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`${cmd.join(' ').slice(0, 60)} took longer than ${timeoutMs / 1000} s`));
    }, timeoutMs);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  const output = (await demultiplex(docker, Buffer.concat(chunks))).map((f) => f.text).join('');
  return { exitCode: (await exec.inspect()).ExitCode, output };
}

/**
 * Whether the gateway answers /healthz on its default port, asked from inside a container of its network
 * namespace (for gateways without a network the agent could reach: the bundle check's, a test's).
 */
export async function answersHealthzInside(docker: Dockerode, containerId: string): Promise<boolean> {
  const ask = `fetch('http://127.0.0.1:${OPENCLAW_BUNDLE.gatewayPort}/healthz').then((r) => r.text()).then((t) => console.log(t), () => process.exit(1))`;
  const probe = await execIn(docker, containerId, ['node', '-e', ask]).catch(() => ({ exitCode: 1, output: '' }));
  return probe.exitCode === 0 && probe.output.includes('"ok":true');
}

export async function instanceHealth(docker: Dockerode, ref: InstanceRef): Promise<InstanceHealth> {
  const port = ref.port;
  const [gatewayInfo, cliInfo] = await Promise.all([inspectIfThere(docker, ref.gatewayId), inspectIfThere(docker, ref.cliId)]);
  const [gateway, cli] = [asHealth(gatewayInfo), asHealth(cliInfo)];
  const running = gateway.state === 'running';
  // The gateway's port as published on the machine's 127.0.0.1 (through Docker's proxy), as an operator on the machine reaches it.
  const [healthz, readyz] = running ? await Promise.all([probe(`http://127.0.0.1:${port}/healthz`), probe(`http://127.0.0.1:${port}/readyz`)]) : [null, null];
  let cliCheck: InstanceHealth['cliCheck'] = null;
  if (helperIsStale(gatewayInfo, cliInfo)) {
    cliCheck = { ok: false, output: STALE_HELPER };
  } else if (running && cli.state === 'running' && healthz?.ok) {
    // The helper has the token in its environment; the CLI reads it from there, so it is not in argv.
    const res = await execIn(docker, cli.id!, [...OPENCLAW_ENTRYPOINT, 'gateway', 'health', '--port', String(port)]).catch((err: Error) => ({ exitCode: -1, output: err.message }));
    cliCheck = { ok: res.exitCode === 0, output: res.output.trim().slice(-500) };
  }
  return { gateway, cli, healthz, readyz, cliCheck, healthy: Boolean(healthz?.ok && readyz?.ok && cliCheck?.ok) };
}

/** A wait's progress: the seconds gone of the time it may take, and what it waits for at this attempt. */
export function waitingFor(what: string, attempt: number, startedAt: number, timeoutMs: number): StepProgress {
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  return { step: 'waiting for health', message: `attempt ${attempt}: ${what}`, done: seconds, total: Math.round(timeoutMs / 1000), unit: 'seconds' };
}

const checkMark = (ok: boolean | undefined) => (ok ? 'answered' : 'not yet');

/**
 * How often the wait asks /healthz and /readyz: two small HTTP requests to the node's loopback. The
 * gateway answers within a pass of starting to, instead of up to a second later.
 */
export const HTTP_POLL_MS = 150;
/** How often the wait reads the containers' states (to fail at once on a gateway that exited) and reports progress. */
const STATE_EVERY_MS = 1000;
/**
 * A gateway that Docker restarted this many times during one wait is crash-looping (its restart policy
 * brings it back each time): the wait fails then, naming its exit code, instead of waiting out its timeout.
 * A healthy gateway never exits while starting; its own config reloads happen inside the process.
 */
export const CRASH_LOOP_RESTARTS = 3;
/** How long after a failed `openclaw gateway health` the wait runs it again (the HTTP polls go on meanwhile). */
const CLI_RETRY_MS = 1000;

/** Where the warm-up's CLI connects: nothing listens on port 1 in the gateway's namespace, so it is refused at once. */
const WARM_UP_PORT = 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the health check's CLI once in the helper while the gateway is still starting, and ignores what it
 * says. Each `openclaw gateway health` is a fresh Node process; the first in a helper (new, or restarted
 * into the gateway's new namespace: its /tmp is a tmpfs) compiles the CLI's modules and leaves them in
 * Node's compile cache there, so the real check, once /readyz answers, takes about a second instead of
 * three to seven. It costs the helper's own CPU (its own limit), next to the gateway's start. It asks a
 * port where nothing listens, so the starting gateway gets no connection from it: the only CLI run the
 * gateway sees is the real check, once /readyz answers.
 */
function warmHealthCli(docker: Dockerode, cliId: string): Promise<void> {
  return execIn(docker, cliId, [...OPENCLAW_ENTRYPOINT, 'gateway', 'health', '--port', String(WARM_UP_PORT), '--timeout', '1000'], 20_000).then(
    () => undefined,
    () => undefined,
  );
}

/** Where a wait for health got to, in seconds after it began (absent: not reached). */
export interface HealthWaitTimings {
  /** A restart's: when `docker restart` returned, and when the helper was back in the gateway's namespace. */
  restarted?: number;
  helperRejoined?: number;
  healthz?: number;
  readyz?: number;
  /** When the passing `openclaw gateway health` began and how long it took. */
  cliStarted?: number;
  cliSeconds?: number;
}

/**
 * Polls until the instance is healthy or `timeoutMs` passes; reports which checks pass so far, and the
 * time gone. Healthy means what `instanceHealth` says: /healthz, /readyz and `openclaw gateway health`
 * all succeed. The HTTP answers are asked for every HTTP_POLL_MS; the CLI (a Node process of its own,
 * seconds of CPU) runs only once both answer, so it is not spent on a gateway that is still starting.
 */
export async function waitHealthy(
  docker: Dockerode,
  ref: InstanceRef,
  opts: { timeoutMs: number; progress?: Progress; startedAt?: number; timings?: HealthWaitTimings },
): Promise<InstanceHealth & { seconds: number; timings: HealthWaitTimings }> {
  const started = opts.startedAt ?? Date.now();
  const since = (at: number) => Math.round((at - started) / 100) / 10;
  const timings: HealthWaitTimings = { ...opts.timings };
  let warm: Promise<void> | undefined;
  let stateReadAt = 0;
  let cliNotBefore = 0;
  // A progress report's attempt: one per look at the containers (a second apart), not per HTTP poll.
  let attempt = 0;
  let restartsBefore: number | undefined;
  for (;;) {
    const [healthz, readyz] = await Promise.all([probe(`http://127.0.0.1:${ref.port}/healthz`), probe(`http://127.0.0.1:${ref.port}/readyz`)]);
    if (healthz?.ok) timings.healthz ??= since(Date.now());
    if (healthz?.ok && readyz?.ok) timings.readyz ??= since(Date.now());
    let health: InstanceHealth | undefined;
    if (healthz?.ok && readyz?.ok && Date.now() >= cliNotBefore) {
      await warm;
      const cliStarted = Date.now();
      // The full check, CLI included; it asks /healthz and /readyz again, so all three agree at its end.
      health = await instanceHealth(docker, ref);
      if (health.cliCheck) Object.assign(timings, { cliStarted: since(cliStarted), cliSeconds: since(Date.now()) - since(cliStarted) });
      if (health.healthy) return { ...health, seconds: since(Date.now()), timings };
      // Seconds of CPU each: a failing check is not run again at the HTTP polls' pace.
      cliNotBefore = Date.now() + CLI_RETRY_MS;
    }
    if (health || Date.now() - stateReadAt >= STATE_EVERY_MS) {
      stateReadAt = Date.now();
      if (!health) {
        const [gatewayInfo, cliInfo] = await Promise.all([inspectIfThere(docker, ref.gatewayId), inspectIfThere(docker, ref.cliId)]);
        health = { gateway: asHealth(gatewayInfo), cli: asHealth(cliInfo), healthz, readyz, cliCheck: null, healthy: false };
        const restarts = gatewayInfo?.RestartCount ?? 0;
        restartsBefore ??= restarts;
        if (restarts - restartsBefore >= CRASH_LOOP_RESTARTS) {
          throw new Error(`the gateway exited ${restarts - restartsBefore} times while starting (last exit code ${gatewayInfo?.State.ExitCode ?? 'unknown'})`);
        }
      }
      if (health.gateway.state !== 'running' && health.gateway.state !== 'restarting' && health.gateway.state !== 'created') {
        throw new Error(`the gateway container is ${health.gateway.state}`);
      }
      if (Date.now() - started > opts.timeoutMs) {
        const what = !health.healthz?.ok ? '/healthz' : !health.readyz?.ok ? '/readyz' : `openclaw gateway health (${health.cliCheck?.output ?? 'not run'})`;
        throw new Error(`the gateway was not healthy within ${opts.timeoutMs / 1000} s: ${what} did not succeed`);
      }
      // Not answering yet on the first look: warm the helper's CLI meanwhile (once, in a helper of the gateway's namespace).
      if (!warm && !healthz?.ok && health.cli.state === 'running' && ref.cliId) warm = warmHealthCli(docker, ref.cliId);
      const checks = `/healthz ${checkMark(health.healthz?.ok)}, /readyz ${checkMark(health.readyz?.ok)}, openclaw gateway health ${checkMark(health.cliCheck?.ok)}`;
      opts.progress?.(waitingFor(checks, ++attempt, started, opts.timeoutMs));
    }
    await sleep(HTTP_POLL_MS);
  }
}

/** Restarts the gateway container (and its helper, into the new namespace) and waits until it is healthy again; reports the downtime. */
export async function restartGateway(
  docker: Dockerode,
  ref: InstanceRef,
  opts: { timeoutMs: number; progress?: Progress },
): Promise<InstanceHealth & { seconds: number; downtimeSeconds: number; timings: HealthWaitTimings }> {
  const started = Date.now();
  opts.progress?.({ step: 'restarting the gateway' });
  const since = () => Math.round((Date.now() - started) / 100) / 10;
  await docker.getContainer(ref.gatewayId).restart({ t: 10 });
  const restarted = since();
  await rejoinHelper(docker, ref);
  // One wait from the restart on: its first /healthz answer is the end of the downtime.
  const health = await waitHealthy(docker, ref, { ...opts, startedAt: started, timings: { restarted, helperRejoined: since() } });
  return { ...health, downtimeSeconds: health.timings.healthz ?? health.seconds };
}

/** Stops both containers (the helper first); already stopped ones are left as they are. */
export async function stopInstance(docker: Dockerode, ref: InstanceRef): Promise<InstanceHealth> {
  for (const id of [ref.cliId, ref.gatewayId]) {
    if (!id) continue;
    await docker
      .getContainer(id)
      .stop({ t: 10 })
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304 && err.statusCode !== 404) throw err;
      });
  }
  return instanceHealth(docker, ref);
}

/** Starts both containers (the gateway first: the helper joins its network) and waits until healthy. */
export async function startInstance(docker: Dockerode, ref: InstanceRef, opts: { timeoutMs: number; progress?: Progress }): Promise<InstanceHealth & { seconds: number }> {
  for (const id of [ref.gatewayId, ref.cliId]) {
    if (!id) continue;
    await docker
      .getContainer(id)
      .start()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 304) throw err;
      });
  }
  await rejoinHelper(docker, ref);
  return waitHealthy(docker, ref, opts);
}

/**
 * Removes both containers; their volumes (state and workspace) only when asked; and the instance's own
 * network, which is labelled as ours for that instance (an adopted instance's networks are not, and stay).
 */
export async function removeInstance(
  docker: Dockerode,
  ref: InstanceRef,
  opts: { removeVolumes: boolean },
): Promise<{ removed: string[]; volumesRemoved: string[]; networksRemoved: string[] }> {
  const removed: string[] = [];
  const volumes = new Set<string>();
  /** Network name → the instance whose own it must be to go. */
  const networks = new Map<string, string>();
  for (const id of [ref.cliId, ref.gatewayId]) {
    if (!id) continue;
    const info = await inspectIfThere(docker, id);
    if (!info) continue;
    for (const m of info.Mounts ?? []) if (m.Type === 'volume' && m.Name) volumes.add(m.Name);
    const instanceId = info.Config.Labels?.[LABELS.instance];
    if (instanceId) for (const name of Object.keys(info.NetworkSettings?.Networks ?? {})) networks.set(name, instanceId);
    await docker.getContainer(id).remove({ force: true });
    removed.push(id);
  }
  const volumesRemoved: string[] = [];
  if (opts.removeVolumes) {
    for (const name of volumes) {
      await docker
        .getVolume(name)
        .remove()
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404) throw err;
        });
      volumesRemoved.push(name);
    }
  }
  return { removed, volumesRemoved, networksRemoved: await removeInstanceNetworks(docker, networks) };
}
