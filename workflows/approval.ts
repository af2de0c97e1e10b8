// A typed approval inside a workflow. The workflow shows a phrase and waits; it continues once as many
// distinct people as the policy needs (N-of-M) have approved, each with an `approve` Update carrying an approval grant (protocol/approval-grant.ts): the web process's signed word
// that one signed-in person typed this phrase for this run (ADR 0010). The Update's validator refuses a
// forged, misdirected or expired grant, a wrong phrase, a role not allowed and a forbidden self-approval,
// in one sentence, and a refused Update leaves nothing in the history. An accepted one counts only once
// an activity has checked the grant again against Postgres (the person still active and allowed, the
// grant unused) and recorded it. A signal of the same name does the same for engineers with the
// `temporal` CLI (the console hands them a grant); a signal cannot be refused, so an invalid one is
// recorded and ignored. `reject` and `cancel` end the wait the same way.
import { ApplicationFailure, condition, defineSignal, defineUpdate, patched, proxyLocalActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { DecisionCheck, JobActivities } from '../activities/jobs.ts';
import { grantProblem, type ApprovalGrant, type GrantDecision } from '../protocol/approval-grant.ts';
import type { JobEnvelope } from '../protocol/envelope.ts';
import type { NodeActionName } from '../protocol/node-actions.ts';
import { jobActivities } from './job-record.ts';
import { signInput, type NodeStep, type PreSigned } from './node-job.ts';

export interface Approver {
  userId: string;
  email: string;
  role: string;
}
export interface DecisionInput {
  grant: ApprovalGrant;
}

export const approveUpdate = defineUpdate<void, [DecisionInput]>('approve');
export const approveSignal = defineSignal<[DecisionInput]>('approve');
export const rejectUpdate = defineUpdate<void, [DecisionInput]>('reject');
export const cancelUpdate = defineUpdate<void, [DecisionInput]>('cancel');

export interface ApprovalPolicy {
  /** The job it approves (its record holds the decisions). */
  jobId: string;
  phrase: string;
  /** Roles whose holders may approve or reject. */
  approverRoles: string[];
  /** Groups whose members may approve or reject too: membership is Postgres's to say (the confirming activity). */
  approverGroupIds: string[];
  /** Distinct people who must approve; one rejection ends the request. */
  approvalsNeeded: number;
  /** The requester: may cancel; may not approve where `forbidSelfApproval`. */
  requesterId: string | null;
  forbidSelfApproval: boolean;
  /** The web process's approval-grant public key (hex): only grants it signed stand for a person. */
  grantKey: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export type Decision =
  | { outcome: 'approved'; by: Approver; approvers: Approver[]; via: 'console' | 'signal' | 'standing'; advanced?: boolean; envelope?: JobEnvelope }
  | { outcome: 'rejected' | 'cancelled'; by: Approver; reason?: string }
  | { outcome: 'expired' };

/** What the activity that checks a grant against Postgres answered (activities/jobs.ts confirmDecision). */
/** `advanced`: the job was moved on to its next step too; `envelope`: that step's, signed (ADR 0032). */
export type Confirmation = { ok: true; by: Approver; advanced?: boolean; envelope?: JobEnvelope } | { ok: false; reason: string };

export interface ApprovalHooks {
  /**
   * Checks the grant against Postgres and records the decision on the job; refuses with a reason.
   * `completes`: an approval that, once confirmed, is the last one the request needs.
   */
  confirm(grant: ApprovalGrant, via: 'console' | 'signal', completes: boolean): Promise<Confirmation>;
  /** Records an `approve` signal that was not a valid approval (the claimed identity is not believed). */
  ignored(input: unknown, reason: string): Promise<void>;
}

const role = (r: string) => r.replace('_', ' ');

/**
 * Why this decision is refused, in one sentence; undefined when its grant proves it. Pure and
 * deterministic: validators call it.
 */
export function decisionProblem(
  policy: ApprovalPolicy,
  input: DecisionInput | undefined,
  decision: GrantDecision,
  now: number,
  workflowId: string,
  approvedBy: readonly string[] = [],
): string | undefined {
  const bad = grantProblem(input?.grant, { publicKey: policy.grantKey, workflowId, decision, now });
  if (bad) return bad;
  const grant = input!.grant;
  if (now >= policy.expiresAt) return 'This approval request has expired.';
  const isRequester = grant.userId === policy.requesterId;
  // A role outside the policy may still belong to a named group: the confirming activity asks Postgres.
  const mayBeApprover = policy.approverRoles.includes(grant.role) || policy.approverGroupIds.length > 0;
  if (decision === 'approve') {
    if (grant.phrase !== policy.phrase) return `The phrase does not match: type exactly "${policy.phrase}".`;
    if (!mayBeApprover) return `A ${role(grant.role)} may not approve this; it needs one of: ${policy.approverRoles.join(', ') || 'nobody'}.`;
    if (policy.forbidSelfApproval && isRequester) return 'This organization does not let the requester approve their own request.';
    if (approvedBy.includes(grant.userId)) return `You already approved this; it needs ${policy.approvalsNeeded} approvals by different people.`;
  } else if (!mayBeApprover && !(decision === 'cancel' && isRequester)) {
    return `A ${role(grant.role)} may not ${decision} this request.`;
  }
  return undefined;
}

const OUTCOME = { approve: 'approved', reject: 'rejected', cancel: 'cancelled' } as const;

/** The wait for a decision, and a way to count approvals already recorded in Postgres (a schedule's standing approvals). */
export type ApprovalWait = (() => Promise<Decision>) & { preApproved(approvers: readonly Approver[]): void };

/**
 * Installs the handlers at once and returns the wait for a decision or the expiry. Installing before the
 * job shows its phrase means no approval can arrive to no handler. One decision is checked at a time.
 */
export function openApproval(policy: ApprovalPolicy, hooks: ApprovalHooks): ApprovalWait {
  let decision: Decision | undefined;
  let checking = false;
  const approvers: Approver[] = [];
  const { workflowId } = workflowInfo();
  const problem = (input: DecisionInput | undefined, kind: GrantDecision) =>
    decision
      ? 'This request was already decided.'
      : checking
        ? 'Another decision on this request is being checked; try again in a moment.'
        : decisionProblem(
            policy,
            input,
            kind,
            Date.now(),
            workflowId,
            approvers.map((a) => a.userId),
          );

  /** The checked decision, or the reason Postgres refused it. */
  const settle = async (input: DecisionInput, kind: GrantDecision, via: 'console' | 'signal'): Promise<string | undefined> => {
    checking = true;
    try {
      const verdict = await hooks.confirm(input.grant, via, kind === 'approve' && approvers.length + 1 >= policy.approvalsNeeded);
      if (!verdict.ok) return verdict.reason;
      const reason = input.grant.reason ?? undefined;
      if (kind !== 'approve') decision ??= { outcome: OUTCOME[kind], by: verdict.by, ...(reason ? { reason } : {}) };
      else if (!approvers.some((a) => a.userId === verdict.by.userId)) {
        approvers.push(verdict.by);
        const { advanced, envelope } = verdict;
        if (approvers.length >= policy.approvalsNeeded) decision ??= { outcome: 'approved', by: verdict.by, approvers: [...approvers], via, advanced, envelope };
      }
      return undefined;
    } finally {
      checking = false;
    }
  };

  for (const [update, kind] of [
    [approveUpdate, 'approve'],
    [rejectUpdate, 'reject'],
    [cancelUpdate, 'cancel'],
  ] as const) {
    setHandler(
      update,
      async (input) => {
        const refused = await settle(input, kind, 'console');
        if (refused) throw ApplicationFailure.nonRetryable(refused, 'DecisionRefused');
      },
      {
        validator: (input) => {
          const why = problem(input, kind);
          if (why) throw new Error(why);
        },
      },
    );
  }
  setHandler(approveSignal, async (input) => {
    const why = problem(input, 'approve') ?? (await settle(input, 'approve', 'signal'));
    if (why) await hooks.ignored(input, why);
  });
  const wait = async (): Promise<Decision> => {
    const decided = await condition(() => decision !== undefined, Math.max(0, policy.expiresAt - Date.now()));
    return decided ? decision! : { outcome: 'expired' };
  };
  // Only what the activity that opened the request recorded in Postgres, after checking each person (activities/standing-approvals.ts).
  const preApproved = (list: readonly Approver[]) => {
    for (const a of list) {
      if (decision || approvers.some((b) => b.userId === a.userId)) continue;
      approvers.push(a);
      if (approvers.length >= policy.approvalsNeeded) decision = { outcome: 'approved', by: a, approvers: [...approvers], via: 'standing' };
    }
  };
  return Object.assign(wait, { preApproved });
}

/** How a job's record is updated (activities/jobs.ts updateJob, bound to the job). */
export type RecordJob = (update: {
  state?: 'waiting_for_approval' | 'running' | 'expired' | 'rejected' | 'cancelled';
  step?: string | null;
  approvalPhrase?: string;
  approvalExpiresAt?: string;
  failureReason?: string;
  result?: Record<string, unknown>;
  approval?: { at: string; by: string; role: string; via: 'signal'; outcome: 'ignored'; reason?: string };
}) => Promise<void>;

/** The record of an `approve` signal that was not a valid approval, for the job's approvals. */
export const ignoredSignal = (input: unknown, reason: string) => ({ at: new Date().toISOString(), ...claimed(input), via: 'signal' as const, outcome: 'ignored' as const, reason });

/** Who an ignored signal claimed to be: shown as a claim, never believed. */
function claimed(input: unknown): { by: string; role: string } {
  const grant = (input as { grant?: { email?: unknown; role?: unknown } } | undefined)?.grant;
  return {
    by: `${typeof grant?.email === 'string' ? grant.email.slice(0, 200) : 'unknown'} (unverified)`,
    role: typeof grant?.role === 'string' ? grant.role.slice(0, 50) : 'unknown',
  };
}

/** Decisions checked in the control-plane worker itself, within the workflow task that received them (ADR 0032). */
const localJobActivities = proxyLocalActivities<JobActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/** What an approved step hands on: its next node step's envelope, when the approval's check signed it. */
export interface Approved {
  preSigned?: PreSigned;
}

/**
 * The approval step of a job, recorded: the job shows the phrase and waits; an invalid signal is noted;
 * a decision is recorded by the activity that checked it; the outcome is written. Returns what the
 * approval hands on when approved (the job is then `running` at `nextStep`); false when the job ended
 * (expired, rejected or cancelled). With `then`, the node step that follows, the check of the approval
 * that completes the request also signs that step's envelope (ADR 0032).
 */
export async function approvalStep<A extends NodeActionName>(opts: {
  policy: Omit<ApprovalPolicy, 'expiresAt'>;
  timeoutSeconds: number;
  record: RecordJob;
  nextStep: string;
  result?: Record<string, unknown>;
  then?: NodeStep<A>;
}): Promise<false | Approved> {
  // Runs that began waiting before ADR 0032 confirm with an activity and record `running` after it.
  const oneCall = patched('approval-advances-in-one-call');
  const dispatch = oneCall && opts.then ? signInput(opts.then, uuid4()) : undefined;
  const expiresAt = Date.now() + opts.timeoutSeconds * 1000;
  const wait: { recorded?: Promise<boolean> } = {};
  const decided = openApproval(
    { ...opts.policy, expiresAt },
    {
      confirm: async (grant, via, completes) => {
        const check: DecisionCheck = { jobId: opts.policy.jobId, grant, via };
        if (!oneCall) return jobActivities.confirmDecision(check);
        // The move to `running` lands after the record of the wait (which, retried, would otherwise undo it);
        // an approval that arrives while the wait is still being recorded waits for that record first.
        const advance = completes && (await wait.recorded);
        return localJobActivities.confirmDecision(advance ? { ...check, advance: { step: opts.nextStep, ...(dispatch ? { dispatch } : {}) } } : check);
      },
      ignored: (input, reason) => opts.record({ approval: ignoredSignal(input, reason) }),
    },
  );
  const recording = opts.record({
    state: 'waiting_for_approval',
    step: 'approval',
    approvalPhrase: opts.policy.phrase,
    approvalExpiresAt: new Date(expiresAt).toISOString(),
    result: opts.result,
  });
  wait.recorded = recording.then(
    () => true,
    () => false,
  );
  await recording;
  const decision = await decided();
  if (decision.outcome === 'expired') {
    await opts.record({ state: 'expired', step: null, failureReason: `nobody approved within ${opts.timeoutSeconds} s` });
    return false;
  }
  if (decision.outcome !== 'approved') {
    await opts.record({ state: decision.outcome, step: null });
    return false;
  }
  if (!decision.advanced) await opts.record({ state: 'running', step: opts.nextStep });
  return dispatch && decision.envelope ? { preSigned: { envelopeId: dispatch.envelopeId, envelope: decision.envelope } } : {};
}
