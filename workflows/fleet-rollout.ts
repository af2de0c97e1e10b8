// A fleet rollout (issue 19, ADR 0030): one action (a health check, a gateway restart, a change of version, an
// inventory refresh) on many instances or nodes, as one parent run with one child run per target, each the
// target's own job. The rollout asks one approval for everything (its children wait for none of their own:
// the activity that records each child copies the rollout's checked approvals onto it, after checking them
// against the child's own approval terms), runs a canary batch first, then batches with a pause between
// them, stops by itself past a threshold (failures in a batch, the failure ratio, any canary failure), and
// may ask a second approval after the canary. Pause, resume and cancel are Updates that only nudge the run:
// what was asked is read from Postgres (rollout_controls), never believed from the Update. Cancel stops
// before the next batch, never halfway through a target: the children of a started batch finish.
//
// Durable: each child has a stable id (its job's workflow id, from a uuid the run drew once), so a restart
// of the worker or of the Temporal server replays to the same children. Long rollouts continue as new
// between batches once the history grows, carrying the state (targets and their outcomes) forward.
import {
  allHandlersFinished,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { FleetRolloutActivities } from '../activities/fleet-rollouts.ts';
import type { RolloutControl } from '../db/schema.ts';
import { approvalStep, ignoredSignal, openApproval } from './approval.ts';
import { approvalPolicy, asJob, jobActivities, jobRecorder, type ApprovalTerms } from './job-record.ts';
import { initialState, isCanary, nextBatch, stopReason, tally, type RolloutSettings, type RolloutState, type TargetOutcome } from './fleet-rollout-plan.ts';

export interface FleetRolloutInput extends Partial<ApprovalTerms> {
  jobId: string;
  /** The rollout action's key (api/fleet/actions.ts), for the record. */
  action: string;
  targets: { id: string; name: string }[];
  settings: RolloutSettings;
  /** The run continues as new (between batches) once its history has this many events. */
  continueAfterEvents?: number;
  /** Carried over by continue-as-new. */
  state?: RolloutState;
  control?: RolloutControl;
}

/** What the rollout is doing now: its job's step, and the page's headline. */
export type RolloutPhase = 'approval' | 'canary approval' | 'batch' | 'pause between batches' | 'paused' | 'stopped' | 'completed' | 'cancelled';

export interface RolloutView {
  phase: RolloutPhase;
  control: RolloutControl;
  stopped?: string;
}

export const pauseRolloutUpdate = defineUpdate<RolloutView>('pauseRollout');
export const resumeRolloutUpdate = defineUpdate<RolloutView>('resumeRollout');
export const cancelRolloutUpdate = defineUpdate<RolloutView>('cancelRollout');
export const rolloutQuery = defineQuery<RolloutState>('rollout');

const DEFAULT_CONTINUE_AFTER_EVENTS = 5000;
const PAUSED_READ_AGAIN_MS = 10 * 60_000;

const rollouts = proxyActivities<FleetRolloutActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: ['NotThisJobsRun', 'NotARollout'] },
});

/** The phrase of the approval after the canary. */
export const canaryPhrase = (phrase: string) => `continue ${phrase}`.slice(0, 200);

export async function fleetRollout(input: FleetRolloutInput): Promise<{ completed: number; failed: number; state: string }> {
  const state = input.state ?? initialState(input.targets);
  let control: RolloutControl = input.control ?? 'run';
  let phase: RolloutPhase = 'batch';
  const record = jobRecorder(input.jobId);
  const save = (extra: Parameters<typeof record>[0] = {}) =>
    record({ result: { action: input.action, phase, control, settings: input.settings, ...tally(state), stopped: state.stopped ?? null, targets: state.targets }, ...extra });

  // The Update says only "look again": the control is what a person asked in Postgres.
  const reread = async (): Promise<RolloutView> => {
    control = (await rollouts.readRolloutControl({ jobId: input.jobId })).control;
    if (control === 'run') state.stopped = undefined;
    return { phase, control, ...(state.stopped ? { stopped: state.stopped } : {}) };
  };
  for (const update of [pauseRolloutUpdate, resumeRolloutUpdate, cancelRolloutUpdate]) setHandler(update, reread);
  setHandler(rolloutQuery, () => state);

  const outcome = await asJob(input.jobId, async (): Promise<{ state: string; continueWith?: FleetRolloutInput }> => {
    if (!state.approved) {
      if (input.approvalPhrase) {
        phase = 'approval';
        const terms = input as FleetRolloutInput & ApprovalTerms;
        const approved = await approvalStep({
          policy: approvalPolicy(terms),
          timeoutSeconds: terms.approvalTimeoutSeconds,
          record,
          nextStep: 'batch',
          result: { action: input.action, phase, settings: input.settings, ...tally(state), targets: state.targets },
        });
        if (!approved) return { state: 'ended without approval' };
      } else await record({ state: 'running', step: 'batch' });
      state.approved = true;
    }

    while (state.next < state.targets.length) {
      // Between batches: what people asked, read again (a nudge may have been lost in a restart).
      await reread();
      if (control === 'pause') {
        phase = state.stopped ? 'stopped' : 'paused';
        await save({ step: phase });
        // Woken by the nudge; a nudge lost (Temporal unreachable when the console sent it) is made up by reading again now and then.
        while (control === 'pause') if (!(await condition(() => control !== 'pause', PAUSED_READ_AGAIN_MS))) await reread();
      }
      if (control === 'cancel') {
        phase = 'cancelled';
        await save({ state: 'cancelled', step: null, failureReason: `cancelled before batch ${state.batches + 1}: ${state.targets.length - state.next} target(s) not started` });
        return { state: 'cancelled' };
      }
      if (state.batches === 1 && input.settings.secondApproval && input.approvalPhrase && !state.canaryApproved) {
        phase = 'canary approval';
        if (!(await canaryApproval(input as FleetRolloutInput & ApprovalTerms, save))) return { state: 'ended without approval' };
        state.canaryApproved = true;
      }

      const batch = state.batches;
      const indices = nextBatch(state, input.settings);
      for (const i of indices) Object.assign(state.targets[i]!, { batch, state: 'running', jobId: state.targets[i]!.jobId ?? uuid4() });
      state.next += indices.length;
      state.batches += 1;
      phase = 'batch';
      await save({ state: 'running', step: isCanary(input.settings, batch) ? 'canary' : `batch ${batch + 1}` });
      await Promise.all(indices.map((i) => runTarget(input.jobId, i, state.targets[i]!, save)));

      const stop = stopReason(state, input.settings, batch);
      if (stop && state.next < state.targets.length) {
        state.stopped = stop;
        control = (await rollouts.holdRollout({ jobId: input.jobId, reason: stop })).control;
      }
      if (state.next >= state.targets.length) break;
      if (input.settings.pauseSeconds > 0 && control === 'run') {
        phase = 'pause between batches';
        await save({ step: phase });
        await condition(() => control !== 'run', input.settings.pauseSeconds * 1000);
      }
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength > (input.continueAfterEvents ?? DEFAULT_CONTINUE_AFTER_EVENTS))
        return { state: 'continued', continueWith: { ...input, state, control } };
    }
    phase = 'completed';
    await save({ state: 'completed', step: null });
    return { state: 'completed' };
  });

  if (outcome.continueWith) {
    await condition(allHandlersFinished);
    return continueAsNew<typeof fleetRollout>(outcome.continueWith);
  }
  const { completed, failed } = tally(state);
  return { completed, failed, state: outcome.state };
}

/** The second approval, after the canary passed: its own request on the job (step "canary approval"), the same rules. */
async function canaryApproval(input: FleetRolloutInput & ApprovalTerms, save: (extra?: Parameters<ReturnType<typeof jobRecorder>>[0]) => Promise<void>): Promise<boolean> {
  const policy = { ...approvalPolicy(input), phrase: canaryPhrase(input.approvalPhrase) };
  const expiresAt = Date.now() + input.approvalTimeoutSeconds * 1000;
  const record = jobRecorder(input.jobId);
  const decided = openApproval(
    { ...policy, expiresAt },
    {
      confirm: (grant, via) => jobActivities.confirmDecision({ jobId: input.jobId, grant, via }),
      ignored: (signal, reason) => record({ approval: ignoredSignal(signal, reason) }),
    },
  );
  await save({ state: 'waiting_for_approval', step: 'canary approval', approvalPhrase: policy.phrase, approvalExpiresAt: new Date(expiresAt).toISOString() });
  const decision = await decided();
  if (decision.outcome === 'expired') {
    await record({ state: 'expired', step: null, failureReason: `nobody approved the rest of the rollout within ${input.approvalTimeoutSeconds} s of the canary` });
    return false;
  }
  if (decision.outcome !== 'approved') {
    await record({ state: decision.outcome, step: null });
    return false;
  }
  return true;
}

/** One target: its job recorded (checked by the activity), its child run started with the job's workflow id, its outcome. */
async function runTarget(rolloutJobId: string, index: number, target: TargetOutcome, save: () => Promise<void>): Promise<void> {
  const fail = async (reason: string) => {
    Object.assign(target, { state: 'failed', reason });
    await save();
  };
  const prepared = await rollouts.prepareRolloutTarget({ jobId: rolloutJobId, index, childJobId: target.jobId! });
  if ('refused' in prepared) {
    // Refused before its job was recorded (or its start lost): the page links no job that never ran.
    delete target.jobId;
    return fail(prepared.refused);
  }
  let child;
  try {
    // ABANDON: a child that changes a machine finishes its own work whatever happens to the rollout.
    child = await startChild(prepared.workflowType, { workflowId: prepared.workflowId, args: [prepared.args], parentClosePolicy: ParentClosePolicy.ABANDON });
  } catch (err) {
    return fail(`its run could not start: ${(err as Error).message}`);
  }
  await rollouts.recordRolloutChildRun({ jobId: rolloutJobId, childJobId: target.jobId!, runId: child.firstExecutionRunId });
  try {
    const result = (await child.result()) as Record<string, unknown> | undefined;
    const verdict = judge(prepared.judge, result);
    if (verdict) return fail(verdict);
    Object.assign(target, { state: 'completed' });
    await save();
  } catch (err) {
    const reason = err instanceof ChildWorkflowFailure && err.cause ? err.cause.message : (err as Error).message;
    return fail(reason);
  }
}

/** Whether a child that completed did what the rollout needs: a health check must find the instance healthy. */
function judge(kind: 'health' | 'state', result: Record<string, unknown> | undefined): string | undefined {
  if (kind === 'health') return result?.healthy === false ? 'the instance is not healthy' : undefined;
  const state = result?.state;
  return typeof state === 'string' && state !== 'completed' ? `its job ${state}` : undefined;
}
