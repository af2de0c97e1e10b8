// The policy engine's verdict on every step of a definition, now: what the editor shows before a save and
// on demand. It asks checkPolicy (api/policy/service.ts) exactly what a run would ask before each step
// (capability, action, and the step's connection or instance), so the preview cannot drift from the rules.
// Nothing is counted or recorded. The run asks again before each step: permissions may change in between.
import { eq } from 'drizzle-orm';
import { organizations } from '../../db/schema.ts';
import type { Step } from '../../protocol/workflow-definition.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { LIFECYCLE_KEY } from '../capabilities/catalogue.ts';
import { NotFoundError, parseInput } from '../errors.ts';
import { instanceInOrganization } from '../policy/facts.ts';
import { INSTANCE_MISSING, type StepRule } from '../policy/rules.ts';
import { checkPolicy } from '../policy/service.ts';
import { PreviewStepsInput, PreviewVersionInput, type PolicyPreviewOutput } from './model.ts';
import { findDefinition, getVersion } from './service.ts';
import { checkStepsAgainstRecords } from './validate.ts';

const BUILT_IN: Record<'wait_for_person' | 'notify', string> = {
  wait_for_person: 'Waits for a person: the run pauses until the step’s confirmation is given (by default one approval by MSP staff).',
  notify: 'Records its message on the run; no capability is used.',
};

const NO_USAGE = { lastHour: 0, lastDay: 0 };

async function verdicts(ctx: ServiceContext, organizationId: string, steps: Step[]): Promise<PolicyPreviewOutput['steps']> {
  const out: PolicyPreviewOutput['steps'] = [];
  for (const [index, step] of steps.entries()) {
    const base = { index, stepId: step.id, name: step.name, kind: step.kind, stepConfirmation: step.confirmation ?? null };
    if (step.kind === 'wait_for_person' || step.kind === 'notify') {
      out.push({ ...base, capabilityKey: null, action: null, verdict: null, builtIn: BUILT_IN[step.kind] });
      continue;
    }
    if (step.kind === 'instance_action' && !(await instanceInOrganization(ctx.db, step.instanceId, organizationId))) {
      const verdict = { outcome: 'blocked' as const, rule: 'instance.missing' satisfies StepRule, sentence: INSTANCE_MISSING, usage: NO_USAGE, permissionSource: null };
      out.push({ ...base, capabilityKey: LIFECYCLE_KEY, action: step.action, verdict, builtIn: null });
      continue;
    }
    // A lifecycle action operates on the instance: its attachments (what the gateway uses) do not narrow it, as for any job.
    const question =
      step.kind === 'connection_action'
        ? { capabilityKey: step.capabilityKey, action: step.action, connectionId: step.connectionId }
        : { capabilityKey: LIFECYCLE_KEY, action: step.action };
    const verdict = await checkPolicy(ctx, { organizationId, ...question }).catch((err: unknown) => {
      // A saved version may name a connection deleted since: the step would be blocked (as the run's engine says), not the preview.
      if (!(err instanceof NotFoundError)) throw err;
      return {
        outcome: 'blocked' as const,
        rule: 'connection.missing',
        sentence: 'The step’s connection no longer exists in its organization.',
        usage: NO_USAGE,
        permissionSource: null,
      };
    });
    out.push({ ...base, capabilityKey: question.capabilityKey, action: question.action, verdict, builtIn: null });
  }
  return out;
}

/** Verdicts on steps not saved yet (checked like a save first, so every id is the organization's). */
export async function previewSteps(ctx: ServiceContext, input: unknown): Promise<PolicyPreviewOutput> {
  const { organizationId, steps } = parseInput(PreviewStepsInput, input ?? {});
  await authorize(ctx, 'workflow_definition.build', { organizationId, type: 'organization', id: organizationId });
  const [org] = await ctx.db.select().from(organizations).where(eq(organizations.id, organizationId));
  if (!org) throw new NotFoundError('organization');
  await checkStepsAgainstRecords(ctx.db, org, steps);
  return { organizationId, version: null, steps: await verdicts(ctx, organizationId, steps) };
}

/** Verdicts on a saved version (default the current one). */
export async function previewDefinition(ctx: ServiceContext, id: string, input: unknown): Promise<PolicyPreviewOutput> {
  const found = await findDefinition(ctx, id, 'workflow_definition.build');
  const { version } = parseInput(PreviewVersionInput, input ?? {});
  const v = version === undefined ? { number: found.v.number, steps: found.v.steps as Step[] } : await getVersion(ctx, id, version);
  return { organizationId: found.d.organizationId, version: v.number, steps: await verdicts(ctx, found.d.organizationId, v.steps) };
}
