// A real OpenClaw gateway started by hand, the way an MSP finds one on a customer's machine: upstream's two
// containers (gateway and `openclaw-cli` helper in its network namespace) from the bundle image. The
// network is `none`: the gateway listens on its own loopback and can send nothing anywhere.
import crypto from 'node:crypto';
import type Dockerode from 'dockerode';
import { answersHealthzInside } from '../../agent-worker/openclaw/health.ts';
import { ensureBundleImage } from '../../agent-worker/openclaw/image.ts';
import { COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL, UPSTREAM_SERVICES } from '../../agent-worker/docker/discovery.ts';
import { gatewayCommand, OPENCLAW_BUNDLE } from '../../agent-worker/openclaw/bundle.ts';
import { loadConfig } from '../../infra/config.ts';

export interface HandStartedGateway {
  gateway: Dockerode.Container;
  cli: Dockerode.Container;
  project: string;
  /** The gateway's token (in its environment): tests check it never leaves the machine. */
  token: string;
}

/** Starts the pair as Compose project `project` and resolves once the gateway answers /healthz. */
export async function startHandStartedGateway(docker: Dockerode, project: string, withinMs = 90_000): Promise<HandStartedGateway> {
  await ensureBundleImage(docker, { cacheDir: loadConfig().cacheDir });
  const token = crypto.randomBytes(24).toString('hex');
  const gateway = await docker.createContainer({
    Image: OPENCLAW_BUNDLE.image,
    name: `${project}-${UPSTREAM_SERVICES.gateway}`,
    Cmd: gatewayCommand(),
    Env: [`OPENCLAW_GATEWAY_TOKEN=${token}`],
    Labels: { [COMPOSE_PROJECT_LABEL]: project, [COMPOSE_SERVICE_LABEL]: UPSTREAM_SERVICES.gateway },
    HostConfig: { NetworkMode: 'none' },
  });
  await gateway.start();
  const cli = await docker.createContainer({
    Image: OPENCLAW_BUNDLE.image,
    name: `${project}-${UPSTREAM_SERVICES.cli}`,
    Entrypoint: ['node', '-e', 'setInterval(() => {}, 1 << 30)'],
    Cmd: [],
    Labels: { [COMPOSE_PROJECT_LABEL]: project, [COMPOSE_SERVICE_LABEL]: UPSTREAM_SERVICES.cli },
    HostConfig: { NetworkMode: `container:${gateway.id}` },
  });
  await cli.start();
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await answersHealthzInside(docker, cli.id)) return { gateway, cli, project, token };
    const state = (await gateway.inspect()).State;
    if (!state.Running) throw new Error(`the OpenClaw gateway exited (${state.ExitCode}): ${(await gateway.logs({ stdout: true, stderr: true, tail: 10 })).toString()}`);
    if (Date.now() > deadline) throw new Error(`the OpenClaw gateway did not answer /healthz within ${withinMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
