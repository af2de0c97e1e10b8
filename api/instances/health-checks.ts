// "Check health" for many managed instances at once (the Instances page): one health_check job each,
// through requestHealthCheck, so each is authorized, checked and policy-enforced exactly like a single
// request. One instance's refusal (not managed, another job under way, a policy block) does not stop the
// others: the outcome lists what started and what was refused, with the reason.
import { inArray } from 'drizzle-orm';
import { z } from 'zod';
import { instances } from '../../db/schema.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { AppError, parseInput, PolicyBlockedError } from '../errors.ts';
import { requestHealthCheck } from './service.ts';

/** More than a page of the Instances page shows, fewer than would keep one request waiting on Temporal for long. */
export const MAX_HEALTH_CHECKS = 100;

export const HealthChecksInput = z.object({
  instanceIds: z
    .array(z.string().uuid('each of instanceIds must be a UUID'), 'instanceIds must be a list of instance ids')
    .min(1, 'choose at least one instance')
    .max(MAX_HEALTH_CHECKS, `at most ${MAX_HEALTH_CHECKS} instances at once`),
});

export interface HealthChecksOutcome {
  started: { instanceId: string; instanceName: string; jobId: string }[];
  refused: { instanceId: string; instanceName: string | null; reason: string; rule: string | null }[];
}

export async function requestHealthChecks(ctx: ServiceContext, input: unknown): Promise<HealthChecksOutcome> {
  const ids = [...new Set(parseInput(HealthChecksInput, input ?? {}).instanceIds)];
  const found = new Map((await ctx.db.select().from(instances).where(inArray(instances.id, ids))).map((i) => [i.id, i]));
  // Every instance is authorized before any job starts: a request naming another organization's instance
  // is "not found" as a whole, and starts nothing.
  for (const i of found.values()) await authorize(ctx, 'instance.check', { organizationId: i.organizationId, type: 'instance', id: i.id });
  const outcome: HealthChecksOutcome = { started: [], refused: [] };
  for (const id of ids) {
    const instance = found.get(id);
    if (!instance) {
      outcome.refused.push({ instanceId: id, instanceName: null, reason: 'No such instance (it may have been removed).', rule: null });
      continue;
    }
    try {
      const job = await requestHealthCheck(ctx, id);
      outcome.started.push({ instanceId: id, instanceName: instance.name, jobId: job.id });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      outcome.refused.push({ instanceId: id, instanceName: instance.name, reason: err.message, rule: err instanceof PolicyBlockedError ? err.rule : null });
    }
  }
  return outcome;
}
