// An instance's health as the operator needs it: each container's state and Docker health separately
// (the helper can be down while the gateway serves), the gateway's own /healthz and /readyz answers,
// and `openclaw gateway health` run inside the helper, as upstream's CLI checks a gateway.
import type Dockerode from 'dockerode';
import { OPENCLAW_ENTRYPOINT } from './bundle.ts';
import { LABELS, type InstanceRole } from './containers.ts';
import type { Progress } from './deploy.ts';

export interface ContainerHealth { id: string | null; state: string; health: string | null }
export interface InstanceHealth {
  gateway: ContainerHealth;
  cli: ContainerHealth;
  healthz: { ok: boolean; body: unknown } | null;
  readyz: { ok: boolean; body: unknown } | null;
  cliCheck: { ok: boolean; output: string } | null;
  healthy: boolean;
}

const MISSING: ContainerHealth = { id: null, state: 'missing', health: null };

async function containerHealth(docker: Dockerode, instanceId: string, role: InstanceRole): Promise<ContainerHealth> {
  const [found] = await docker.listContainers({ all: true, filters: { label: [`${LABELS.instance}=${instanceId}`, `${LABELS.role}=${role}`] } });
  if (!found) return MISSING;
  const state = (await docker.getContainer(found.Id).inspect()).State;
  return { id: found.Id, state: state.Status, health: state.Health?.Status ?? null };
}

async function probe(url: string): Promise<{ ok: boolean; body: unknown } | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    let body: unknown = text.slice(0, 2000);
    try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
    return { ok: res.ok, body };
  } catch {
    return null;
  }
}

/** Runs `cmd` in a container; resolves with its exit code and (demultiplexed) output. */
export async function execIn(docker: Dockerode, containerId: string, cmd: string[], timeoutMs = 30_000): Promise<{ exitCode: number | null; output: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { stream.destroy(); reject(new Error(`${cmd.join(' ').slice(0, 60)} took longer than ${timeoutMs / 1000} s`)); }, timeoutMs);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => { clearTimeout(timer); resolve(); });
    stream.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
  // Docker multiplexes stdout and stderr in 8-byte-header frames when there is no TTY.
  const raw = Buffer.concat(chunks);
  let output = '';
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    output += raw.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  return { exitCode: (await exec.inspect()).ExitCode, output };
}

export async function instanceHealth(docker: Dockerode, instanceId: string, port: number): Promise<InstanceHealth> {
  const [gateway, cli] = await Promise.all([containerHealth(docker, instanceId, 'gateway'), containerHealth(docker, instanceId, 'cli')]);
  const running = gateway.state === 'running';
  const [healthz, readyz] = running
    ? await Promise.all([probe(`http://127.0.0.1:${port}/healthz`), probe(`http://127.0.0.1:${port}/readyz`)])
    : [null, null];
  let cliCheck: InstanceHealth['cliCheck'] = null;
  if (running && cli.state === 'running' && healthz?.ok) {
    // The helper has the token in its environment; the CLI reads it from there, so it is not in argv.
    const res = await execIn(docker, cli.id!, [...OPENCLAW_ENTRYPOINT, 'gateway', 'health', '--port', String(port)])
      .catch((err: Error) => ({ exitCode: -1, output: err.message }));
    cliCheck = { ok: res.exitCode === 0, output: res.output.trim().slice(-500) };
  }
  return { gateway, cli, healthz, readyz, cliCheck, healthy: Boolean(healthz?.ok && readyz?.ok && cliCheck?.ok) };
}

/** Polls until the instance is healthy or `timeoutMs` passes; reports what it waits for. */
export async function waitHealthy(docker: Dockerode, instanceId: string, port: number, opts: { timeoutMs: number; progress?: Progress }): Promise<InstanceHealth & { seconds: number }> {
  const started = Date.now();
  for (;;) {
    const health = await instanceHealth(docker, instanceId, port);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    if (health.healthy) return { ...health, seconds };
    if (health.gateway.state !== 'running' && health.gateway.state !== 'restarting' && health.gateway.state !== 'created') {
      throw new Error(`the gateway container is ${health.gateway.state}`);
    }
    if (Date.now() - started > opts.timeoutMs) {
      const what = !health.healthz?.ok ? '/healthz' : !health.readyz?.ok ? '/readyz' : `openclaw gateway health (${health.cliCheck?.output ?? 'not run'})`;
      throw new Error(`the gateway was not healthy within ${opts.timeoutMs / 1000} s: ${what} did not succeed`);
    }
    opts.progress?.(`waiting for the gateway (${seconds} s): ${!health.healthz?.ok ? '/healthz' : !health.readyz?.ok ? '/readyz' : 'gateway health'}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
