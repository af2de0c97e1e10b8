// The apply job's record of what it wrote into an instance's gateway: the desired `tools` section and
// its hash (the node's verified output), against which heartbeats decide drift (api/instances/drift.ts).
// The agent read the file back while proving the apply, so actual equals desired at this moment.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { instances } from '../db/schema.ts';
import { requestApproved } from '../api/jobs/approvers.ts';
import { asCallingRun, CallerRefused } from './calling-run.ts';
import { auditInstance, jobOnItsInstance } from './jobs.ts';

export interface AppliedToolsRecord {
  jobId: string;
  instanceId: string;
  hash: string;
  tools: Record<string, unknown>;
  /** When the agent wrote the file, by the node's clock (heartbeats read before it are ignored). */
  writtenAt: string;
  /** The tool ids the running gateway offers and refuses after the apply (for the audit trail). */
  allowed: string[];
  denied: string[];
}

export function createToolPolicyActivities(deps: { db: Db }) {
  return {
    async recordToolPolicyApplied(input: AppliedToolsRecord): Promise<void> {
      await asCallingRun(deps.db, 'instance.tool_policy', async (tx) => {
        const job = await jobOnItsInstance(tx, input);
        // Only an apply job whose approval Postgres recorded may set what drift is measured against: another
        // job's run on the same instance (a health check, say) must not clear a drift or bless a hand edit.
        if (job.type !== 'apply_capabilities' || !requestApproved(job)) {
          throw new CallerRefused(job, `job ${job.id} is not an approved apply of capabilities`, 'NotAnApprovedApply');
        }
        const now = new Date();
        await tx
          .update(instances)
          .set({
            appliedToolsHash: input.hash,
            appliedTools: input.tools,
            appliedToolsAt: new Date(input.writtenAt),
            reportedToolsHash: input.hash,
            reportedTools: input.tools,
            reportedToolsAt: now,
            driftedSince: null,
            updatedAt: now,
          })
          .where(eq(instances.id, input.instanceId));
        await auditInstance(tx, job, 'instance.tool_policy_applied', 'success', { jobId: job.id, hash: input.hash, denied: input.denied.length, allowed: input.allowed.length });
      });
    },
  };
}

export type ToolPolicyActivities = ReturnType<typeof createToolPolicyActivities>;
