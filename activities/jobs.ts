// The console's record of a job, kept by its workflow: state, current step, approvals, failure reason,
// result; and the managed instance a deployment produces. Every state change is audited. Each activity
// is idempotent (a retry after a lost response writes the same thing again, and audits a change once).
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, ne, sql } from 'drizzle-orm';
import { recordAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { instances, jobs, type JobApproval, type JobState } from '../db/schema.ts';

const TERMINAL: JobState[] = ['completed', 'failed', 'expired', 'cancelled', 'rejected'];

export interface JobUpdate {
  jobId: string;
  state?: JobState;
  step?: string | null;
  approvalPhrase?: string;
  approvalExpiresAt?: string;
  failureReason?: string;
  result?: Record<string, unknown>;
  /** Appended once (the same `at` and `by` twice is one entry). */
  approval?: JobApproval;
}

export function createJobActivities(deps: { db: Db }) {
  return {
    async updateJob(input: JobUpdate): Promise<void> {
      await deps.db.transaction(async (tx) => {
        const [job] = await tx.select().from(jobs).where(eq(jobs.id, input.jobId)).for('update');
        if (!job) throw new Error(`job ${input.jobId} does not exist`);
        const now = new Date();
        const approvals = input.approval && !job.approvals.some((a) => a.at === input.approval!.at && a.by === input.approval!.by)
          ? [...job.approvals, input.approval] : job.approvals;
        await tx.update(jobs).set({
          ...(input.state ? { state: input.state } : {}),
          ...(input.step !== undefined ? { step: input.step } : {}),
          ...(input.approvalPhrase ? { approvalPhrase: input.approvalPhrase } : {}),
          ...(input.approvalExpiresAt ? { approvalExpiresAt: new Date(input.approvalExpiresAt) } : {}),
          ...(input.failureReason ? { failureReason: input.failureReason } : {}),
          ...(input.result ? { result: input.result } : {}),
          approvals, updatedAt: now,
          ...(input.state && TERMINAL.includes(input.state) ? { completedAt: job.completedAt ?? now } : {}),
        }).where(eq(jobs.id, job.id));
        const actor = { actorType: 'workflow' as const, actorId: job.workflowId, actorLabel: `job ${job.type}` };
        const target = { organizationId: job.organizationId, targetType: 'job', targetId: job.id };
        if (input.state && input.state !== job.state) {
          await recordAudit(tx, {
            ...actor, ...target, action: `job.${input.state}`, outcome: input.state === 'failed' ? 'failure' : 'success',
            reason: input.failureReason ?? null, details: { type: job.type, from: job.state, step: input.step ?? job.step, nodeId: job.nodeId },
          });
        }
        if (approvals !== job.approvals && input.approval) {
          const a = input.approval;
          await recordAudit(tx, {
            actorType: 'workflow', actorId: job.workflowId, actorLabel: `${a.by} (${a.role}) via ${a.via}`, ...target,
            action: `job.approval.${a.outcome}`, outcome: a.outcome === 'ignored' ? 'denied' : 'success', reason: a.reason ?? null,
            details: { type: job.type, by: a.by, role: a.role, via: a.via },
          });
        }
      });
    },

    /** The instance's latest health, as a job measured it (audited). */
    async recordInstanceHealth(input: { jobId: string; instanceId: string; health: Record<string, unknown> }): Promise<void> {
      await deps.db.transaction(async (tx) => {
        const [job] = await tx.select().from(jobs).where(eq(jobs.id, input.jobId));
        if (!job) throw new Error(`job ${input.jobId} does not exist`);
        await tx.update(instances).set({ health: input.health, updatedAt: new Date() }).where(eq(instances.id, input.instanceId));
        await recordAudit(tx, {
          actorType: 'workflow', actorId: job.workflowId, actorLabel: `job ${job.type}`, organizationId: job.organizationId,
          action: 'instance.health', targetType: 'instance', targetId: input.instanceId, outcome: input.health.healthy ? 'success' : 'failure',
          details: { jobId: job.id, healthy: Boolean(input.health.healthy) },
        });
      });
    },

    /** The instance is gone from its node: its record goes too (the jobs that acted on it stay). */
    async recordInstanceRemoved(input: { jobId: string; instanceId: string; volumesRemoved: string[] }): Promise<void> {
      await deps.db.transaction(async (tx) => {
        const [job] = await tx.select().from(jobs).where(eq(jobs.id, input.jobId));
        if (!job) throw new Error(`job ${input.jobId} does not exist`);
        const [gone] = await tx.delete(instances).where(eq(instances.id, input.instanceId)).returning({ name: instances.name });
        if (gone) {
          await recordAudit(tx, {
            actorType: 'workflow', actorId: job.workflowId, actorLabel: `job ${job.type}`, organizationId: job.organizationId,
            action: 'instance.removed', targetType: 'instance', targetId: input.instanceId, outcome: 'success',
            details: { name: gone.name, jobId: job.id, volumesRemoved: input.volumesRemoved },
          });
        }
      });
    },

    /** The deployed (or adopted) instance as managed, with its containers, version, port and health. */
    async recordManagedInstance(input: {
      jobId: string; instanceId: string; name: string; containerIds: string[]; bundleVersion: string; port: number; health: Record<string, unknown>;
    }): Promise<void> {
      await deps.db.transaction(async (tx) => {
        const [job] = await tx.select().from(jobs).where(eq(jobs.id, input.jobId));
        if (!job) throw new Error(`job ${input.jobId} does not exist`);
        if (!job.nodeId) throw ApplicationFailure.nonRetryable(`job ${input.jobId} runs on no node: it cannot record an instance`, 'NotANodeJob');
        const nodeId = job.nodeId;
        const now = new Date();
        const values = {
          state: 'managed' as const, containerIds: input.containerIds, bundleVersion: input.bundleVersion, port: input.port,
          health: input.health, reasons: [], confidence: null, updatedAt: now,
        };
        await tx.insert(instances).values({ id: input.instanceId, organizationId: job.organizationId, nodeId, name: input.name, managedSince: now, ...values })
          .onConflictDoUpdate({ target: instances.id, set: values });
        await recordAudit(tx, {
          actorType: 'workflow', actorId: job.workflowId, actorLabel: `job ${job.type}`, organizationId: job.organizationId,
          action: 'instance.managed', targetType: 'instance', targetId: input.instanceId, outcome: 'success',
          details: { name: input.name, nodeId: job.nodeId, jobId: job.id, containers: input.containerIds.length, version: input.bundleVersion, port: input.port },
        });
        // A discovered record of the same containers would now be a duplicate.
        await tx.delete(instances).where(and(eq(instances.nodeId, nodeId), eq(instances.state, 'discovered'),
          ne(instances.id, input.instanceId), sql`${instances.containerIds} ?| array[${sql.join(input.containerIds.map((id) => sql`${id}`), sql`, `)}]::text[]`));
      });
    },
  };
}

export type JobActivities = ReturnType<typeof createJobActivities>;
