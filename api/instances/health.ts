// An instance's health as lists show it: the last health check's verdict and each container's state,
// summarised from the report a job recorded (activities/jobs.ts, recordInstanceHealth). One summary for the
// node page, the Instances page and the API, so "healthy" means the same everywhere.
import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { instances } from '../../db/schema.ts';

/** healthy / unhealthy: the last check's verdict; unknown: never checked (every discovered instance). */
export const HEALTH_STATUSES = ['healthy', 'unhealthy', 'unknown'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export const InstanceHealthSummary = z
  .object({
    healthy: z.boolean().nullable(),
    gateway: z.string().nullable().describe('the gateway container’s state at the check'),
    cli: z.string().nullable().describe('the openclaw-cli helper’s state at the check'),
    checkedAt: z.string(),
  })
  .describe('The last health check, summarised; null when the instance was never checked');
export type InstanceHealthSummary = z.infer<typeof InstanceHealthSummary>;

/** The summary of a recorded health report (null: never checked). */
export function healthSummary(health: Record<string, unknown> | null, at: Date): InstanceHealthSummary | null {
  if (!health) return null;
  const state = (c: unknown) => (c && typeof c === 'object' && typeof (c as { state?: unknown }).state === 'string' ? (c as { state: string }).state : null);
  return { healthy: typeof health.healthy === 'boolean' ? health.healthy : null, gateway: state(health.gateway), cli: state(health.cli), checkedAt: at.toISOString() };
}

export const healthStatusOf = (summary: InstanceHealthSummary | null): HealthStatus =>
  summary?.healthy === true ? 'healthy' : summary?.healthy === false ? 'unhealthy' : 'unknown';

/** The same verdict as healthStatusOf, as a condition on the instances table (for filters and counts). */
export function healthIs(status: HealthStatus): SQL {
  const verdict = sql`${instances.health}->'healthy'`;
  if (status === 'healthy') return sql`${verdict} = 'true'::jsonb`;
  if (status === 'unhealthy') return sql`${verdict} = 'false'::jsonb`;
  return sql`(${instances.health} is null or jsonb_typeof(${verdict}) is distinct from 'boolean')`;
}
