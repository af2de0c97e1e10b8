// The control plane's half of a node job: check the parameters against the node-action catalogue and
// sign the envelope (only this worker holds the key), check the agent's signed result against the key
// registered at enrollment and its output against the catalogue, and record refusals.
import { eq } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/activity';
import { ContainerRecords } from '../protocol/heartbeat.ts';
import { signJob, verifyResult, type JobEnvelope, type JobResult } from '../protocol/envelope.ts';
import { checkNodeActionOutput, checkNodeActionParams, type NodeActionName, type NodeActionOutput, type NodeActionParams } from '../protocol/node-actions.ts';
import { storeInventory } from '../api/agents/heartbeat.ts';
import { recordAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { nodes } from '../db/schema.ts';
import { controlPlaneSigningKey } from '../infra/control-plane-key.ts';

const workflowActor = (workflowId: string) => ({ actorType: 'workflow' as const, actorId: workflowId, actorLabel: 'node job' });

export interface NodeResultInput<A extends NodeActionName = NodeActionName> {
  workflowId: string; nodeId: string; envelopeId: string; action: A; result: JobResult;
}

export function createNodeDispatchActivities(deps: { db: Db }) {
  async function nodeOf(nodeId: string) {
    const [node] = await deps.db.select().from(nodes).where(eq(nodes.id, nodeId));
    if (!node) throw ApplicationFailure.nonRetryable(`node ${nodeId} does not exist`, 'NodeUnavailable');
    return node;
  }

  type Node = Awaited<ReturnType<typeof nodeOf>>;
  const audit = (input: { workflowId: string; envelopeId: string; action: string }, node: Node, outcome: 'success' | 'denied', reason?: string) => recordAudit(deps.db, {
    ...workflowActor(input.workflowId), organizationId: node.organizationId, action: `node.job.${input.action}`, targetType: 'node', targetId: node.id,
    outcome, ...(reason ? { reason } : {}), details: { envelopeId: input.envelopeId },
  });

  /** Audits the refusal and fails the step, non-retryably. */
  async function refuseResult(input: NodeResultInput, node: Node, reason: string): Promise<never> {
    await audit(input, node, 'denied', `result refused: ${reason}`);
    throw ApplicationFailure.nonRetryable(`result refused: ${reason}`, 'ResultRefused');
  }

  return {
    async signNodeJob<A extends NodeActionName>(input: { nodeId: string; envelopeId: string; action: A; params: NodeActionParams<A>; ttlSeconds: number }): Promise<JobEnvelope> {
      const params = checkNodeActionParams(input.action, input.params);
      if (!params.ok) throw ApplicationFailure.nonRetryable(params.reason, 'BadParameters');
      const node = await nodeOf(input.nodeId);
      if (node.revokedAt || !node.agentPublicKey) {
        throw ApplicationFailure.nonRetryable(`node ${node.name} ${node.revokedAt ? 'was revoked' : 'has no enrolled agent'}`, 'NodeUnavailable');
      }
      return signJob(controlPlaneSigningKey(), {
        envelopeId: input.envelopeId, nodeId: input.nodeId, action: input.action, params: params.value as Record<string, unknown>,
        notAfter: new Date(Date.now() + input.ttlSeconds * 1000),
      });
    },

    /**
     * Believes a result only if the node's registered agent signed it and its output fits the action's
     * schema; returns that output (audited either way).
     */
    async verifyNodeResult<A extends NodeActionName>(input: NodeResultInput<A>): Promise<NodeActionOutput<A>> {
      const node = await nodeOf(input.nodeId);
      const verdict = node.agentPublicKey && !node.revokedAt
        ? verifyResult(input.result, { agentPublicKey: node.agentPublicKey, envelopeId: input.envelopeId, nodeId: input.nodeId })
        : { ok: false as const, reason: 'the node has no enrolled agent' };
      if (!verdict.ok) return refuseResult(input, node, verdict.reason);
      const output = checkNodeActionOutput(input.action, input.result.output);
      if (!output.ok) return refuseResult(input, node, output.reason);
      await audit(input, node, 'success');
      return output.value;
    },

    /** Stores the containers an inventory job reported (its output, already verified by verifyNodeResult). */
    async storeNodeInventory(input: { nodeId: string; containers: unknown }): Promise<{ containers: number }> {
      const node = await nodeOf(input.nodeId);
      const containers = ContainerRecords.parse(input.containers ?? []);
      await deps.db.transaction((tx) => storeInventory(tx, node.id, containers, new Date()));
      return { containers: containers.length };
    },

    async recordNodeJobRefusal(input: { workflowId: string; nodeId: string; envelopeId: string; action: string; reason: string }): Promise<void> {
      await audit(input, await nodeOf(input.nodeId), 'denied', `the agent refused the job: ${input.reason}`);
    },
  };
}

export type NodeDispatchActivities = ReturnType<typeof createNodeDispatchActivities>;
