// The control plane's half of a node job: check the parameters against the node-action catalogue and
// sign the envelope (only this worker holds the key), check the agent's signed result against the key
// registered at enrollment and its output against the catalogue, and record refusals. Nothing is signed
// on the caller's say-so (ADR 0010): the calling run must be a job's own, on that node, in a state that
// runs steps, of a type that may run that action, and, when the action changes the machine, its current
// approval request approved by as many distinct people as it needs, none rejecting; and the parameters
// must name the job's own instance, containers, version and volumes (each action's `binds`). The envelope
// then binds the job, the node and the agent's key.
import { eq } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/activity';
import { ContainerRecords } from '../protocol/heartbeat.ts';
import { keyFingerprint, signJob, verifyResult, type JobEnvelope, type JobResult } from '../protocol/envelope.ts';
import { checkNodeActionOutput, checkNodeActionParams, NODE_ACTIONS, type NodeActionName, type NodeActionOutput, type NodeActionParams } from '../protocol/node-actions.ts';
import { storeInventory } from '../api/agents/heartbeat.ts';
import { recordAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { instances, nodes } from '../db/schema.ts';
import { controlPlaneSigningKey } from '../infra/control-plane-key.ts';
import { approvalsNeededOf, approvalsOfRequest, currentRequest, requestApproved } from '../api/jobs/approvers.ts';
import { jobTypeOf } from '../api/jobs/registry.ts';
import { unboundField, type NodeActionDefinition } from '../protocol/node-action-registry.ts';
import { asCallingRun, CallerRefused, jobOfCallingRun } from './calling-run.ts';

const workflowActor = (workflowId: string) => ({ actorType: 'workflow' as const, actorId: workflowId, actorLabel: 'node job' });

export interface NodeResultInput<A extends NodeActionName = NodeActionName> {
  workflowId: string;
  nodeId: string;
  envelopeId: string;
  action: A;
  result: JobResult;
}

export interface SignNodeJobInput<A extends NodeActionName = NodeActionName> {
  nodeId: string;
  envelopeId: string;
  action: A;
  params: NodeActionParams<A>;
  ttlSeconds: number;
}

/**
 * Signs the calling run's envelope for one node step, after checking in Postgres that its job runs on
 * that node, is in a state that runs steps, is of a type that runs the action, for an action that changes
 * the machine has its current request approved (api/jobs/approvers.ts requestApproved), and that the
 * parameters are its own (the action's `binds`). Also called by confirmDecision (activities/jobs.ts) for
 * the step right after the approval that completes a request (ADR 0032).
 */
export async function signNodeJob<A extends NodeActionName>(db: Db, input: SignNodeJobInput<A>): Promise<JobEnvelope> {
  const params = checkNodeActionParams(input.action, input.params);
  if (!params.ok) throw ApplicationFailure.nonRetryable(params.reason, 'BadParameters');
  const [node] = await db.select().from(nodes).where(eq(nodes.id, input.nodeId));
  if (!node) throw ApplicationFailure.nonRetryable(`node ${input.nodeId} does not exist`, 'NodeUnavailable');
  if (node.revokedAt || !node.agentPublicKey) {
    throw ApplicationFailure.nonRetryable(`node ${node.name} ${node.revokedAt ? 'was revoked' : 'has no enrolled agent'}`, 'NodeUnavailable');
  }
  const job = await asCallingRun(db, `node.job.${input.action}`, async (tx) => {
    const job = await jobOfCallingRun(tx);
    const refuse = (reason: string) => new CallerRefused(job, `nothing signed: ${reason}`, 'DispatchRefused');
    if (job.nodeId !== node.id) throw refuse(`job ${job.id} runs on another node, not ${node.name}`);
    if (job.state !== 'preflight' && job.state !== 'running') throw refuse(`job ${job.id} is ${job.state.replaceAll('_', ' ')}`);
    const type = jobTypeOf(job.type);
    if (!type?.nodeActions?.includes(input.action)) throw refuse(`a ${job.type} job does not run ${input.action}`);
    if (NODE_ACTIONS[input.action].effect === 'changes' && (type.approval !== 'required' || !requestApproved(job))) {
      const request = currentRequest(job);
      const given = approvalsOfRequest(job.approvals, request).length;
      throw refuse(
        `${input.action} changes the machine and job ${job.id}'s request "${request}" is not approved (${given} of ${approvalsNeededOf(job.approvalPolicy)} distinct approvals, or rejected)`,
      );
    }
    const [instance] = job.instanceId ? await tx.select().from(instances).where(eq(instances.id, job.instanceId)) : [];
    const definition: NodeActionDefinition = NODE_ACTIONS[input.action];
    const field = unboundField(definition, params.value, { jobId: job.id, instanceId: job.instanceId, params: job.params, instance: instance ?? null });
    if (field) throw refuse(`${field} of ${input.action} is not job ${job.id}'s (its records in Postgres say otherwise)`);
    return job;
  });
  return signJob(controlPlaneSigningKey(), {
    envelopeId: input.envelopeId,
    jobId: job.id,
    nodeId: input.nodeId,
    agentKey: keyFingerprint(node.agentPublicKey),
    action: input.action,
    params: params.value as Record<string, unknown>,
    notAfter: new Date(Date.now() + input.ttlSeconds * 1000),
  });
}

export function createNodeDispatchActivities(deps: { db: Db }) {
  async function nodeOf(nodeId: string) {
    const [node] = await deps.db.select().from(nodes).where(eq(nodes.id, nodeId));
    if (!node) throw ApplicationFailure.nonRetryable(`node ${nodeId} does not exist`, 'NodeUnavailable');
    return node;
  }

  type Node = Awaited<ReturnType<typeof nodeOf>>;
  const audit = (input: { workflowId: string; envelopeId: string; action: string }, node: Node, outcome: 'success' | 'denied', reason?: string) =>
    recordAudit(deps.db, {
      ...workflowActor(input.workflowId),
      organizationId: node.organizationId,
      action: `node.job.${input.action}`,
      targetType: 'node',
      targetId: node.id,
      outcome,
      ...(reason ? { reason } : {}),
      details: { envelopeId: input.envelopeId },
    });

  /** Audits the refusal and fails the step, non-retryably. */
  async function refuseResult(input: NodeResultInput, node: Node, reason: string): Promise<never> {
    await audit(input, node, 'denied', `result refused: ${reason}`);
    throw ApplicationFailure.nonRetryable(`result refused: ${reason}`, 'ResultRefused');
  }

  return {
    signNodeJob: <A extends NodeActionName>(input: SignNodeJobInput<A>): Promise<JobEnvelope> => signNodeJob(deps.db, input),

    /**
     * Believes a result only if the node's registered agent signed it and its output fits the action's
     * schema; returns that output (audited either way).
     */
    async verifyNodeResult<A extends NodeActionName>(input: NodeResultInput<A>): Promise<NodeActionOutput<A>> {
      await asCallingRun(deps.db, `node.job.${input.action}`, (tx) => jobOfCallingRun(tx));
      const node = await nodeOf(input.nodeId);
      const verdict =
        node.agentPublicKey && !node.revokedAt
          ? verifyResult(input.result, { agentPublicKey: node.agentPublicKey, envelopeId: input.envelopeId, nodeId: input.nodeId })
          : { ok: false as const, reason: 'the node has no enrolled agent' };
      if (!verdict.ok) return refuseResult(input, node, verdict.reason);
      const output = checkNodeActionOutput(input.action, input.result.output);
      if (!output.ok) return refuseResult(input, node, output.reason);
      await audit(input, node, 'success');
      return output.value;
    },

    /** Stores the containers an inventory job reported (its output, already verified by verifyNodeResult), for that job's node only. */
    async storeNodeInventory(input: { jobId: string; containers: unknown }): Promise<{ containers: number }> {
      const containers = ContainerRecords.parse(input.containers ?? []);
      return asCallingRun(deps.db, 'node.inventory.store', async (tx) => {
        const job = await jobOfCallingRun(tx, input.jobId);
        if (job.type !== 'inventory_refresh' || !job.nodeId) throw new CallerRefused(job, `a ${job.type} job does not store an inventory`);
        await storeInventory(tx, job.nodeId, containers, new Date());
        return { containers: containers.length };
      });
    },

    async recordNodeJobRefusal(input: { workflowId: string; nodeId: string; envelopeId: string; action: string; reason: string }): Promise<void> {
      // Only a job's own run files its agent's refusals: nobody else writes into the audit trail through here.
      await asCallingRun(deps.db, `node.job.${input.action}`, (tx) => jobOfCallingRun(tx));
      await audit(input, await nodeOf(input.nodeId), 'denied', `the agent refused the job: ${input.reason}`);
    },
  };
}

export type NodeDispatchActivities = ReturnType<typeof createNodeDispatchActivities>;
