// The step model of a workflow definition (issue 14, ADR "workflow definitions and versions"), shared by
// the API, the console and the run interpreter. Pure zod and plain functions: no I/O, no clock, no
// randomness, no Node built-ins, so the Temporal workflow that interprets a version can import it.
//
// A version is an ordered list of steps. Each step has an `id` (a slug, unique in the definition), a
// `name`, a `kind` and an optional `confirmation` that may only be stricter than the permission's (the
// policy engine enforces that at run time; here only the shape is checked):
//   connection_action  a provider action through a connection (capabilityKey, action, connectionId, input)
//   instance_action    an OpenClaw lifecycle action on an instance (health, restart)
//   wait_for_person    a message; the run waits for an approval
//   notify             a message recorded on the run
//
// References, the one expression form (no code runs): a string that is exactly
// `{{ steps.<stepId>.output.<path> }}` becomes that value; inside a longer string the value is
// interpolated as text. <path> is dot-separated identifiers and numeric indexes (`files.0.id`), and may
// be empty (`{{ steps.list.output }}`: the whole output). A step may refer only to steps before it.
//
// Conditions, the one way to say "only if" (no code runs either): any step may have
// `when: { value: '{{ steps.<stepId>.output.<path> }}', is: 'equal' | 'not_equal', to: <text, number,
// true, false or null> }`. `value` is exactly one reference to an earlier step, `to` a plain value; they
// are compared as JSON values (1 is not "1"; an object or a list equals no plain value). When it does not
// hold the run skips the step (no policy question, no output: a later reference to it cannot resolve).
// "Restart only if unhealthy": `when: { value: '{{ steps.check-gw.output.health.healthy }}', is: 'equal', to: false }`.
import { z } from 'zod';

/** Lifecycle actions a step may run on an instance (capability `openclaw.lifecycle` of the catalogue). */
export const INSTANCE_ACTIONS = ['health', 'restart'] as const;
export type InstanceAction = (typeof INSTANCE_ACTIONS)[number];

/**
 * The roles a confirmation may name: MSP roles (api/authz.ts MSP_ROLES; protocol imports no api code).
 * Company people approve through approver groups only (ADR 0015), so naming their role would do nothing.
 */
export const CONFIRMATION_ROLES = ['msp_admin', 'msp_operator'] as const;

export const STEP_KINDS = ['connection_action', 'instance_action', 'wait_for_person', 'notify'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const MAX_STEPS = 100;
const MAX_MESSAGE = 2000;
/** The most hours a step may wait for its confirmation (30 days). */
export const MAX_CONFIRMATION_HOURS = 720;

const STEP_ID = /^[a-z][a-z0-9_-]{0,49}$/;
const SEGMENT = String.raw`(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)`;
/** One reference anywhere in a string; group 1 the step id, group 2 the path (".a.0.b" or ""). */
const REFERENCE = new RegExp(String.raw`\{\{\s*steps\.([a-z][a-z0-9_-]{0,49})\.output((?:\.${SEGMENT})*)\s*\}\}`, 'g');
const EXACT_REFERENCE = new RegExp(String.raw`^\{\{\s*steps\.([a-z][a-z0-9_-]{0,49})\.output((?:\.${SEGMENT})*)\s*\}\}$`);

const text = (field: string, max: number) => z.string(`${field} is required`).trim().min(1, `${field} is required`).max(max, `${field} is at most ${max} characters`);

export const StepConfirmation = z
  .object({
    approvalsNeeded: z
      .number('approvalsNeeded must be a number')
      .int('approvalsNeeded must be a whole number')
      .min(1, 'approvalsNeeded is 1 to 5')
      .max(5, 'approvalsNeeded is 1 to 5')
      .optional(),
    approverGroupIds: z.array(z.string().uuid('approverGroupIds holds approver group ids (UUIDs)')).max(20, 'approverGroupIds names at most 20 groups').optional(),
    approverRoles: z
      .array(z.enum(CONFIRMATION_ROLES, `approverRoles may hold only ${CONFIRMATION_ROLES.join(', ')} (company people approve through approverGroupIds)`))
      .max(4)
      .optional(),
    expiresInHours: z
      .number('expiresInHours must be a number')
      .positive('expiresInHours must be more than 0')
      .max(MAX_CONFIRMATION_HOURS, `expiresInHours is at most ${MAX_CONFIRMATION_HOURS}`)
      .optional(),
    onExpiry: z.enum(['fail', 'skip'], 'onExpiry is fail or skip').default('fail').describe('When nobody confirms in time: fail the run, or skip the step'),
  })
  .strict()
  .describe('A confirmation stricter than the permission asks for (the policy engine keeps the stricter of the two)');
export type StepConfirmation = z.infer<typeof StepConfirmation>;

export const CONDITION_TESTS = ['equal', 'not_equal'] as const;
const CONDITION_TEXT = 500;

export const StepCondition = z
  .object({
    value: z.string('value is required').regex(EXACT_REFERENCE, 'value is exactly one reference, {{ steps.<step id>.output.<path> }}, and nothing else'),
    is: z.enum(CONDITION_TESTS, `is is one of ${CONDITION_TESTS.join(', ')}`),
    to: z.union(
      [
        z
          .string()
          .max(CONDITION_TEXT, `to is at most ${CONDITION_TEXT} characters`)
          .refine((s) => !s.includes('{{'), 'to is a plain value: only value holds a reference'),
        z.number(),
        z.boolean(),
        z.null(),
      ],
      'to is text, a number, true, false or null',
    ),
  })
  .strict()
  .describe('Run the step only if an earlier step’s output value is (or is not) equal to `to`; otherwise the run skips it');
export type StepCondition = z.infer<typeof StepCondition>;

const StepInput = z.record(z.string(), z.unknown()).default({}).describe('The action’s input; a value may be a reference {{ steps.<id>.output.<path> }}');

const common = {
  id: z.string('id is required').regex(STEP_ID, 'id is a slug: a lowercase letter, then lowercase letters, digits, - or _ (at most 50)'),
  name: text('name', 100),
  confirmation: StepConfirmation.optional(),
  when: StepCondition.optional(),
};

export const ConnectionActionStep = z
  .object({
    ...common,
    kind: z.literal('connection_action'),
    capabilityKey: text('capabilityKey', 200),
    action: text('action', 200),
    connectionId: z.string('connectionId is required').uuid('connectionId must be a UUID'),
    input: StepInput,
  })
  .strict();
export const InstanceActionStep = z
  .object({
    ...common,
    kind: z.literal('instance_action'),
    action: z.enum(INSTANCE_ACTIONS, `action is one of ${INSTANCE_ACTIONS.join(', ')}`),
    instanceId: z.string('instanceId is required').uuid('instanceId must be a UUID'),
    input: StepInput,
  })
  .strict();
export const WaitForPersonStep = z.object({ ...common, kind: z.literal('wait_for_person'), message: text('message', MAX_MESSAGE) }).strict();
export const NotifyStep = z.object({ ...common, kind: z.literal('notify'), message: text('message', MAX_MESSAGE) }).strict();

export const Step = z.discriminatedUnion('kind', [ConnectionActionStep, InstanceActionStep, WaitForPersonStep, NotifyStep], {
  error: `kind is one of ${STEP_KINDS.join(', ')}`,
});
export type Step = z.infer<typeof Step>;

/** A reference found in a step: where it is (`input.folderId`, `message`), and what it names. */
export interface StepReference {
  field: string;
  stepId: string;
  path: (string | number)[];
  expression: string;
}

type PathPart = string | number;
const fieldName = (path: PathPart[]) => path.join('.');
const parsePath = (dotted: string): PathPart[] =>
  dotted
    ? dotted
        .slice(1)
        .split('.')
        .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s))
    : [];

/** Every string in a JSON value, with its path. Iterative: input depth is bounded by the API, not by the stack. */
function stringsOf(value: unknown, base: PathPart[]): { path: PathPart[]; value: string }[] {
  const out: { path: PathPart[]; value: string }[] = [];
  const stack: { value: unknown; path: PathPart[] }[] = [{ value, path: base }];
  while (stack.length) {
    const next = stack.pop()!;
    if (typeof next.value === 'string') out.push({ path: next.path, value: next.value });
    else if (Array.isArray(next.value)) next.value.forEach((v, i) => stack.push({ value: v, path: [...next.path, i] }));
    else if (next.value && typeof next.value === 'object') for (const [k, v] of Object.entries(next.value)) stack.push({ value: v, path: [...next.path, k] });
  }
  return out.reverse();
}

/** The strings of a step that may hold references: its condition's value, its input's values, and its message. */
function referableStrings(step: Step): { path: PathPart[]; value: string }[] {
  const condition = step.when ? [{ path: ['when', 'value'], value: step.when.value }] : [];
  if (step.kind === 'connection_action' || step.kind === 'instance_action') return [...condition, ...stringsOf(step.input, ['input'])];
  return [...condition, { path: ['message'], value: step.message }];
}

function referencesIn(s: string): { stepId: string; path: PathPart[]; expression: string }[] {
  return [...s.matchAll(REFERENCE)].map((m) => ({ stepId: m[1]!, path: parsePath(m[2]!), expression: m[0] }));
}

/** Whether a string holds a reference (so its final value is known only when the run gets there). */
export const holdsReference = (s: string): boolean => referencesIn(s).length > 0;

/** Every reference a step makes to earlier steps' outputs. */
export function referencesOf(step: Step): StepReference[] {
  return referableStrings(step).flatMap(({ path, value }) => referencesIn(value).map((r) => ({ field: fieldName(path), ...r })));
}

/** Why a `{{` in a string is not a reference, or null when every `{{` opens one. */
function malformedReference(s: string): string | null {
  const rest = s.replace(REFERENCE, '');
  if (!rest.includes('{{')) return null;
  return '"{{" opens a reference, written {{ steps.<step id>.output.<path> }} (path: names and numbers separated by dots)';
}

/**
 * The rules across steps, as zod issues on `steps.<i>.<field>`: ids unique, and each reference well formed
 * and to an earlier step (naming the step it refers to, and why not).
 */
function checkSteps(steps: Step[], ctx: z.RefinementCtx): void {
  const position = new Map<string, number>();
  steps.forEach((step, i) => {
    if (position.has(step.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `the id "${step.id}" is already used by step ${position.get(step.id)! + 1}` });
    else position.set(step.id, i);
  });
  steps.forEach((step, i) => {
    for (const { path, value } of referableStrings(step)) {
      // A condition's value that is not exactly one reference is already told so by StepCondition.
      const malformed = path[0] === 'when' ? null : malformedReference(value);
      if (malformed) ctx.addIssue({ code: 'custom', path: [i, ...path], message: malformed });
      for (const ref of referencesIn(value)) {
        const at = position.get(ref.stepId);
        const why =
          at === undefined
            ? `refers to step "${ref.stepId}", which does not exist`
            : at === i
              ? `refers to its own step "${ref.stepId}": a step can use only earlier steps' outputs`
              : at > i
                ? `refers to step "${ref.stepId}" which comes later`
                : null;
        if (why) ctx.addIssue({ code: 'custom', path: [i, ...path], message: `step "${step.id}" ${why}` });
      }
    }
  });
}

export const Steps = z
  .array(Step, 'steps must be a list of steps')
  .max(MAX_STEPS, `a definition has at most ${MAX_STEPS} steps`)
  .superRefine(checkSteps)
  .describe('The steps, in the order they run');

/** What a version holds, and what its content hash covers. */
export const DefinitionContent = z.object({
  name: text('name', 100),
  description: z.string('description must be text').trim().max(2000, 'description is at most 2000 characters').default(''),
  steps: Steps,
});
export type DefinitionContent = z.infer<typeof DefinitionContent>;

/** The export format: the content, and what it is. Import takes the same document. */
export const EXPORT_FORMAT = 'anthropy-works.workflow-definition';
export const EXPORT_FORMAT_VERSION = 1;
export const DefinitionExport = DefinitionContent.extend({
  format: z.literal(EXPORT_FORMAT, `format must be "${EXPORT_FORMAT}"`),
  formatVersion: z.literal(EXPORT_FORMAT_VERSION, `formatVersion must be ${EXPORT_FORMAT_VERSION} (this release reads version ${EXPORT_FORMAT_VERSION})`),
});
export type DefinitionExport = z.infer<typeof DefinitionExport>;

/** A reference whose value is not in the outputs so far: the run fails the step with this sentence. */
export class UnresolvedReferenceError extends Error {
  readonly expression: string;
  constructor(expression: string, reason: string) {
    super(`${expression}: ${reason}`);
    this.expression = expression;
  }
}

/** The value at `path` in a step's output; only own properties and array elements, never a prototype's. */
function valueAt(output: unknown, ref: { stepId: string; path: PathPart[]; expression: string }): unknown {
  let current = output;
  for (const part of ref.path) {
    if (typeof part === 'number' && Array.isArray(current) && part < current.length) current = current[part];
    else if (typeof part === 'string' && current !== null && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, part)) {
      current = (current as Record<string, unknown>)[part];
    } else throw new UnresolvedReferenceError(ref.expression, `the output of step "${ref.stepId}" has nothing at ${fieldName(ref.path)}`);
  }
  if (current === undefined) throw new UnresolvedReferenceError(ref.expression, `the output of step "${ref.stepId}" has nothing there`);
  return current;
}

/** How a value reads inside a longer string. */
const asText = (v: unknown): string => (typeof v === 'string' ? v : v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function resolveString(s: string, outputs: Readonly<Record<string, unknown>>): unknown {
  const lookup = (r: { stepId: string; path: PathPart[]; expression: string }) => {
    if (!Object.hasOwn(outputs, r.stepId)) throw new UnresolvedReferenceError(r.expression, `step "${r.stepId}" has no output yet`);
    return valueAt(outputs[r.stepId], r);
  };
  const exact = EXACT_REFERENCE.exec(s);
  if (exact) return lookup({ stepId: exact[1]!, path: parsePath(exact[2]!), expression: s });
  return s.replace(REFERENCE, (expression, stepId: string, dotted: string) => asText(lookup({ stepId, path: parsePath(dotted), expression })));
}

/**
 * The input with every reference replaced by the value it names in `outputsSoFar` (step id → output).
 * Pure; the input is not changed. Throws UnresolvedReferenceError when a value is missing.
 */
export function resolveInputs<T>(input: T, outputsSoFar: Readonly<Record<string, unknown>>): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return resolveString(v, outputsSoFar);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(input) as T;
}

/**
 * The step with the references of its input and message resolved (resolveInputs); its condition stays as
 * written (it is evaluated, by conditionHolds, not replaced). Its fields keep their order, so it still
 * compares equal to the pinned step but for what was resolved.
 */
export function resolveStep<S extends Step>(step: S, outputsSoFar: Readonly<Record<string, unknown>>): S {
  return Object.fromEntries(Object.entries(step).map(([k, v]) => [k, k === 'when' ? v : resolveInputs(v, outputsSoFar)])) as S;
}

/** A scalar as the console and a run's reasons write it: JSON (`false`, `3`, `"down"`, `null`), a long one shortened. */
const written = (v: unknown): string => {
  const json = JSON.stringify(v) ?? String(v);
  return json.length > 200 ? `${json.slice(0, 199)}…` : json;
};

/** A condition in words, the reference without its braces: `steps.check-gw.output.health.healthy is false`. */
export function conditionInWords(when: StepCondition): string {
  const exact = EXACT_REFERENCE.exec(when.value);
  const named = exact ? `steps.${exact[1]}.output${exact[2]}` : when.value;
  return `${named} ${when.is === 'equal' ? 'is' : 'is not'} ${written(when.to)}`;
}

/**
 * Whether a step's condition holds for the outputs so far (step id → output), and the value it read.
 * Pure. The value is compared with `to` as JSON: scalars by type and value, and an object or a list is
 * equal to no plain value. Throws UnresolvedReferenceError when the value is not there.
 */
export function conditionHolds(when: StepCondition, outputsSoFar: Readonly<Record<string, unknown>>): { holds: boolean; value: unknown } {
  const value = resolveString(when.value, outputsSoFar);
  const scalar = value === null || ['string', 'number', 'boolean'].includes(typeof value);
  const equal = scalar && JSON.stringify(value) === JSON.stringify(when.to);
  return { holds: when.is === 'equal' ? equal : !equal, value };
}

/** Why a step with a condition was skipped, or ran, as the run page shows it beside the step's state. */
export const conditionReason = (when: StepCondition, value: unknown): string => `runs only if ${conditionInWords(when)}, and it is ${written(value)}`;
