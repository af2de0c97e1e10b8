// A typed approval inside a workflow. The workflow shows a phrase and waits; it continues only on an
// `approve` Update whose phrase matches exactly, from a person whose role allows it, before the approval
// expires (and not from the requester, where the organization forbids self-approval). The Update's
// validator refuses anything else with one sentence, and a refused Update leaves nothing in the history.
// A signal of the same name does the same for engineers with the `temporal` CLI; a signal cannot be
// refused, so an invalid one is recorded and ignored. `reject` and `cancel` end the wait too.
import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

export interface Approver { userId: string; email: string; role: string }
export interface ApproveInput { phrase: string; approver: Approver }
export interface DecideInput { by: Approver; reason?: string }

export const approveUpdate = defineUpdate<void, [ApproveInput]>('approve');
export const approveSignal = defineSignal<[ApproveInput]>('approve');
export const rejectUpdate = defineUpdate<void, [DecideInput]>('reject');
export const cancelUpdate = defineUpdate<void, [DecideInput]>('cancel');

export interface ApprovalPolicy {
  phrase: string;
  /** Roles whose holders may approve or reject. */
  approverRoles: string[];
  /** The requester: may cancel; may not approve where `forbidSelfApproval`. */
  requesterId: string | null;
  forbidSelfApproval: boolean;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export type Decision =
  | { outcome: 'approved'; by: Approver; via: 'console' | 'signal' }
  | { outcome: 'rejected' | 'cancelled'; by: Approver; reason?: string }
  | { outcome: 'expired' };

const wellFormed = (a: Partial<Approver> | undefined): a is Approver =>
  typeof a?.userId === 'string' && typeof a.email === 'string' && typeof a.role === 'string';

/** Why this approval is refused, in one sentence; undefined when it is valid. Pure: validators call it. */
export function approvalProblem(policy: ApprovalPolicy, input: ApproveInput | undefined, now: number): string | undefined {
  if (!input || typeof input.phrase !== 'string' || !wellFormed(input.approver)) return 'An approval needs a phrase and the approver (userId, email, role).';
  if (now >= policy.expiresAt) return 'This approval request has expired.';
  if (input.phrase !== policy.phrase) return `The phrase does not match: type exactly "${policy.phrase}".`;
  if (!policy.approverRoles.includes(input.approver.role)) return `A ${input.approver.role.replace('_', ' ')} may not approve this; it needs one of: ${policy.approverRoles.join(', ')}.`;
  if (policy.forbidSelfApproval && input.approver.userId === policy.requesterId) return 'This organization does not let the requester approve their own request.';
  return undefined;
}

function decideProblem(policy: ApprovalPolicy, input: DecideInput | undefined, kind: 'reject' | 'cancel'): string | undefined {
  if (!input || !wellFormed(input.by)) return `A ${kind} needs who does it (userId, email, role).`;
  const isRequester = input.by.userId === policy.requesterId;
  if (!policy.approverRoles.includes(input.by.role) && !(kind === 'cancel' && isRequester)) {
    return `A ${input.by.role.replace('_', ' ')} may not ${kind} this request.`;
  }
  return undefined;
}

/**
 * Installs the handlers at once and returns the wait for a decision or the expiry. `onIgnoredSignal`
 * records an invalid `approve` signal (the workflow's own activity call, so the record survives replays
 * exactly once). Installing before the job shows its phrase means no approval can arrive to no handler.
 */
export function openApproval(policy: ApprovalPolicy, onIgnoredSignal: (input: ApproveInput, reason: string) => Promise<void>): () => Promise<Decision> {
  let decision: Decision | undefined;
  const open = () => decision === undefined;
  setHandler(approveUpdate, (input) => { decision ??= { outcome: 'approved', by: input.approver, via: 'console' }; }, {
    validator: (input) => {
      const problem = open() ? approvalProblem(policy, input, Date.now()) : 'This request was already decided.';
      if (problem) throw new Error(problem);
    },
  });
  setHandler(approveSignal, async (input) => {
    const problem = open() ? approvalProblem(policy, input, Date.now()) : 'This request was already decided.';
    if (problem) await onIgnoredSignal(input, problem);
    else decision = { outcome: 'approved', by: input.approver, via: 'signal' };
  });
  for (const [update, kind] of [[rejectUpdate, 'reject'], [cancelUpdate, 'cancel']] as const) {
    setHandler(update, (input) => { decision ??= { outcome: kind === 'reject' ? 'rejected' : 'cancelled', by: input.by, reason: input.reason }; }, {
      validator: (input) => {
        const problem = open() ? decideProblem(policy, input, kind) : 'This request was already decided.';
        if (problem) throw new Error(problem);
      },
    });
  }
  return async () => {
    const decided = await condition(() => !open(), Math.max(0, policy.expiresAt - Date.now()));
    return decided ? decision! : { outcome: 'expired' };
  };
}

/** How a job's record is updated (activities/jobs.ts updateJob, bound to the job). */
export type RecordJob = (update: {
  state?: 'waiting_for_approval' | 'running' | 'expired' | 'rejected' | 'cancelled';
  step?: string | null;
  approvalPhrase?: string;
  approvalExpiresAt?: string;
  failureReason?: string;
  result?: Record<string, unknown>;
  approval?: { at: string; by: string; role: string; via: 'console' | 'signal'; outcome: 'approved' | 'rejected' | 'cancelled' | 'ignored'; reason?: string };
}) => Promise<void>;

/**
 * The approval step of a job, recorded: the job shows the phrase and waits; an invalid signal is noted;
 * the outcome is written. Returns true when approved (the job is then `running` at `nextStep`); false
 * when the job ended (expired, rejected or cancelled).
 */
export async function approvalStep(opts: {
  policy: Omit<ApprovalPolicy, 'expiresAt'>; timeoutSeconds: number; record: RecordJob; nextStep: string; result?: Record<string, unknown>;
}): Promise<boolean> {
  const expiresAt = Date.now() + opts.timeoutSeconds * 1000;
  const decided = openApproval({ ...opts.policy, expiresAt }, (signal, reason) => opts.record({
    approval: { at: new Date().toISOString(), by: String(signal?.approver?.email ?? 'unknown'), role: String(signal?.approver?.role ?? 'unknown'), via: 'signal', outcome: 'ignored', reason },
  }));
  await opts.record({ state: 'waiting_for_approval', step: 'approval', approvalPhrase: opts.policy.phrase, approvalExpiresAt: new Date(expiresAt).toISOString(), result: opts.result });
  const decision = await decided();
  if (decision.outcome === 'expired') {
    await opts.record({ state: 'expired', step: null, failureReason: `nobody approved within ${opts.timeoutSeconds} s` });
    return false;
  }
  const at = new Date().toISOString();
  if (decision.outcome !== 'approved') {
    await opts.record({ state: decision.outcome, step: null, approval: { at, by: decision.by.email, role: decision.by.role, via: 'console', outcome: decision.outcome, reason: decision.reason } });
    return false;
  }
  await opts.record({ state: 'running', step: opts.nextStep, approval: { at, by: decision.by.email, role: decision.by.role, via: decision.via, outcome: 'approved' } });
  return true;
}
