// The one activity the agent's worker runs: a signed job from the control plane. It verifies the
// envelope before doing anything (node, signature, time window, replay), records the job as executed
// before it acts (so a replay after a crash is refused, never re-run), and signs what it returns.
import { ApplicationFailure } from '@temporalio/activity';
import type Dockerode from 'dockerode';
import type { AgentConfig } from './config.ts';
import { listContainers } from './docker/inventory.ts';
import { signResult, verifyJob, type JobEnvelope, type JobResult } from './protocol/envelope.ts';
import type { ReplayStore } from './protocol/replay-store.ts';

/** The actions this agent can run, by name. Each gets the job's (secret-free) parameters. */
function actions(docker: Dockerode): Record<string, (params: Record<string, unknown>) => Promise<unknown>> {
  return {
    inventory: async () => ({ containers: await listContainers(docker) }),
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
      const output = await run(envelope.params);
      return signResult(deps.privateKey, { jobId: envelope.jobId, nodeId: deps.config.nodeId, ok: true, output });
    },
  };
}

export type NodeJobActivities = ReturnType<typeof createNodeJobActivities>;
