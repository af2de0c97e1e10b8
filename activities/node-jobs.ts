// The control plane's half of a node job: sign the envelope (only this worker holds the key), check
// the agent's signed result against the key registered at enrollment, and record refusals.
import { eq } from 'drizzle-orm';
import { ApplicationFailure } from '@temporalio/activity';
import { signJob, verifyResult, type JobEnvelope, type JobResult } from '../protocol/envelope.ts';
import { InventoryRecords, storeInventory } from '../api/agents/heartbeat.ts';
import { recordAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { nodes } from '../db/schema.ts';
import { controlPlaneSigningKey } from '../infra/control-plane-key.ts';

const workflowActor = (workflowId: string) => ({ actorType: 'workflow' as const, actorId: workflowId, actorLabel: 'node job' });

export function createNodeJobActivities(deps: { db: Db }) {
  async function nodeOf(nodeId: string) {
    const [node] = await deps.db.select().from(nodes).where(eq(nodes.id, nodeId));
    if (!node) throw ApplicationFailure.nonRetryable(`node ${nodeId} does not exist`, 'NodeUnavailable');
    return node;
  }

  /** The node, once its registered agent's signature on `result` checks out; refusals are audited. */
  async function verified(input: { workflowId: string; nodeId: string; jobId: string; action: string; result: JobResult }) {
    const node = await nodeOf(input.nodeId);
    const verdict = node.agentPublicKey && !node.revokedAt
      ? verifyResult(input.result, { agentPublicKey: node.agentPublicKey, jobId: input.jobId, nodeId: input.nodeId })
      : { ok: false as const, reason: 'the node has no enrolled agent' };
    if (!verdict.ok) {
      await recordAudit(deps.db, {
        ...workflowActor(input.workflowId), organizationId: node.organizationId, action: `node.job.${input.action}`, targetType: 'node', targetId: node.id,
        outcome: 'denied', reason: `result refused: ${verdict.reason}`, details: { jobId: input.jobId },
      });
      throw ApplicationFailure.nonRetryable(`result refused: ${verdict.reason}`, 'ResultRefused');
    }
    return node;
  }

  return {
    async signNodeJob(input: { nodeId: string; jobId: string; action: string; params: Record<string, unknown>; ttlSeconds: number }): Promise<JobEnvelope> {
      const node = await nodeOf(input.nodeId);
      if (node.revokedAt || !node.agentPublicKey) {
        throw ApplicationFailure.nonRetryable(`node ${node.name} ${node.revokedAt ? 'was revoked' : 'has no enrolled agent'}`, 'NodeUnavailable');
      }
      return signJob(controlPlaneSigningKey(), {
        jobId: input.jobId, nodeId: input.nodeId, action: input.action, params: input.params, notAfter: new Date(Date.now() + input.ttlSeconds * 1000),
      });
    },

    /** Believes a result only if the node's registered agent signed it; returns its output (audited). */
    async verifyNodeResult(input: { workflowId: string; nodeId: string; jobId: string; action: string; result: JobResult }): Promise<unknown> {
      const node = await verified(input);
      await recordAudit(deps.db, {
        ...workflowActor(input.workflowId), organizationId: node.organizationId, action: `node.job.${input.action}`, targetType: 'node', targetId: node.id,
        outcome: 'success', details: { jobId: input.jobId },
      });
      return input.result.output;
    },

    /** Stores the containers an inventory job reported (its output, already verified by verifyNodeResult). */
    async storeNodeInventory(input: { nodeId: string; containers: unknown }): Promise<{ containers: number }> {
      const node = await nodeOf(input.nodeId);
      const containers = InventoryRecords.parse(input.containers ?? []);
      await deps.db.transaction((tx) => storeInventory(tx, node.id, containers, new Date()));
      return { containers: containers.length };
    },

    async recordNodeJobRefusal(input: { workflowId: string; nodeId: string; jobId: string; action: string; reason: string }): Promise<void> {
      const node = await nodeOf(input.nodeId);
      await recordAudit(deps.db, {
        ...workflowActor(input.workflowId), organizationId: node.organizationId, action: `node.job.${input.action}`, targetType: 'node', targetId: node.id,
        outcome: 'denied', reason: `the agent refused the job: ${input.reason}`, details: { jobId: input.jobId },
      });
    },
  };
}

export type ControlPlaneNodeJobActivities = ReturnType<typeof createNodeJobActivities>;
