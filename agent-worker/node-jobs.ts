// The one activity the agent's worker runs: a signed job from the control plane. It verifies the
// envelope before doing anything (node, signature, time window, replay), records the job as executed
// before it acts (so a replay after a crash is refused, never re-run), and signs what it returns.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type Dockerode from 'dockerode';
import { z } from 'zod';
import { loadConfig } from '../infra/config.ts';
import type { AgentConfig } from './config.ts';
import { listContainers } from './docker/inventory.ts';
import { deploy, preflight } from './openclaw/deploy.ts';
import { describeContainers } from './openclaw/describe.ts';
import { checkBundle } from './openclaw/bundle-check.ts';
import { instanceHealth, removeInstance, restartGateway, startInstance, stopInstance, waitHealthy } from './openclaw/health.ts';
import { containerLogs } from './openclaw/logs.ts';
import { signResult, verifyJob, type JobEnvelope, type JobResult } from '../protocol/envelope.ts';
import type { ReplayStore } from './replay-store.ts';

// What the control plane may ask about an instance; checked here too, since the agent trusts no input.
const Instance = z.object({
  instanceId: z.string().uuid(),
  instanceName: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'lower-case letters, digits and hyphens'),
  port: z.number().int().min(1024).max(65535),
});
const Deploy = Instance.extend({ jobId: z.string().uuid() });
const containerId = z.string().regex(/^[0-9a-f]{12,64}$/, 'container ids are hex');
const Ref = z.object({ gatewayId: containerId, cliId: containerId.optional(), port: z.number().int().min(1).max(65535) });
const WaitHealthy = Ref.extend({ timeoutSeconds: z.number().int().min(5).max(900) });
const Containers = z.object({ containerIds: z.array(containerId).min(1).max(10) });
const RemoveOptions = z.looseObject({ removeVolumes: z.boolean() });
const Logs = z.object({ containerId, tail: z.number().int().min(1).max(2000), since: z.number().int().positive().optional() });

function parse<T>(schema: z.ZodType<T>, params: unknown): T {
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw ApplicationFailure.nonRetryable(`bad parameters: ${issue.path.join('.')}: ${issue.message}`, 'BadParameters');
  }
  return parsed.data;
}

/** Progress of a long step, as an activity heartbeat (the workflow sees it; a silent agent times out). */
const progress = (message: string) => Context.current().heartbeat(message);

/** The actions this agent can run, by name. Each gets the job's (secret-free) parameters. */
function actions(docker: Dockerode): Record<string, (params: Record<string, unknown>) => Promise<unknown>> {
  return {
    inventory: async () => ({ containers: await listContainers(docker) }),
    'openclaw.preflight': async (params) => ({ checks: await preflight(docker, parse(Instance, params)) }),
    'openclaw.deploy': async (params) => deploy(docker, parse(Deploy, params), { cacheDir: loadConfig().cacheDir, progress }),
    'openclaw.wait-healthy': async (params) => {
      const p = parse(WaitHealthy, params);
      return waitHealthy(docker, p, { timeoutMs: p.timeoutSeconds * 1000, progress });
    },
    'openclaw.describe': async (params) => ({ containers: await describeContainers(docker, parse(Containers, params).containerIds) }),
    'openclaw.health': async (params) => instanceHealth(docker, parse(Ref, params)),
    'openclaw.logs': async (params) => {
      const p = parse(Logs, params);
      return containerLogs(docker, p.containerId, p);
    },
    'openclaw.bundle-check': async (params) => checkBundle(docker, {
      cacheDir: loadConfig().cacheDir, timeoutMs: parse(z.object({ timeoutSeconds: z.number().int().min(10).max(600) }), params).timeoutSeconds * 1000, progress,
    }),
    'openclaw.stop': async (params) => stopInstance(docker, parse(Ref, params)),
    'openclaw.start': async (params) => {
      const p = parse(WaitHealthy, params);
      return startInstance(docker, p, { timeoutMs: p.timeoutSeconds * 1000, progress });
    },
    'openclaw.remove': async (params) => removeInstance(docker, parse(Ref, params), { removeVolumes: parse(RemoveOptions, params).removeVolumes }),
    'openclaw.restart': async (params) => {
      const p = parse(WaitHealthy, params);
      return restartGateway(docker, p, { timeoutMs: p.timeoutSeconds * 1000, progress });
    },
  };
}

export function createNodeJobActivities(deps: { config: AgentConfig; privateKey: string; store: ReplayStore; docker: Dockerode }) {
  const known = actions(deps.docker);
  return {
    async runNodeJob(envelope: JobEnvelope): Promise<JobResult> {
      const verdict = verifyJob(envelope, {
        nodeId: deps.config.nodeId, controlPlanePublicKey: deps.config.controlPlanePublicKey, alreadyExecuted: (id) => deps.store.hasExecuted(id),
      });
      if (!verdict.ok) throw ApplicationFailure.nonRetryable(verdict.reason, 'JobRefused', { refusal: verdict.refusal, nodeId: deps.config.nodeId });
      const run = known[envelope.action];
      if (!run) throw ApplicationFailure.nonRetryable(`this agent has no action "${envelope.action}"`, 'JobRefused', { refusal: 'unknown_action' });
      if (!deps.store.markExecuted(envelope.jobId, envelope.notAfter)) {
        throw ApplicationFailure.nonRetryable(`job ${envelope.jobId} already ran on this node`, 'JobRefused', { refusal: 'replayed' });
      }
      // A steady heartbeat while the job runs, so the workflow can tell a slow step from a dead agent.
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 5_000);
      let output: unknown;
      try {
        output = await run(envelope.params);
      } finally {
        clearInterval(beat);
      }
      return signResult(deps.privateKey, { jobId: envelope.jobId, nodeId: deps.config.nodeId, ok: true, output });
    },
  };
}

export type NodeJobActivities = ReturnType<typeof createNodeJobActivities>;
