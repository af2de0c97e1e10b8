// Asking the policy engine: `checkPolicy` answers the console's and the API's "check" form; `enforcePolicy`
// is what every request that runs a capability's action calls before anything starts: blocked → refused
// (403 with the rule) and audited; otherwise the run counts towards the permission's usage limits.
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { capabilityUsage, connections, instances } from '../../db/schema.ts';
import { recordDenied } from '../audit/record.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { NotFoundError, parseInput, PolicyBlockedError } from '../errors.ts';
import { ApprovalPolicyOutput } from '../permissions/service.ts';
import { decide, type Verdict } from './engine.ts';
import { loadFacts, type PolicyQuestion } from './facts.ts';

export const PolicyCheckInput = z.object({
  organizationId: z.string('organizationId is required').uuid('organizationId must be a UUID'),
  capabilityKey: z.string('capabilityKey is required').trim().min(1, 'capabilityKey is required').max(200, 'capabilityKey is at most 200 characters'),
  action: z.string('action is required').trim().min(1, 'action is required').max(200, 'action is at most 200 characters'),
  instanceId: z.string().uuid('instanceId must be a UUID').optional(),
  connectionId: z.string().uuid('connectionId must be a UUID').optional().describe('The connection the action goes through; default the organization’s connection to the provider'),
});

export const VerdictOutput = z.object({
  outcome: z.enum(['allowed', 'needs_confirmation', 'blocked']),
  rule: z.string().optional().describe('The rule that blocked it (blocked only)'),
  risk: z.enum(['low', 'medium', 'high', 'critical']).optional(),
  sentence: z.string(),
  approval: ApprovalPolicyOutput.optional(),
  usage: z.object({ lastHour: z.number().int(), lastDay: z.number().int() }),
  permissionSource: z.enum(['organization', 'default']).nullable().describe('Whose permission applied: the organization’s own, or the catalogue’s built-in default'),
});
export type VerdictOutput = z.infer<typeof VerdictOutput>;

/** What the engine would answer now (nothing is counted or recorded). */
export async function checkPolicy(ctx: ServiceContext, input: unknown): Promise<VerdictOutput> {
  const q = parseInput(PolicyCheckInput, input ?? {});
  await authorize(ctx, 'policy.check', { organizationId: q.organizationId, type: 'organization', id: q.organizationId });
  let instance: { id: string; name: string } | undefined;
  if (q.instanceId) {
    const [row] = await ctx.db.select({ id: instances.id, name: instances.name, organizationId: instances.organizationId }).from(instances).where(eq(instances.id, q.instanceId));
    if (!row || row.organizationId !== q.organizationId) throw new NotFoundError('instance in that organization');
    instance = row;
  }
  if (q.connectionId) {
    const [row] = await ctx.db.select({ organizationId: connections.organizationId }).from(connections).where(eq(connections.id, q.connectionId));
    if (!row || row.organizationId !== q.organizationId) throw new NotFoundError('connection in that organization');
  }
  const facts = await loadFacts(ctx.db, { ...q, instance });
  return { ...decide(facts), usage: facts.usage, permissionSource: facts.permission?.source ?? null };
}

/**
 * Decides, and refuses a blocked request (audited, PolicyBlockedError). An allowed or confirmable run is
 * counted at once, under a lock per organization and capability, so two requests cannot both take the last run.
 */
export async function enforcePolicy(
  ctx: ServiceContext,
  q: PolicyQuestion & { jobId?: string; on?: { type: string; id: string } },
): Promise<Exclude<Verdict, { outcome: 'blocked' }>> {
  const verdict = await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`capability_usage:${q.organizationId}:${q.capabilityKey}`}))`);
    const facts = await loadFacts(tx, q);
    const v = decide(facts);
    if (v.outcome !== 'blocked' && facts.capabilityId) {
      await tx.insert(capabilityUsage).values({ organizationId: q.organizationId, capabilityId: facts.capabilityId, action: q.action, jobId: q.jobId ?? null });
    }
    return v;
  });
  if (verdict.outcome !== 'blocked') return verdict;
  // The record the request acts on, for the audit trail (an instance's job need not be narrowed by its attachments).
  const target = q.on ?? (q.instance ? { type: 'instance', id: q.instance.id } : { type: 'organization', id: q.organizationId });
  await recordDenied(ctx.db, ctx.actor, 'policy.enforce', { ...target, organizationId: q.organizationId }, verdict.sentence, {
    rule: verdict.rule,
    capability: q.capabilityKey,
    capabilityAction: q.action,
    // The job it was asked for (a refused job is never created; a run's refused step names its run, so the
    // customer report lists that block once: api/reports/service.ts).
    ...(q.jobId ? { jobId: q.jobId } : {}),
  });
  throw new PolicyBlockedError(verdict.rule, verdict.sentence);
}
