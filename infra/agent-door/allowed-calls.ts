// What an agent may ask Temporal through the door: what an activity worker on its own queue needs, and
// nothing else. Seen from a real agent (SDK 1.24) through the door: GetSystemInfo and DescribeNamespace
// at connect, PollActivityTaskQueue on its queue, RecordActivityTaskHeartbeat and
// RespondActivityTask{Completed,Failed,Canceled} for the tasks it runs, ShutdownWorker when it stops. The
// SDK also sends RecordWorkerHeartbeat to a server that supports worker heartbeats, and `agent-worker
// status` describes its own queue (DescribeTaskQueue) to learn whether the agent can poll. Every other
// method of every service (start, signal, query, list, describe a workflow, history, workflow tasks, other
// queues, the *ById completions, the operator service) is refused.
import proto from '@temporalio/proto';
import { nodeTaskQueue } from '../../workflows/task-queues.ts';

const v1 = proto.temporal.api.workflowservice.v1;
const { DescribeTaskQueueMode, TaskQueueKind } = proto.temporal.api.enums.v1;

export const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';

export interface Caller {
  nodeId: string;
  namespace: string;
}

export type Admission = { refused: string } | { admitted: true; taskToken?: Uint8Array };

export interface CallRule {
  admit(request: Buffer, caller: Caller): Admission;
  /**
   * What the call does with a task: `hand` answers with one (the door remembers its token for the
   * caller), `hold` and `settle` name one the caller must have been handed (`settle` ends it).
   */
  task?: 'hand' | 'hold' | 'settle';
}

const admitted: Admission = { admitted: true };

const inNamespace = (namespace: string, caller: Caller) =>
  namespace === caller.namespace ? undefined : `namespace "${namespace}" is not the agents' namespace "${caller.namespace}"`;

const ownQueue = (queue: string | null | undefined, caller: Caller, what: string) =>
  queue === nodeTaskQueue(caller.nodeId) ? undefined : `${what} "${queue ?? ''}" is not this node's queue ${nodeTaskQueue(caller.nodeId)}`;

/** A rule whose request is decoded by `decode` and checked by the reasons `refuse` returns (the first wins). */
function rule<T>(decode: (b: Buffer) => T, refuse: (r: T, caller: Caller) => (string | undefined)[], token?: (r: T) => Uint8Array, task?: CallRule['task']): CallRule {
  return {
    task,
    admit(request, caller) {
      let decoded: T;
      try {
        decoded = decode(request);
      } catch {
        return { refused: 'the request is not a valid message of its method' };
      }
      const reason = refuse(decoded, caller).find((r) => r !== undefined);
      if (reason) return { refused: reason };
      if (!token) return admitted;
      const taskToken = token(decoded);
      return taskToken.length ? { admitted: true, taskToken } : { refused: 'the request names no task token' };
    },
  };
}

const completion = <T extends { namespace?: string | null; taskToken?: Uint8Array | null }>(decode: (b: Buffer) => T, task: 'hold' | 'settle') =>
  rule(
    decode,
    (r, c) => [inNamespace(r.namespace ?? '', c)],
    (r) => r.taskToken ?? new Uint8Array(),
    task,
  );

/** The allowed methods of WorkflowService, by name. */
export const ALLOWED_CALLS: Readonly<Record<string, CallRule>> = {
  GetSystemInfo: { admit: () => admitted },
  DescribeNamespace: rule(
    (b) => v1.DescribeNamespaceRequest.decode(b),
    (r, c) => [r.id ? 'namespaces are described by name only' : undefined, inNamespace(r.namespace, c)],
  ),
  PollActivityTaskQueue: rule(
    (b) => v1.PollActivityTaskQueueRequest.decode(b),
    (r, c) => [
      inNamespace(r.namespace, c),
      ownQueue(r.taskQueue?.name, c, 'task queue'),
      r.taskQueue?.kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY ? 'sticky queues are for workflow workers' : undefined,
    ],
    undefined,
    'hand',
  ),
  // `agent-worker status`'s proof that the agent can poll: a read of its own queue (its pollers), in the
  // classic mode, which describes that one queue and nothing of other queues or build ids.
  DescribeTaskQueue: rule(
    (b) => v1.DescribeTaskQueueRequest.decode(b),
    (r, c) => [
      inNamespace(r.namespace, c),
      ownQueue(r.taskQueue?.name, c, 'task queue'),
      r.taskQueue?.kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY ? 'an agent has no sticky queue' : undefined,
      r.apiMode !== DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_UNSPECIFIED || r.versions || r.taskQueueTypes.length
        ? 'only the classic description of the queue (its pollers) is for agents'
        : undefined,
    ],
  ),
  RecordActivityTaskHeartbeat: completion((b) => v1.RecordActivityTaskHeartbeatRequest.decode(b), 'hold'),
  RespondActivityTaskCompleted: completion((b) => v1.RespondActivityTaskCompletedRequest.decode(b), 'settle'),
  RespondActivityTaskFailed: completion((b) => v1.RespondActivityTaskFailedRequest.decode(b), 'settle'),
  RespondActivityTaskCanceled: completion((b) => v1.RespondActivityTaskCanceledRequest.decode(b), 'settle'),
  // The worker's goodbye, and its periodic status where the server asks for it: about its own queue only.
  ShutdownWorker: rule(
    (b) => v1.ShutdownWorkerRequest.decode(b),
    (r, c) => [
      inNamespace(r.namespace, c),
      r.stickyTaskQueue ? 'an agent has no sticky queue to shut down' : undefined,
      r.taskQueue ? ownQueue(r.taskQueue, c, 'task queue') : undefined,
      r.workerHeartbeat?.taskQueue ? ownQueue(r.workerHeartbeat.taskQueue, c, 'worker heartbeat for queue') : undefined,
    ],
  ),
  RecordWorkerHeartbeat: rule(
    (b) => v1.RecordWorkerHeartbeatRequest.decode(b),
    (r, c) => [inNamespace(r.namespace, c), ...(r.workerHeartbeat ?? []).map((h) => ownQueue(h.taskQueue, c, 'worker heartbeat for queue'))],
  ),
};

/** The rule for a full method path (`/package.Service/Method`), or why there is none. */
export function ruleFor(path: string): CallRule | { refused: string } {
  const [, service, method] = /^\/([^/]+)\/([^/]+)$/.exec(path) ?? [];
  if (service === WORKFLOW_SERVICE && method && Object.hasOwn(ALLOWED_CALLS, method)) return ALLOWED_CALLS[method]!;
  return { refused: 'not a call an activity worker on its own queue makes' };
}

/** How long the attempt a poll response hands out may run: its start-to-close (else schedule-to-close) timeout. */
type DurationLike = { seconds?: unknown; nanos?: number | null } | null | undefined; // seconds: a Long, or a number
export function attemptMs(response: { startToCloseTimeout?: DurationLike; scheduleToCloseTimeout?: DurationLike }): number | undefined {
  const ms = (d: DurationLike) => (d ? Number(d.seconds ?? 0) * 1000 + Math.ceil((d.nanos ?? 0) / 1e6) : 0);
  const limits = [ms(response.startToCloseTimeout), ms(response.scheduleToCloseTimeout)].filter((n) => n > 0);
  return limits.length ? Math.min(...limits) : undefined;
}

export const decodePollResponse = (b: Buffer) => v1.PollActivityTaskQueueResponse.decode(b);

/** A failure of the task the door will not hand to a closed agent, so the attempt ends now, not at its timeout. */
export function releaseRequest(namespace: string, taskToken: Uint8Array, why: string): Buffer {
  return Buffer.from(
    v1.RespondActivityTaskFailedRequest.encode({
      namespace,
      taskToken,
      identity: 'agent-door',
      failure: { message: why, source: 'agent-door', applicationFailureInfo: { type: 'AgentDoorClosed', nonRetryable: false } },
    }).finish(),
  );
}
