// The activities of a workflow run (workflows/workflow-run.ts). Each acts only for the calling run's own
// job (activities/calling-run.ts: the run id comes from the server, never from the input), and with the
// authority of the person who started the run, read again from Postgres at each step (deactivated: the
// run stops). The policy engine decides each step at that moment; a provider is called through its
// connection's runner (the secret is opened here, never passed through Temporal); an instance's lifecycle
// action is a job of its own, started with the step's stricter confirmation.
import crypto from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq } from 'drizzle-orm';
import { can, MSP_ROLES, type Actor, type ServiceContext } from '../api/authz.ts';
import { LIFECYCLE_KEY } from '../api/capabilities/catalogue.ts';
import { providerOf } from '../api/connections/providers/registry.ts';
import { runConnectionAction } from '../api/connections/runner.ts';
import { AppError, PolicyBlockedError } from '../api/errors.ts';
import { ACTIVE_STATES } from '../api/jobs/job-output.ts';
import { requestHealthCheck, requestRestart } from '../api/instances/service.ts';
import { decide, stricterApproval, type Verdict } from '../api/policy/engine.ts';
import { instanceInOrganization, loadFacts, type PolicyQuestion } from '../api/policy/facts.ts';
import { INSTANCE_MISSING, type StepRule } from '../api/policy/rules.ts';
import { enforcePolicy } from '../api/policy/service.ts';
import { runTarget } from '../api/workflow-definitions/sharing.ts';
import type { Db } from '../db/client.ts';
import { connections, jobs, organizations, users, workflowVersions, type ApprovalPolicy, type JobState } from '../db/schema.ts';
import { conditionHolds, conditionInWords, conditionReason, resolveStep, UnresolvedReferenceError, type Step } from '../protocol/workflow-definition.ts';
import type { Approver } from '../workflows/approval.ts';
import { asCallingRun, jobOfCallingRun, logJobState, type JobRecord } from './calling-run.ts';
import { useStandingApprovals } from './standing-approvals.ts';

/** The policy engine's answer for a step, with what the run needs to act on it. */
export interface StepVerdict {
  outcome: Verdict['outcome'];
  rule?: string;
  sentence: string;
  /** For a confirmation: the permission's approval policy made stricter by the step's. */
  approval?: Required<ApprovalPolicy>;
  onExpiry: 'fail' | 'skip';
  /** Whether the action changes something (then it runs at most once). */
  changes: boolean;
}

const TERMINAL: JobState[] = ['completed', 'failed', 'expired', 'cancelled', 'rejected'];
const CHANGING_RISKS = ['high', 'critical'];

/** The person who started the run, as they are now: a deactivated person's run does nothing more. */
export async function requesterOf(db: Db, job: JobRecord): Promise<ServiceContext> {
  const [person] = job.requestedBy ? await db.select().from(users).where(eq(users.id, job.requestedBy)) : [];
  if (!person?.active) throw ApplicationFailure.nonRetryable('the person who started this run is no longer an active user', 'RequesterGone');
  const actor: Actor = { kind: 'person', userId: person.id, email: person.email, name: person.name, role: person.role, organizationId: person.organizationId };
  return { db, actor };
}

/** The person who started the run, if they may still run its definition (unshared, or their role changed: the run stops). */
async function requesterWhoMayRun(db: Db, job: JobRecord): Promise<ServiceContext> {
  const ctx = await requesterOf(db, job);
  const target = await runTarget(db, ctx.actor, { id: String(job.params.definitionId ?? ''), organizationId: job.organizationId });
  if (!can(ctx.actor, 'workflow.run', target))
    throw ApplicationFailure.nonRetryable(`${ctx.actor.email} may no longer run this workflow (it is not shared with them, or their role changed)`, 'RequesterMayNotRun');
  return ctx;
}

/** The calling run's job, which must be a workflow run (a rogue's workflow gets nothing). */
const runJob = (db: Db, jobId: string, what: string) =>
  asCallingRun(db, what, async (tx) => {
    const job = await jobOfCallingRun(tx, jobId);
    if (job.type !== 'workflow_run') throw ApplicationFailure.nonRetryable(`job ${job.id} is not a workflow run`, 'NotAWorkflowRun');
    return job;
  });

/**
 * The step as the run's pinned version holds it in Postgres. What the workflow hands an activity is only
 * a claim: the ids it acts on and the confirmation it asks are the version's (ADR 0010, 0017).
 */
async function pinnedStep(db: Db, job: JobRecord, stepId: string): Promise<Step> {
  const versionId = String(job.params.versionId ?? '');
  const [version] = await db.select({ steps: workflowVersions.steps }).from(workflowVersions).where(eq(workflowVersions.id, versionId));
  const step = (version?.steps as Step[] | undefined)?.find((s) => s.id === stepId);
  if (!step) throw ApplicationFailure.nonRetryable(`step "${String(stepId).slice(0, 60)}" is not in the run's version`, 'NotThisRunsStep');
  return step;
}

/** The step the workflow asks to run, refused unless it is the pinned one (its input may differ only by resolved references). */
async function checkedStep<S extends Step>(db: Db, job: JobRecord, step: S): Promise<S> {
  const pinned = await pinnedStep(db, job, step.id);
  const same = (s: Step) => JSON.stringify({ ...s, input: undefined, message: undefined });
  if (same(pinned) !== same(step)) throw ApplicationFailure.nonRetryable(`step "${step.id}" is not as the run's version holds it`, 'NotThisRunsStep');
  return step;
}

/** The policy question a step asks (none for a built-in step). */
function questionOf(job: JobRecord, step: Step): (PolicyQuestion & { on: { type: string; id: string } }) | null {
  if (step.kind === 'connection_action')
    return {
      organizationId: job.organizationId,
      capabilityKey: step.capabilityKey,
      action: step.action,
      connectionId: step.connectionId,
      on: { type: 'connection', id: step.connectionId },
    };
  if (step.kind === 'instance_action')
    return { organizationId: job.organizationId, capabilityKey: LIFECYCLE_KEY, action: step.action, on: { type: 'instance', id: step.instanceId } };
  return null;
}

/** A "wait for a person" step: its own confirmation names who (MSP roles, approver groups), or MSP staff by default. */
async function waitForPersonApproval(db: Db, job: JobRecord, step: Extract<Step, { kind: 'wait_for_person' }>): Promise<Required<ApprovalPolicy>> {
  const [org] = await db.select({ forbid: organizations.forbidSelfApproval }).from(organizations).where(eq(organizations.id, job.organizationId));
  const c = step.confirmation;
  return {
    approvalsNeeded: c?.approvalsNeeded ?? 1,
    // Naming groups only means those groups' members only; naming nobody means MSP staff.
    approverRoles: (c?.approverRoles ?? (c?.approverGroupIds?.length ? [] : MSP_ROLES)).filter((r) => MSP_ROLES.includes(r as never)) as Required<ApprovalPolicy>['approverRoles'],
    approverGroupIds: c?.approverGroupIds ?? [],
    forbidSelfApproval: org?.forbid ?? false,
    expiresInHours: c?.expiresInHours ?? 24,
  };
}

/** The policy engine's answer for the (resolved) step now: a real run counts the use and audits a block; a simulation only asks. */
async function verdictOf(ctx: ServiceContext, job: JobRecord, step: Step, simulate: boolean): Promise<StepVerdict> {
  const { db } = ctx;
  const onExpiry = step.confirmation?.onExpiry ?? 'fail';
  if (step.kind === 'notify') return { outcome: 'allowed', sentence: 'A note on the run: nothing to check.', onExpiry, changes: false };
  if (step.kind === 'wait_for_person') {
    const approval = await waitForPersonApproval(db, job, step);
    return { outcome: 'needs_confirmation', sentence: 'This step waits for a person’s approval.', approval, onExpiry, changes: false };
  }
  const q = questionOf(job, step)!;
  if (step.kind === 'instance_action' && !(await instanceInOrganization(db, step.instanceId, job.organizationId)))
    return { outcome: 'blocked', rule: 'instance.missing' satisfies StepRule, sentence: INSTANCE_MISSING, onExpiry, changes: true };
  let verdict: Verdict;
  // A real instance action is a job of its own, whose start asks (and counts) again: ask only, here.
  if (simulate || step.kind === 'instance_action') verdict = decide(await loadFacts(db, q));
  else {
    try {
      verdict = await enforcePolicy(ctx, { ...q, jobId: job.id });
    } catch (err) {
      if (!(err instanceof PolicyBlockedError)) throw err;
      verdict = { outcome: 'blocked', rule: err.rule as never, sentence: err.sentence };
    }
  }
  const changes = step.kind === 'instance_action' ? step.action !== 'health' : 'risk' in verdict && CHANGING_RISKS.includes(verdict.risk);
  if (verdict.outcome === 'blocked') return { outcome: 'blocked', rule: verdict.rule, sentence: verdict.sentence, onExpiry, changes };
  // A step may ask for a confirmation the permission does not: then the permission's approvers, stricter.
  const confirm = verdict.outcome === 'needs_confirmation' || step.confirmation !== undefined;
  if (!confirm) return { outcome: 'allowed', sentence: verdict.sentence, onExpiry, changes };
  const facts = verdict.outcome === 'needs_confirmation' ? verdict.approval : (await loadFacts(db, q)).permission!.approval;
  const approval = stricterApproval(facts, step.confirmation);
  return { outcome: 'needs_confirmation', sentence: verdict.sentence, approval, onExpiry, changes };
}

/**
 * A step's condition against the outputs so far: unmet, why it is skipped; met, why it runs. A simulation's
 * earlier outputs are simulated, so a value they lack counts as met (the simulation walks every step).
 */
function conditionOf(when: NonNullable<Step['when']>, outputs: Record<string, unknown>, simulate: boolean): { skipped: string } | { condition: string } {
  try {
    const { holds, value } = conditionHolds(when, outputs);
    return holds ? { condition: conditionReason(when, value) } : { skipped: conditionReason(when, value) };
  } catch (err) {
    if (!(simulate && err instanceof UnresolvedReferenceError)) throw err;
    return { condition: `runs only if ${conditionInWords(when)}, which a simulation cannot know (${err.message}): simulated as if it held` };
  }
}

export function createWorkflowRunActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /**
     * The pinned step's condition first (the workflow's copy is not believed): unmet, the step is skipped and
     * the policy engine is not asked. Then its references resolved from earlier outputs, and the policy
     * engine's answer now. `condition` says why a step with a condition runs.
     */
    async checkRunStep(input: {
      jobId: string;
      step: Step;
      outputs: Record<string, unknown>;
      simulate: boolean;
    }): Promise<{ step: Step; verdict: StepVerdict; condition?: string } | { skipped: string } | { unresolved: string }> {
      const job = await runJob(db, input.jobId, 'workflow_run.check');
      const ctx = await requesterWhoMayRun(db, job);
      const pinned = await pinnedStep(db, job, input.step.id);
      let step: Step;
      let condition: string | undefined;
      try {
        if (pinned.when) {
          const met = conditionOf(pinned.when, input.outputs, input.simulate);
          if ('skipped' in met) return met;
          condition = met.condition;
        }
        // The step handed back must still be the pinned one but for its resolved references (checkedStep).
        step = resolveStep(pinned, input.outputs);
      } catch (err) {
        if (err instanceof UnresolvedReferenceError) return { unresolved: err.message };
        throw err;
      }
      return { step, verdict: await verdictOf(ctx, job, step, input.simulate), ...(condition ? { condition } : {}) };
    },

    /**
     * The job shows the step's phrase and waits; the decisions' rules are this policy's (api/jobs/approvers.ts).
     * A scheduled run's standing approvals that still hold are recorded here as their people's approvals,
     * and answered so that the run counts them (activities/standing-approvals.ts).
     */
    async openStepApproval(input: { jobId: string; stepId: string; phrase: string; expiresAt: string }): Promise<{ preApproved: Approver[] }> {
      const job = await runJob(db, input.jobId, 'workflow_run.approval');
      // Who may decide is computed here from the pinned step and the permission now, never taken from the workflow.
      const verdict = await verdictOf(await requesterOf(db, job), job, await pinnedStep(db, job, input.stepId), true);
      if (!verdict.approval) throw ApplicationFailure.nonRetryable(`step "${input.stepId}" needs no confirmation now`, 'NotThisRunsStep');
      const { approvalsNeeded, approverRoles, approverGroupIds, forbidSelfApproval } = verdict.approval;
      const policy = { approvalsNeeded, approverRoles, approverGroupIds, forbidSelfApproval };
      return db.transaction(async (tx) => {
        const [now] = await tx.select().from(jobs).where(eq(jobs.id, job.id)).for('update');
        // A finished run stays finished, and a request being waited on stays that request (the same step asked again is a retry).
        if (!ACTIVE_STATES.some((s) => s === now!.state) || (now!.state === 'waiting_for_approval' && now!.step !== input.stepId))
          throw ApplicationFailure.nonRetryable(
            `job ${job.id} is ${now!.state.replaceAll('_', ' ')}${now!.step ? ` at "${now!.step}"` : ''}: it opens no request for step "${input.stepId}"`,
            'NotThisRunsStep',
          );
        const pre = await useStandingApprovals(tx, now!, input.stepId, policy);
        await tx
          .update(jobs)
          .set({
            state: 'waiting_for_approval',
            step: input.stepId,
            approvalPhrase: input.phrase,
            approvalExpiresAt: new Date(input.expiresAt),
            approvalRequestedAt: new Date(),
            approvalPolicy: policy,
            ...(pre.entries.length ? { approvals: [...now!.approvals, ...pre.entries] } : {}),
            updatedAt: new Date(),
          })
          .where(and(eq(jobs.id, job.id), eq(jobs.state, now!.state)));
        logJobState(now!, 'waiting_for_approval', input.stepId);
        return { preApproved: pre.approvers };
      });
    },

    /** Runs a connection's action (or, simulating, answers with the action's sample output, labelled Simulated). */
    async runConnectionStep(input: {
      jobId: string;
      step: Extract<Step, { kind: 'connection_action' }>;
      simulate: boolean;
    }): Promise<{ source: 'Live' | 'Demo' | 'Simulated'; data: unknown }> {
      const job = await runJob(db, input.jobId, 'workflow_run.step');
      await checkedStep(db, job, input.step);
      const [row] = await db.select().from(connections).where(eq(connections.id, input.step.connectionId));
      if (!row || row.organizationId !== job.organizationId) throw ApplicationFailure.nonRetryable('the step’s connection is not one of this organization’s', 'StepFailed');
      const provider = providerOf(row.provider);
      if (input.simulate) return { source: 'Simulated', data: { simulated: true, sample: provider.demo[input.step.action] ?? null } };
      try {
        // A long action's progress (a listing's pages) as this activity's heartbeat: the run's page shows it (ADR 0022).
        const context = Context.current();
        const result = await runConnectionAction(db, row, input.step.action, input.step.input, { progress: (p) => context.heartbeat(p) });
        return { source: result.source, data: result.data };
      } catch (err) {
        // The provider's sentence or the input's problem: trying again would not change it.
        if (err instanceof AppError) throw ApplicationFailure.nonRetryable(err.message, 'StepFailed');
        throw err;
      }
    },

    /** Starts the instance's lifecycle job for the step (once: its id derives from the run and the step). */
    async startInstanceStep(input: { jobId: string; step: Extract<Step, { kind: 'instance_action' }> }): Promise<{ jobId: string }> {
      const job = await runJob(db, input.jobId, 'workflow_run.step');
      await checkedStep(db, job, input.step);
      const childJobId = uuidFrom(`${job.id}/${input.step.id}`);
      const [existing] = await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.id, childJobId));
      if (existing) return { jobId: existing.id };
      const ctx = await requesterOf(db, job);
      const origin = { run: { jobId: job.id, childJobId, stricter: input.step.confirmation } };
      try {
        const started = input.step.action === 'restart' ? await requestRestart(ctx, input.step.instanceId, origin) : await requestHealthCheck(ctx, input.step.instanceId, origin);
        return { jobId: started.id };
      } catch (err) {
        if (err instanceof AppError) throw ApplicationFailure.nonRetryable(err.message, 'StepFailed');
        throw err;
      }
    },

    /** Waits for the step's job to end (its approval may take hours), heartbeating; a restarted worker picks up again. */
    async awaitJobEnd(input: { jobId: string; childJobId: string }): Promise<{ state: JobState; reason: string; result: unknown; approvedBy: string[] }> {
      await runJob(db, input.jobId, 'workflow_run.step');
      for (;;) {
        const [child] = await db.select().from(jobs).where(eq(jobs.id, input.childJobId));
        if (!child) throw ApplicationFailure.nonRetryable(`job ${input.childJobId} does not exist`, 'StepFailed');
        if (TERMINAL.includes(child.state)) {
          return {
            state: child.state,
            reason: child.failureReason ?? child.state,
            result: child.result,
            approvedBy: child.approvals.filter((a) => a.outcome === 'approved' && a.userId).map((a) => a.by),
          };
        }
        Context.current().heartbeat({ state: child.state });
        await Context.current().sleep(2000);
      }
    },
  };
}

/** A stable UUID (v4 layout) from a name: the same run and step always name the same job. */
export function uuidFrom(name: string): string {
  const h = crypto.createHash('sha256').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export type WorkflowRunActivities = ReturnType<typeof createWorkflowRunActivities>;
