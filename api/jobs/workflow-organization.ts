// Whose data a workflow run carries, from its workflow id alone (all the payload codec is told, ADR 0016):
// a job's run (`<type>-<job id>`) is its job's organization, a node's monitor (`node-monitor.<node id>`)
// its node's, a schedule's run (`scheduled-run-<schedule id>`, Temporal appending the time) its schedule's. A workflow id is never reused for another organization (jobs.workflow_id is unique, a
// node's organization never changes), so an answer is cached for the process's life.
import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { jobs, nodes, schedules } from '../../db/schema.ts';
import { isUuid } from '../ids.ts';

export const NODE_MONITOR_ID_PREFIX = 'node-monitor.';
export const SCHEDULED_RUN_ID_PREFIX = 'scheduled-run-';

const MAX_CACHED = 10_000;
const cache = new Map<string, string>();

/** The organization of the run `workflowId`, or undefined for a workflow id no job or node has. */
export async function organizationOfWorkflow(db: Executor, workflowId: string): Promise<string | undefined> {
  const hit = cache.get(workflowId);
  if (hit) return hit;
  const nodeId = workflowId.startsWith(NODE_MONITOR_ID_PREFIX) ? workflowId.slice(NODE_MONITOR_ID_PREFIX.length) : undefined;
  if (nodeId !== undefined && !isUuid(nodeId)) return undefined;
  const scheduleId = workflowId.startsWith(SCHEDULED_RUN_ID_PREFIX) ? workflowId.slice(SCHEDULED_RUN_ID_PREFIX.length, SCHEDULED_RUN_ID_PREFIX.length + 36) : undefined;
  if (scheduleId !== undefined && !isUuid(scheduleId)) return undefined;
  const [row] = nodeId
    ? await db.select({ organizationId: nodes.organizationId }).from(nodes).where(eq(nodes.id, nodeId))
    : scheduleId
      ? await db.select({ organizationId: schedules.organizationId }).from(schedules).where(eq(schedules.id, scheduleId))
      : await db.select({ organizationId: jobs.organizationId }).from(jobs).where(eq(jobs.workflowId, workflowId));
  if (!row) return undefined;
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(workflowId, row.organizationId);
  return row.organizationId;
}
