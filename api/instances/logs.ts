// A managed instance's logs for the console and the API: read on its node by a short workflow run,
// redacted there. MSP staff only; each read (not each follow-mode refresh) is audited.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { LogsOutput } from '../../protocol/node-actions.ts';
import { instances, nodes } from '../../db/schema.ts';
import type { readInstanceLogs } from '../../workflows/read-instance-logs.ts';
import { startJob } from '../jobs/service.ts';
import { readLogsJob } from './job-types.ts';
import { auditTarget, recordSuccess } from '../audit/record.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, NotFoundError, parseInput, UnavailableError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { getTemporalClient } from '../temporal-client.ts';

export const LogsQuery = z.object({
  container: z.enum(['gateway', 'cli'], 'container must be gateway or cli').default('gateway'),
  tail: z.coerce.number('tail must be a number').int('tail must be a whole number').min(1, 'tail must be 1-2000').max(2000, 'tail must be 1-2000').default(200),
  since: z.coerce.number('since must be a Unix time in seconds').int().positive('since must be a Unix time in seconds').optional(),
  follow: z.enum(['0', '1']).optional(),
});
export const LogsResponse = z.object({
  instanceName: z.string(),
  container: z.enum(['gateway', 'cli']),
  lines: z.array(z.object({ at: z.string(), stream: z.enum(['stdout', 'stderr']), text: z.string() })),
  truncated: z.boolean(),
});
export type LogsResponse = z.infer<typeof LogsResponse>;

/**
 * How long a read waits for the node's agent to pick it up. The node is online (checked first), so its
 * agent polls all the time: a few seconds without an answer mean it is not there; the caller gets a 503
 * with Retry-After instead of a request held open.
 */
export const LOGS_NODE_WAIT_SECONDS = 5;
/** The whole read, however it goes (say the control plane's worker is down): the caller is answered then. */
const LOGS_DEADLINE_SECONDS = 20;
const LOGS_RETRY_AFTER_SECONDS = 10;

type Failure = { message: string; type?: string; cause?: unknown };
/** The innermost failure of a run (workflow → activity → application failure): the one that says why. */
function rootCause(err: unknown): Failure {
  let failure = err as Failure;
  while (failure.cause && typeof failure.cause === 'object' && typeof (failure.cause as Failure).message === 'string') failure = failure.cause as Failure;
  return failure;
}

export async function getInstanceLogs(ctx: ServiceContext, instanceId: string, query: unknown): Promise<LogsResponse> {
  if (!isUuid(instanceId)) throw new NotFoundError('instance');
  const [instance] = await ctx.db.select().from(instances).where(eq(instances.id, instanceId));
  if (!instance) throw new NotFoundError('instance');
  await authorize(ctx, 'instance.logs', { organizationId: instance.organizationId, type: 'instance', id: instance.id });
  const q = parseInput(LogsQuery, query ?? {});
  // Logs are read on the machine right now: say so at once when its agent is not there to read them.
  const [node] = await ctx.db.select({ name: nodes.name, status: nodes.status }).from(nodes).where(eq(nodes.id, instance.nodeId));
  if (node?.status !== 'online') throw new ConflictError('id', `Node ${node?.name ?? '?'} is ${node?.status ?? 'gone'}: logs are read on the machine, by its agent.`);
  const containerId = instance.containerIds[q.container === 'gateway' ? 0 : 1];
  if (!containerId) throw new ConflictError('container', `Instance ${instance.name} has no ${q.container} container.`);
  let output: LogsOutput;
  try {
    const client = await getTemporalClient();
    // A job, like every step on a node (ADR 0010): its row is what lets the control plane sign the read.
    const jobId = crypto.randomUUID();
    const job = await startJob(ctx, readLogsJob, {
      id: jobId,
      node: { id: instance.nodeId, name: node.name },
      organizationId: instance.organizationId,
      instanceId: instance.id,
      params: { instanceName: instance.name, container: q.container, tail: q.tail },
      args: { jobId, nodeId: instance.nodeId, containerId, tail: q.tail, ...(q.since ? { since: q.since } : {}), nodeWaitSeconds: LOGS_NODE_WAIT_SECONDS },
    });
    let timer: NodeJS.Timeout | undefined;
    output = await Promise.race([
      client.workflow.getHandle<typeof readInstanceLogs>(job.workflowId).result(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the read took longer than ${LOGS_DEADLINE_SECONDS} s`)), LOGS_DEADLINE_SECONDS * 1000);
      }),
    ]).finally(() => clearTimeout(timer));
  } catch (err) {
    const cause = rootCause(err);
    if (cause.type === 'NodeOffline') {
      throw new UnavailableError(
        `No agent on node ${node.name} picked up the request within ${LOGS_NODE_WAIT_SECONDS} s: the agent may be stopped or busy. Try again shortly.`,
        LOGS_RETRY_AFTER_SECONDS,
      );
    }
    throw new UnavailableError(`The logs could not be read: ${cause.message.replace(/\.$/, '')}.`, LOGS_RETRY_AFTER_SECONDS);
  }
  if (q.follow !== '1') {
    await recordSuccess(ctx.db, ctx.actor, 'instance.logs', auditTarget('instance', instance), { container: q.container, tail: q.tail, lines: output.lines.length });
  }
  return { instanceName: instance.name, container: q.container, ...output };
}
