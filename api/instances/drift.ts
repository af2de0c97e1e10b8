// Drift of a managed instance's tool policy: the hash of the gateway's `tools` section as its agent
// reads it on every heartbeat (protocol/heartbeat.ts instanceConfigs) against the hash the last apply
// job wrote. Different means someone changed the file outside our jobs: the instance is drifted from the
// first beat that says so (audited once), until a beat or an apply shows the two equal again. An
// instance never applied has nothing to drift from.
import { z } from 'zod';
import { and, eq } from 'drizzle-orm';
import { agentAuditActor, recordAudit } from '../../db/audit.ts';
import type { Executor } from '../../db/client.ts';
import { instances } from '../../db/schema.ts';
import type { InstanceConfigReport } from '../../protocol/heartbeat.ts';

type InstanceRow = typeof instances.$inferSelect;

/** Stores each reported configuration of the node's own managed instances, and their drift. */
export async function storeInstanceConfigs(tx: Executor, agent: { nodeId: string; hostname: string }, reports: InstanceConfigReport[], receivedAt: Date): Promise<void> {
  const { nodeId } = agent;
  for (const report of reports) {
    // Only the reporting node's own instances: an agent cannot speak for another node's.
    const [instance] = await tx
      .select()
      .from(instances)
      .where(and(eq(instances.id, report.instanceId), eq(instances.nodeId, nodeId), eq(instances.state, 'managed')));
    if (!instance) continue;
    // A read from before the last apply wrote the file (both times by the node's clock) is out of date.
    const readAt = new Date(report.readAt);
    if (instance.appliedToolsAt && !(readAt >= instance.appliedToolsAt)) continue;
    const drifted = instance.appliedToolsHash !== null && instance.appliedToolsHash !== report.hash;
    const driftedSince = drifted ? (instance.driftedSince ?? receivedAt) : null;
    await tx.update(instances).set({ reportedToolsHash: report.hash, reportedTools: report.tools, reportedToolsAt: receivedAt, driftedSince }).where(eq(instances.id, instance.id));
    if (drifted && !instance.driftedSince) {
      await recordAudit(tx, {
        ...agentAuditActor(agent),
        organizationId: instance.organizationId,
        action: 'instance.drifted',
        targetType: 'instance',
        targetId: instance.id,
        outcome: 'failure',
        reason: "the gateway's tool configuration differs from the one last applied",
        details: { name: instance.name, applied: instance.appliedToolsHash, reported: report.hash },
      });
    }
  }
}

/** What the console shows of an instance's tool policy: desired against actual, and since when they differ. */
export const ToolPolicyDrift = z.object({
  appliedHash: z.string().nullable(),
  appliedAt: z.string().nullable(),
  reportedHash: z.string().nullable(),
  reportedAt: z.string().nullable(),
  drifted: z.boolean(),
  driftedSince: z.string().nullable(),
  desired: z.record(z.string(), z.unknown()).nullable().describe('the `tools` section last applied'),
  actual: z.record(z.string(), z.unknown()).nullable().describe('the `tools` section last reported (null when unreadable)'),
});
export type ToolPolicyDrift = z.infer<typeof ToolPolicyDrift>;

export function toolPolicyDrift(i: InstanceRow): ToolPolicyDrift | null {
  if (!i.appliedToolsHash && !i.reportedToolsHash) return null;
  return {
    appliedHash: i.appliedToolsHash,
    appliedAt: i.appliedToolsAt?.toISOString() ?? null,
    reportedHash: i.reportedToolsHash,
    reportedAt: i.reportedToolsAt?.toISOString() ?? null,
    drifted: i.driftedSince !== null,
    driftedSince: i.driftedSince?.toISOString() ?? null,
    desired: i.appliedTools,
    actual: i.reportedTools,
  };
}
