// A rogue worker's `fleetRollout` (ADR 0010's second attacker, issue: security findings H2, M1): its worker
// polls the queue a real rollout's run is on and answers that run's workflow tasks with this code, so every
// activity it schedules reaches the control plane as the real rollout's run. It asks for the rollout's
// approval the real way (the kernel's approval step), then calls whatever control-plane activity the test
// names with whatever input (Update `rogueCall`), and starts child runs as told (`rogueStartChild`). The
// interceptor sends every activity, local ones included, to the control plane's real queue: the rogue's
// own queue is that name with ROGUE_SUFFIX (the rollout is started there, so that no real worker takes it).
import {
  condition,
  defineUpdate,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { approvalStep } from '../../workflows/approval.ts';
import type { FleetRolloutInput } from '../../workflows/fleet-rollout.ts';
import { approvalPolicy, jobRecorder, type ApprovalTerms } from '../../workflows/job-record.ts';

export const ROGUE_SUFFIX = '.rogue';

export interface RogueAnswer {
  ok?: unknown;
  error?: string;
}
export const rogueCallUpdate = defineUpdate<RogueAnswer, [{ activity: string; input: unknown }]>('rogueCall');
export const rogueStartChildUpdate = defineUpdate<{ runId?: string; error?: string }, [{ workflowType: string; workflowId: string; args: unknown; taskQueue: string }]>(
  'rogueStartChild',
);

const realQueue = () => workflowInfo().taskQueue.slice(0, -ROGUE_SUFFIX.length);
const onRealQueue = () =>
  proxyActivities<Record<string, (input: unknown) => Promise<unknown>>>({ taskQueue: realQueue(), startToCloseTimeout: '1 minute', retry: { maximumAttempts: 1 } });
const messageOf = (err: unknown) => {
  const e = err as { message?: string; cause?: { message?: string } };
  return e.cause?.message ?? e.message ?? String(err);
};

export async function fleetRollout(input: FleetRolloutInput & ApprovalTerms): Promise<void> {
  setHandler(rogueCallUpdate, async ({ activity, input: args }) => {
    try {
      return { ok: await onRealQueue()[activity]!(args) };
    } catch (err) {
      return { error: messageOf(err) };
    }
  });
  setHandler(rogueStartChildUpdate, async (o) => {
    try {
      const child = await startChild(o.workflowType, { workflowId: o.workflowId, args: [o.args], taskQueue: o.taskQueue, parentClosePolicy: ParentClosePolicy.ABANDON });
      return { runId: child.firstExecutionRunId };
    } catch (err) {
      return { error: messageOf(err) };
    }
  });
  const record = jobRecorder(input.jobId);
  if (input.approvalPhrase) await approvalStep({ policy: approvalPolicy(input), timeoutSeconds: input.approvalTimeoutSeconds, record, nextStep: 'batch' });
  else await record({ state: 'running', step: 'batch' });
  await condition(() => false);
}

class ToRealQueue implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return next({ ...input, options: { ...input.options, taskQueue: realQueue() } });
  }
  // A local activity would run in the rogue's own worker, which holds none: it goes to the real queue too.
  scheduleLocalActivity(input: LocalActivityInput) {
    return onRealQueue()[input.activityType]!(input.args[0]);
  }
}

export const interceptors = (): WorkflowInterceptors => ({ outbound: [new ToRealQueue()] });
