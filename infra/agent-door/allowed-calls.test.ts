import { describe, expect, it } from '@jest/globals';
import proto from '@temporalio/proto';
import { attemptMs, ruleFor, WORKFLOW_SERVICE, type Admission, type CallRule } from './allowed-calls.ts';

const v1 = proto.temporal.api.workflowservice.v1;
const { TaskQueueKind } = proto.temporal.api.enums.v1;
const caller = { nodeId: '11111111-1111-4111-8111-111111111111', namespace: 'default' };
const own = `node.${caller.nodeId}`;

const admit = (method: string, request: Uint8Array): Admission => {
  const rule = ruleFor(`/${WORKFLOW_SERVICE}/${method}`);
  if ('refused' in rule) return rule;
  return (rule as CallRule).admit(Buffer.from(request), caller);
};
const reasonOf = (a: Admission) => ('refused' in a ? a.refused : undefined);

describe('the calls an agent may make', () => {
  it("refuses every method outside the activity worker's few, and every other service", () => {
    for (const method of [
      'StartWorkflowExecution',
      'SignalWorkflowExecution',
      'SignalWithStartWorkflowExecution',
      'ListWorkflowExecutions',
      'DescribeWorkflowExecution',
      'GetWorkflowExecutionHistory',
      'QueryWorkflow',
      'PollWorkflowTaskQueue',
      'RespondActivityTaskCompletedById',
      'RecordActivityTaskHeartbeatById',
      'PollNexusTaskQueue',
      'TerminateWorkflowExecution',
      'UpdateNamespace',
    ]) {
      expect(ruleFor(`/${WORKFLOW_SERVICE}/${method}`)).toEqual({ refused: 'not a call an activity worker on its own queue makes' });
    }
    expect(ruleFor('/temporal.api.operatorservice.v1.OperatorService/ListSearchAttributes')).toHaveProperty('refused');
    expect(ruleFor(`/${WORKFLOW_SERVICE}/toString`)).toHaveProperty('refused');
    expect(ruleFor(`/${WORKFLOW_SERVICE}/__proto__`)).toHaveProperty('refused');
  });

  it('lets an agent poll its own queue only, in its namespace, never a sticky queue', () => {
    const poll = (name: string, namespace = 'default', kind = TaskQueueKind.TASK_QUEUE_KIND_NORMAL) =>
      admit('PollActivityTaskQueue', v1.PollActivityTaskQueueRequest.encode({ namespace, taskQueue: { name, kind } }).finish());
    expect(poll(own)).toEqual({ admitted: true });
    expect(reasonOf(poll('node.22222222-2222-4222-8222-222222222222'))).toBe(`task queue "node.22222222-2222-4222-8222-222222222222" is not this node's queue ${own}`);
    expect(reasonOf(poll('control-plane'))).toMatch(/is not this node's queue/);
    expect(reasonOf(poll(own, 'other'))).toBe('namespace "other" is not the agents\' namespace "default"');
    expect(reasonOf(poll(own, 'default', TaskQueueKind.TASK_QUEUE_KIND_STICKY))).toBe('sticky queues are for workflow workers');
    expect(reasonOf(admit('PollActivityTaskQueue', Uint8Array.from([0xff, 0xff, 0xff])))).toBe('the request is not a valid message of its method');
  });

  it('lets an agent describe its own queue only, in the classic mode, which tells its pollers and nothing else', () => {
    const { DescribeTaskQueueMode, TaskQueueType } = proto.temporal.api.enums.v1;
    const describe = (request: Parameters<typeof v1.DescribeTaskQueueRequest.encode>[0]) =>
      admit('DescribeTaskQueue', v1.DescribeTaskQueueRequest.encode({ namespace: 'default', ...request }).finish());
    expect(describe({ taskQueue: { name: own }, taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY })).toEqual({ admitted: true });
    const other = 'node.22222222-2222-4222-8222-222222222222';
    expect(reasonOf(describe({ taskQueue: { name: other } }))).toBe(`task queue "${other}" is not this node's queue ${own}`);
    expect(reasonOf(describe({ taskQueue: { name: 'control-plane' } }))).toMatch(/is not this node's queue/);
    expect(reasonOf(describe({ namespace: 'other', taskQueue: { name: own } }))).toBe('namespace "other" is not the agents\' namespace "default"');
    expect(reasonOf(describe({ taskQueue: { name: own, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY } }))).toBe('an agent has no sticky queue');
    const classicOnly = 'only the classic description of the queue (its pollers) is for agents';
    expect(reasonOf(describe({ taskQueue: { name: own }, apiMode: DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED }))).toBe(classicOnly);
    expect(reasonOf(describe({ taskQueue: { name: own }, versions: { allActive: true } }))).toBe(classicOnly);
    expect(reasonOf(describe({ taskQueue: { name: own }, taskQueueTypes: [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW] }))).toBe(classicOnly);
  });

  it('asks heartbeats and completions for their task token, which the door then checks', () => {
    const taskToken = Uint8Array.from([1, 2, 3]);
    expect(admit('RespondActivityTaskCompleted', v1.RespondActivityTaskCompletedRequest.encode({ namespace: 'default', taskToken }).finish())).toEqual({
      admitted: true,
      taskToken,
    });
    expect(admit('RecordActivityTaskHeartbeat', v1.RecordActivityTaskHeartbeatRequest.encode({ namespace: 'default', taskToken }).finish())).toEqual({ admitted: true, taskToken });
    expect(reasonOf(admit('RespondActivityTaskFailed', v1.RespondActivityTaskFailedRequest.encode({ namespace: 'default' }).finish()))).toBe('the request names no task token');
    expect(reasonOf(admit('RespondActivityTaskCanceled', v1.RespondActivityTaskCanceledRequest.encode({ namespace: 'other', taskToken }).finish()))).toMatch(/namespace "other"/);
  });

  it('lets the worker describe its namespace, say goodbye and report on its own queue only', () => {
    expect(admit('DescribeNamespace', v1.DescribeNamespaceRequest.encode({ namespace: 'default' }).finish())).toEqual({ admitted: true });
    expect(reasonOf(admit('DescribeNamespace', v1.DescribeNamespaceRequest.encode({ namespace: 'other' }).finish()))).toMatch(/namespace "other"/);
    const shutdown = (r: object) => admit('ShutdownWorker', v1.ShutdownWorkerRequest.encode({ namespace: 'default', ...r }).finish());
    expect(shutdown({ taskQueue: own, workerHeartbeat: { taskQueue: own } })).toEqual({ admitted: true });
    expect(reasonOf(shutdown({ stickyTaskQueue: 'someone-else-sticky' }))).toBe('an agent has no sticky queue to shut down');
    expect(reasonOf(shutdown({ taskQueue: 'control-plane' }))).toMatch(/is not this node's queue/);
    const heartbeat = (queues: string[]) =>
      admit('RecordWorkerHeartbeat', v1.RecordWorkerHeartbeatRequest.encode({ namespace: 'default', workerHeartbeat: queues.map((taskQueue) => ({ taskQueue })) }).finish());
    expect(heartbeat([own])).toEqual({ admitted: true });
    expect(reasonOf(heartbeat([own, 'control-plane']))).toMatch(/worker heartbeat for queue "control-plane"/);
  });

  it('keeps a handed task for its start-to-close timeout, else its schedule-to-close', () => {
    expect(attemptMs({ startToCloseTimeout: { seconds: 60 }, scheduleToCloseTimeout: { seconds: 600 } })).toBe(60_000);
    expect(attemptMs({ scheduleToCloseTimeout: { seconds: 90, nanos: 500_000_000 } })).toBe(90_500);
    expect(attemptMs({})).toBeUndefined();
  });
});
