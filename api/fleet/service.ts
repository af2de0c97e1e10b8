// Fleet rollouts and bulk actions (issue 19, ADR 0030): pick the targets (instances by organization, node,
// node label, bundle version or a list; nodes by organization, label or a list), fix them in the
// rollout's record, and start its run through the job kernel; then pause, resume or cancel it. Each
// target's work is its own job, recorded by the run (activities/fleet-rollouts.ts) with the same checks
// as a single request from its page.
import { and, asc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { instances, nodes, rolloutControls, type RolloutControl } from '../../db/schema.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.ts';
import { ACTIVE_STATES, type JobOutput } from '../jobs/job-output.ts';
import { approvalTerms, getJob, startJob } from '../jobs/service.ts';
import { getTemporalClient } from '../temporal-client.ts';
import { loadConfig } from '../../infra/config.ts';
import { cancelRolloutUpdate, pauseRolloutUpdate, resumeRolloutUpdate } from '../../workflows/fleet-rollout.ts';
import { ROLLOUT_ACTION_KEYS, ROLLOUT_ACTIONS } from './actions.ts';
import { bulkJob, ROLLOUT_JOB_TYPES, rolloutJob, type RolloutParams } from './job-types.ts';

/** More targets than any MSP's fleet today, few enough that the rollout's record stays one row. */
export const MAX_TARGETS = 1000;

const count = (field: string, min: number, max: number, fallback: number) =>
  z.coerce
    .number(`${field} must be a number`)
    .int(`${field} must be a whole number`)
    .min(min, `${field} must be ${min}-${max}`)
    .max(max, `${field} must be ${min}-${max}`)
    .default(fallback);
const ids = (field: string) =>
  z
    .array(z.string().uuid(`each of ${field} must be a UUID`), `${field} must be a list of ids`)
    .min(1, `${field} must name at least one`)
    .max(MAX_TARGETS, `at most ${MAX_TARGETS} ${field}`)
    .optional();

export const RolloutInput = z.object({
  action: z.enum(ROLLOUT_ACTION_KEYS, `action must be one of: ${ROLLOUT_ACTION_KEYS.join(', ')}`),
  organizationId: z.string().uuid('organizationId must be a UUID').optional().describe('Only targets of this organization'),
  nodeId: z.string().uuid('nodeId must be a UUID').optional().describe('Only instances on this node (or only this node)'),
  label: z.string().trim().min(1).max(60, 'label is too long').optional().describe('Only nodes with this label (and their instances)'),
  version: z.string().trim().min(1).max(60, 'version is too long').optional().describe('Only instances running this bundle version'),
  instanceIds: ids('instanceIds').describe('Only these instances'),
  nodeIds: ids('nodeIds').describe('Only these nodes'),
  batchSize: count('batchSize', 1, 50, 2),
  canarySize: count('canarySize', 0, 50, 1),
  pauseSeconds: count('pauseSeconds', 0, 86_400, 0),
  maxFailuresPerBatch: count('maxFailuresPerBatch', 1, 50, 1),
  maxFailureRatio: z.coerce.number('maxFailureRatio must be a number').min(0, 'maxFailureRatio must be 0-1').max(1, 'maxFailureRatio must be 0-1').default(0.5),
  secondApproval: z.boolean('secondApproval must be true or false').default(false),
  toVersion: z
    .string()
    .trim()
    .min(1)
    .max(60, 'toVersion is too long')
    .optional()
    .describe('For action upgrade: the bundle version each instance moves to (GET /system/bundle-versions)'),
});
export type RolloutInput = z.infer<typeof RolloutInput>;

type Target = RolloutParams['targets'][number];

/** The targets the selection names now, in a stable order (node, then name). */
async function pickTargets(ctx: ServiceContext, q: RolloutInput, kind: 'instance' | 'node'): Promise<Target[]> {
  const nodeFilters = [
    q.label ? sql`${nodes.labels} ? ${q.label}` : undefined,
    q.nodeIds ? inArray(nodes.id, q.nodeIds) : undefined,
    q.nodeId ? eq(nodes.id, q.nodeId) : undefined,
  ];
  if (kind === 'node') {
    return ctx.db
      .select({ id: nodes.id, name: nodes.name, nodeId: nodes.id, organizationId: nodes.organizationId })
      .from(nodes)
      .where(and(isNull(nodes.revokedAt), isNotNull(nodes.agentPublicKey), q.organizationId ? eq(nodes.organizationId, q.organizationId) : undefined, ...nodeFilters))
      .orderBy(asc(nodes.name), asc(nodes.id))
      .limit(MAX_TARGETS + 1);
  }
  return ctx.db
    .select({ id: instances.id, name: instances.name, nodeId: instances.nodeId, organizationId: instances.organizationId })
    .from(instances)
    .innerJoin(nodes, eq(nodes.id, instances.nodeId))
    .where(
      and(
        eq(instances.state, 'managed'),
        q.organizationId ? eq(instances.organizationId, q.organizationId) : undefined,
        q.version ? eq(instances.bundleVersion, q.version) : undefined,
        // An upgrade's targets already on its version have nothing to do: left out, not failed.
        q.toVersion ? sql`${instances.bundleVersion} is distinct from ${q.toVersion}` : undefined,
        q.instanceIds ? inArray(instances.id, q.instanceIds) : undefined,
        ...nodeFilters,
      ),
    )
    .orderBy(asc(nodes.name), asc(instances.name), asc(instances.id))
    .limit(MAX_TARGETS + 1);
}

/** Starts a rollout (an action that changes machines: one typed approval for all) or a bulk action (reads: none). */
export async function requestRollout(ctx: ServiceContext, input: unknown): Promise<JobOutput> {
  const own = { organizationId: ctx.actor.organizationId, type: 'organization', id: ctx.actor.organizationId };
  await authorize(ctx, 'fleet.rollout', own);
  const q = parseInput(RolloutInput, input ?? {});
  const action = ROLLOUT_ACTIONS[q.action]!;
  if (action.targets === 'node' && (q.version || q.instanceIds))
    throw new InvalidInputError({ action: `${q.action} acts on nodes: pick them by organization, node, label or nodeIds` });
  action.checkOptions?.({ toVersion: q.toVersion });
  if (q.toVersion && !action.checkOptions) throw new InvalidInputError({ toVersion: `a ${action.label.toLowerCase()} takes no version` });
  if (q.secondApproval && !action.approval) throw new InvalidInputError({ secondApproval: `a ${action.label.toLowerCase()} needs no approval, so none after the canary either` });
  const targets = await pickTargets(ctx, q, action.targets);
  if (!targets.length) throw new InvalidInputError({ action: `no ${action.targets === 'node' ? 'enrolled node' : 'managed instance'} matches this selection` });
  if (targets.length > MAX_TARGETS) throw new InvalidInputError({ action: `the selection has more than ${MAX_TARGETS} targets: narrow it` });

  const { action: key, batchSize, canarySize, pauseSeconds, maxFailuresPerBatch, maxFailureRatio, secondApproval, toVersion, ...selection } = q;
  const options = toVersion ? { toVersion } : {};
  const settings = { batchSize, canarySize, pauseSeconds, maxFailuresPerBatch, maxFailureRatio, secondApproval };
  const jobId = crypto.randomUUID();
  const params: RolloutParams = { action: key, selection, settings, options, targets, count: targets.length };
  const args = { jobId, action: key, targets: targets.map((t) => ({ id: t.id, name: t.name })), settings, continueAfterEvents: loadConfig().ROLLOUT_CONTINUE_AFTER_EVENTS };
  const base = { id: jobId, organizationId: ctx.actor.organizationId, params: params as unknown as Record<string, unknown> };
  if (!action.approval) return startJob(ctx, bulkJob, { ...base, args });
  const phrase = action.phrase(targets.length, options);
  return startJob(ctx, rolloutJob, { ...base, phrase, args: { ...args, ...(await approvalTerms(ctx, ctx.actor.organizationId, phrase)) } });
}

const UPDATES = { pause: pauseRolloutUpdate, resume: resumeRolloutUpdate, cancel: cancelRolloutUpdate } as const;
const CONTROL: Record<keyof typeof UPDATES, RolloutControl> = { pause: 'pause', resume: 'run', cancel: 'cancel' };

/**
 * Pauses, resumes or cancels a rollout: the request is recorded (and audited) in Postgres first, then the
 * run is nudged with an Update and reads it from there. A pause or cancel takes effect before the next
 * batch (a started target always finishes); a paused rollout that misses the nudge reads it within minutes.
 */
export async function controlRollout(ctx: ServiceContext, id: string, what: keyof typeof UPDATES): Promise<JobOutput> {
  const job = await getJob(ctx, id);
  if (!ROLLOUT_JOB_TYPES.includes(job.type)) throw new NotFoundError('rollout');
  await authorize(ctx, 'fleet.control', { organizationId: job.organizationId, type: 'job', id: job.id });
  if (!(ACTIVE_STATES as readonly string[]).includes(job.state)) throw new ConflictError('id', `This rollout is ${job.state.replaceAll('_', ' ')}: there is nothing to ${what}.`);
  const values = { control: CONTROL[what], changedBy: ctx.actor.userId, changedAt: new Date() };
  await ctx.db.transaction(async (tx) => {
    await tx
      .insert(rolloutControls)
      .values({ jobId: job.id, ...values })
      .onConflictDoUpdate({ target: rolloutControls.jobId, set: values });
    await recordSuccess(tx, ctx.actor, `fleet.rollout.${what}`, auditTarget('job', job), { type: job.type });
  });
  const client = await getTemporalClient().catch(() => null);
  // Recorded either way: the run reads it before its next batch, or within minutes while paused.
  await client?.workflow
    .getHandle(job.workflowId)
    .executeUpdate(UPDATES[what])
    .catch(() => undefined);
  return getJob(ctx, id);
}

/** What people last asked of a rollout ("run" when nobody asked anything), for its page: the run acts on it before its next batch. */
export async function getRolloutControl(ctx: ServiceContext, id: string): Promise<RolloutControl> {
  const job = await getJob(ctx, id);
  const [row] = await ctx.db.select({ control: rolloutControls.control }).from(rolloutControls).where(eq(rolloutControls.jobId, job.id));
  return row?.control ?? 'run';
}
