// An instance's health over time: each health check's verdict (a check job, or the before and after of a
// restart), from the audit trail (api/history/audited-history.ts). Whoever may see the instance reads it.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { instances } from '../../db/schema.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { NotFoundError, parseInput } from '../errors.ts';
import { auditedHistory } from '../history/audited-history.ts';
import { isUuid } from '../ids.ts';
import { PageQuery } from '../pagination.ts';

export const HealthRecord = z.object({
  at: z.string(),
  healthy: z.boolean(),
  jobId: z.string().nullable().describe('The job that checked it'),
  by: z.string().describe('What checked it (the job’s type)'),
});

export async function getInstanceHealthHistory(ctx: ServiceContext, id: string, query: unknown) {
  if (!isUuid(id)) throw new NotFoundError('instance');
  const [instance] = await ctx.db.select({ organizationId: instances.organizationId }).from(instances).where(eq(instances.id, id));
  if (!instance) throw new NotFoundError('instance');
  await authorize(ctx, 'instance.view', { organizationId: instance.organizationId, type: 'instance', id });
  const page = await auditedHistory(ctx.db, { type: 'instance', id }, 'instance.health', parseInput(PageQuery, query ?? {}));
  return {
    items: page.items.map((e) => ({
      at: e.at.toISOString(),
      healthy: e.outcome === 'success',
      jobId: typeof e.details.jobId === 'string' ? e.details.jobId : null,
      by: e.actorLabel,
    })),
    nextCursor: page.nextCursor,
  };
}
