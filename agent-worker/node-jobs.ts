// The one activity the agent's worker runs: a signed job from the control plane. It verifies the
// envelope before doing anything (node, signature, time window, replay), checks the parameters against
// the node-action catalogue (protocol/node-actions.ts) and against the envelope's job (job-binding.ts),
// records the envelope as executed before it acts (so a replay after a crash is refused, never re-run),
// and signs what it returns.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type Dockerode from 'dockerode';
import { keyFingerprint, publicKeyOf, signResult, verifyJob, type JobEnvelope, type JobResult, type NodeAgentActivities } from '../protocol/envelope.ts';
import type { Progress, StepProgress } from '../protocol/step-progress.ts';
import { checkNodeActionParams, isNodeActionName, type CheckedNodeActionParams, type NodeActionName, type NodeActionResult } from '../protocol/node-actions.ts';
import type { AgentConfig } from './config.ts';
import { bindingProblem } from './job-binding.ts';
import { listContainers } from './docker/inventory.ts';
import { checkBundle } from './openclaw/bundle-check.ts';
import { deploy, preflight } from './openclaw/deploy.ts';
import { describeContainers } from './openclaw/describe.ts';
import { instanceHealth, removeInstance, restartGateway, startInstance, stopInstance, waitHealthy } from './openclaw/health.ts';
import { containerLogs } from './openclaw/logs.ts';
import { applyToolPolicy, readToolPolicy } from './openclaw/tool-policy.ts';
import { finishUpgrade, rollbackVersion, snapshotState, switchVersion, upgradePreflight } from './openclaw/upgrade.ts';
import type { ReplayStore } from './replay-store.ts';

/** Every action of the catalogue, by name: a missing or mistyped handler does not compile. */
type NodeActionHandlers = { [A in NodeActionName]: (params: CheckedNodeActionParams<A>) => Promise<NodeActionResult<A>> };

/**
 * The handlers for one job, reporting to `progress`: a long step's progress (protocol/step-progress.ts)
 * goes out as its activity's heartbeat details, which the workflow's heartbeat timeout watches and the
 * console reads back as the job's progress bar (ADR 0022).
 */
function handlers(docker: Dockerode, cacheDir: string, nodeName: string, progress: Progress): NodeActionHandlers {
  const timeout = (p: { timeoutSeconds: number }) => ({ timeoutMs: p.timeoutSeconds * 1000, progress });
  return {
    'inventory.list': async () => ({ containers: await listContainers(docker) }),
    'openclaw.preflight': async (p) => ({ checks: await preflight(docker, p, cacheDir) }),
    'openclaw.deploy': async (p) => deploy(docker, p, { cacheDir, nodeName, progress }),
    'openclaw.wait-healthy': async (p) => waitHealthy(docker, p, timeout(p)),
    'openclaw.health': async (p) => instanceHealth(docker, p),
    'openclaw.restart': async (p) => restartGateway(docker, p, timeout(p)),
    'openclaw.stop': async (p) => stopInstance(docker, p),
    'openclaw.start': async (p) => startInstance(docker, p, timeout(p)),
    'openclaw.remove': async (p) => removeInstance(docker, p, { removeVolumes: p.removeVolumes }),
    'openclaw.describe': async (p) => ({ containers: await describeContainers(docker, p.containerIds) }),
    'openclaw.logs': async (p) => containerLogs(docker, p.containerId, p),
    'openclaw.read_tool_policy': async (p) => readToolPolicy(docker, p),
    'openclaw.apply_tool_policy': async (p) => applyToolPolicy(docker, p, timeout(p)),
    'openclaw.upgrade-preflight': async (p) => upgradePreflight(docker, p, cacheDir),
    'openclaw.snapshot-state': async (p) => snapshotState(docker, p, progress),
    'openclaw.switch-version': async (p) => switchVersion(docker, p, { cacheDir, nodeName, progress }),
    'openclaw.rollback-version': async (p) => rollbackVersion(docker, p, progress),
    'openclaw.finish-upgrade': async (p) => finishUpgrade(docker, p),
    'openclaw.bundle-check': async (p) => checkBundle(docker, { cacheDir, timeoutMs: p.timeoutSeconds * 1000, version: p.version, progress }),
  };
}

const refuse = (reason: string, details: Record<string, unknown>) => ApplicationFailure.nonRetryable(reason, 'JobRefused', details);

export function createAgentJobActivities(deps: { config: AgentConfig; privateKey: string; store: ReplayStore; docker: Dockerode; cacheDir: string }) {
  const agentKey = keyFingerprint(publicKeyOf(deps.privateKey));
  const activities = {
    async runNodeJob(envelope: JobEnvelope): Promise<JobResult> {
      const verdict = verifyJob(envelope, {
        nodeId: deps.config.nodeId,
        agentKey,
        controlPlanePublicKey: deps.config.controlPlanePublicKey,
        alreadyExecuted: (id) => deps.store.hasExecuted(id),
      });
      // The ids one grep follows across processes (the SDK's logger adds the run's workflowId and runId).
      const ids = { jobId: envelope.jobId, nodeId: deps.config.nodeId, organizationId: deps.config.organizationId, action: envelope.action };
      if (!verdict.ok) {
        Context.current().log.warn('node job refused', { ...ids, refusal: verdict.refusal });
        throw refuse(verdict.reason, { refusal: verdict.refusal, nodeId: deps.config.nodeId });
      }
      Context.current().log.info('node job accepted', ids);
      const { action } = envelope;
      if (!isNodeActionName(action)) throw refuse(`this agent has no action "${action}"`, { refusal: 'unknown_action' });
      // Signed by the control plane, which checked them too: a mismatch means the two run different catalogues.
      const params = checkNodeActionParams(action, envelope.params);
      if (!params.ok) throw refuse(params.reason, { refusal: 'bad_parameters' });
      const unbound = await bindingProblem(deps.docker, envelope, action, params.value);
      if (unbound) throw refuse(unbound, { refusal: 'not_this_job' });
      if (!deps.store.markExecuted(envelope.envelopeId, envelope.notAfter)) {
        throw refuse(`envelope ${envelope.envelopeId} already ran on this node`, { refusal: 'replayed' });
      }
      // A steady heartbeat while the job runs, so the workflow can tell a slow step from a dead agent. It
      // repeats the last progress: Temporal keeps only the latest details, and empty ones would wipe it.
      const context = Context.current();
      let last: StepProgress | undefined;
      const progress: Progress = (p) => context.heartbeat((last = p));
      const beat = setInterval(() => context.heartbeat(last), 5_000);
      const known = handlers(deps.docker, deps.cacheDir, deps.config.nodeName, progress);
      let output: unknown;
      try {
        // One handler per name: the table's type ties each to its own parameters, which TypeScript cannot
        // follow through a name known only at run time.
        output = await (known[action] as (p: unknown) => Promise<unknown>)(params.value);
      } finally {
        clearInterval(beat);
      }
      return signResult(deps.privateKey, { envelopeId: envelope.envelopeId, nodeId: deps.config.nodeId, ok: true, output });
    },
  } satisfies NodeAgentActivities;
  return activities;
}

export type AgentJobActivities = ReturnType<typeof createAgentJobActivities>;
