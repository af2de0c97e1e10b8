// A run of a workflow definition (issue 14): a DSL interpreter in the style of Temporal's samples. Its
// input is the pinned version's steps, so editing the definition never changes a run in flight; it is
// deterministic (references resolve from earlier outputs, never by running code). A step whose condition
// (`when`) does not hold is skipped, with why, and the policy engine is not asked. Before each step it asks
// the policy engine, at that moment (permissions may have changed since the run started): a blocked step
// stops the run with the rule's name and sentence. A step that needs confirmation waits for its approvals
// (N-of-M, the same rules as every job: workflows/approval.ts), except an instance's lifecycle action,
// which is its own job and waits for its own approval (the kernel's), with the step's stricter terms.
//
// Simulate runs the same checks and approvals with no provider call and no node change: every output says
// "Simulated". Steps that change something run at most once; reads retry with backoff; each has a timeout.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { WorkflowRunActivities } from '../activities/workflow-runs.ts';
import type { Step } from '../protocol/workflow-definition.ts';
import { ignoredSignal, openApproval, type Approver } from './approval.ts';
import { asJob, jobActivities, jobRecorder } from './job-record.ts';

export interface WorkflowRunInput {
  jobId: string;
  definitionName: string;
  versionNumber: number;
  steps: Step[];
  simulate: boolean;
  requestedBy: Approver;
  /** The web process's approval-grant public key (hex). */
  approvalGrantKey: string;
  /** The product's longest wait for an approval (APPROVAL_TIMEOUT_HOURS); a permission or step may shorten it. */
  approvalTimeoutSeconds: number;
}

/** What the run says of each step, kept on its job (result.steps) for the run page. */
export interface StepOutcome {
  id: string;
  name: string;
  kind: Step['kind'];
  state: 'completed' | 'skipped' | 'blocked' | 'failed' | 'expired' | 'rejected' | 'cancelled';
  startedAt: string;
  endedAt: string;
  /** Where the output came from: the provider, its demo data, a simulation, or the run itself. */
  source?: 'Live' | 'Demo' | 'Simulated' | 'Run';
  output?: unknown;
  /** The policy engine's words at the moment the step ran. */
  verdict?: { outcome: string; rule?: string; sentence: string };
  approvedBy?: string[];
  /** The job that ran an instance's lifecycle action. */
  jobId?: string;
  reason?: string;
}

// Reads and bookkeeping: retried with backoff.
const checks = proxyActivities<WorkflowRunActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});
// A provider's action: a read retries; a change runs at most once (one attempt, never by surprise).
const readSteps = proxyActivities<WorkflowRunActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: ['StepFailed'] },
});
const changeSteps = proxyActivities<WorkflowRunActivities>({ startToCloseTimeout: '5 minutes', retry: { maximumAttempts: 1 } });
// Waiting for an instance job: heartbeats while it polls, and picks up again after a worker restart.
const jobWaits = proxyActivities<WorkflowRunActivities>({
  startToCloseTimeout: '31 days',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
});

const nowIso = () => new Date().toISOString();

/** The phrase a person types to confirm a step: what it does, where. */
export const stepPhrase = (definitionName: string, step: Step) => `run ${step.id} of ${definitionName}`.slice(0, 200);

export async function workflowRun(input: WorkflowRunInput): Promise<{ steps: StepOutcome[] }> {
  return asJob(input.jobId, async () => {
    const record = jobRecorder(input.jobId);
    const outcomes: StepOutcome[] = [];
    const outputs: Record<string, unknown> = {};
    const save = (extra: Record<string, unknown> = {}) =>
      record({ result: { simulate: input.simulate, definitionName: input.definitionName, versionNumber: input.versionNumber, steps: outcomes, ...extra } });
    await record({ state: 'running', step: input.steps[0]?.id ?? null });

    for (const [index, raw] of input.steps.entries()) {
      const startedAt = nowIso();
      const base = { id: raw.id, name: raw.name, kind: raw.kind, startedAt };
      const end = async (o: Omit<StepOutcome, keyof typeof base | 'endedAt'>) => {
        outcomes.push({ ...base, ...o, endedAt: nowIso() });
        await save();
      };
      /** Ends the run at this step: a failure fails the job (with the step and why); an expiry or a rejection ends it so. */
      const stop = async (state: 'failed' | 'expired' | 'rejected' | 'cancelled', reason: string, o: Partial<StepOutcome> = {}) => {
        await end({ state, reason, ...o });
        const why = `step ${index + 1} (${raw.name}): ${reason}`;
        if (state === 'failed') throw ApplicationFailure.nonRetryable(why, 'StepFailed');
        await record({ state, step: null, failureReason: why });
        return { steps: outcomes };
      };
      await record({ state: 'running', step: raw.id });

      // The step's references resolved from earlier outputs (in the activity: the step model's code stays out of the workflow bundle).
      let checked: Awaited<ReturnType<typeof checks.checkRunStep>>;
      try {
        checked = await checks.checkRunStep({ jobId: input.jobId, step: raw, outputs, simulate: input.simulate });
      } catch (err) {
        // Refused for good (the requester gone or no longer allowed to run it): the run says at which step.
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) return stop('failed', err.cause.message);
        throw err;
      }
      if ('unresolved' in checked) return stop('failed', checked.unresolved);
      // Its condition does not hold: skipped with why, no output (a later reference to it does not resolve).
      if ('skipped' in checked) {
        await end({ state: 'skipped', reason: checked.skipped });
        continue;
      }
      const { step, verdict } = checked;
      const said = { outcome: verdict.outcome, ...(verdict.rule ? { rule: verdict.rule } : {}), sentence: verdict.sentence };
      // A completed step says why it ran where it has a condition.
      const ran = { verdict: said, ...(checked.condition ? { reason: checked.condition } : {}) };
      if (verdict.outcome === 'blocked') {
        outcomes.push({ ...base, state: 'blocked', verdict: said, reason: `${verdict.rule}: ${verdict.sentence}`, endedAt: nowIso() });
        await save();
        throw ApplicationFailure.nonRetryable(`step ${index + 1} (${raw.name}) is blocked by ${verdict.rule}: ${verdict.sentence}`, 'StepBlocked');
      }

      // Confirmation in the run itself; a real instance action is confirmed in its own job instead.
      let approvedBy: string[] | undefined;
      const confirmedByItsJob = step.kind === 'instance_action' && step.action !== 'health' && !input.simulate;
      if (verdict.outcome === 'needs_confirmation' && !confirmedByItsJob) {
        const approval = verdict.approval!;
        const phrase = stepPhrase(input.definitionName, step);
        const timeoutSeconds = Math.min(input.approvalTimeoutSeconds, Math.round(approval.expiresInHours * 3600));
        const expiresAt = Date.now() + timeoutSeconds * 1000;
        const decided = openApproval(
          {
            jobId: input.jobId,
            phrase,
            approverRoles: approval.approverRoles,
            approverGroupIds: approval.approverGroupIds,
            approvalsNeeded: approval.approvalsNeeded,
            requesterId: input.requestedBy.userId,
            forbidSelfApproval: approval.forbidSelfApproval,
            grantKey: input.approvalGrantKey,
            expiresAt,
          },
          {
            confirm: (grant, via) => jobActivities.confirmDecision({ jobId: input.jobId, grant, via }),
            ignored: (signal, reason) => record({ approval: ignoredSignal(signal, reason) }),
          },
        );
        const opened = await checks.openStepApproval({ jobId: input.jobId, stepId: step.id, phrase, expiresAt: new Date(expiresAt).toISOString() });
        // A scheduled run's standing approvals, recorded by the activity (runs started before them answered nothing).
        decided.preApproved(opened?.preApproved ?? []);
        const decision = await decided();
        if (decision.outcome === 'expired') {
          if (verdict.onExpiry === 'skip') {
            await record({ state: 'running', step: step.id });
            await end({ state: 'skipped', verdict: said, reason: `nobody confirmed within ${timeoutSeconds} s: skipped, as the definition allows` });
            continue;
          }
          await record({ state: 'running', step: step.id });
          return stop('expired', `nobody confirmed within ${timeoutSeconds} s`, { verdict: said });
        }
        if (decision.outcome !== 'approved') {
          await record({ state: 'running', step: step.id });
          return stop(decision.outcome, `${decision.outcome} by ${decision.by.email}${decision.reason ? `: ${decision.reason}` : ''}`, { verdict: said });
        }
        approvedBy = decision.approvers.map((a) => a.email);
        await record({ state: 'running', step: step.id });
      }

      if (step.kind === 'notify' || step.kind === 'wait_for_person') {
        await end({ state: 'completed', source: 'Run', output: { message: step.message }, ...ran, ...(approvedBy ? { approvedBy } : {}) });
        outputs[step.id] = { message: step.message };
        continue;
      }

      if (step.kind === 'connection_action') {
        const run = verdict.changes ? changeSteps : readSteps;
        const result = await run.runConnectionStep({ jobId: input.jobId, step, simulate: input.simulate }).catch((err: unknown) => err as Error);
        if (result instanceof Error) return stop('failed', result.cause instanceof Error ? result.cause.message : result.message, { verdict: said });
        outputs[step.id] = result.data;
        await end({ state: 'completed', source: result.source, output: result.data, ...ran, ...(approvedBy ? { approvedBy } : {}) });
        continue;
      }

      // An instance's lifecycle action.
      if (input.simulate) {
        const simulated = { simulated: true, action: step.action, instanceId: step.instanceId };
        outputs[step.id] = simulated;
        await end({ state: 'completed', source: 'Simulated', output: simulated, ...ran, ...(approvedBy ? { approvedBy } : {}) });
        continue;
      }
      const child = await changeSteps.startInstanceStep({ jobId: input.jobId, step });
      outcomes.push({ ...base, state: 'completed', jobId: child.jobId, verdict: said, endedAt: '' });
      await save({ waitingForJob: child.jobId });
      const ended = await jobWaits.awaitJobEnd({ jobId: input.jobId, childJobId: child.jobId });
      outcomes.pop();
      if (ended.state !== 'completed')
        return stop(ended.state === 'expired' || ended.state === 'rejected' ? ended.state : 'failed', ended.reason, { jobId: child.jobId, verdict: said });
      outputs[step.id] = ended.result;
      await end({
        state: 'completed',
        source: 'Live',
        output: ended.result,
        jobId: child.jobId,
        ...ran,
        ...(ended.approvedBy.length ? { approvedBy: ended.approvedBy } : {}),
      });
    }
    await record({ state: 'completed', step: null });
    return { steps: outcomes };
  });
}
