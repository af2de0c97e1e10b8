// The editor's steps while a person edits them (React state), and the steps they stand for: a draft
// keeps what the form shows (texts, checkboxes), `stepOf` turns it into the step model's shape
// (protocol/workflow-definition.ts) for the save, `draftOf` a saved step back into a draft. Pure.
import type { Step, StepCondition, StepKind } from '../../../../protocol/workflow-definition.ts';
import { inputOf, textsOf, type InputField } from './input-fields.ts';

export interface DraftConfirmation {
  approvalsNeeded: string;
  approverGroupIds: string[];
  approverRoles: string[];
  expiresInHours: string;
  onExpiry: 'fail' | 'skip';
}

/** "Run only if": an earlier step's id and a path in its output, the test, and the value as typed. */
export interface DraftCondition {
  stepId: string;
  /** Dot-separated, without `output.` (`health.healthy`); empty: the whole output. */
  path: string;
  is: StepCondition['is'];
  to: string;
}

export interface Draft {
  /** Stable while steps move (React's key, and how errors find their step). */
  key: string;
  id: string;
  /** The id was typed in: it no longer follows the name. */
  idEdited: boolean;
  name: string;
  kind: StepKind;
  capabilityKey: string;
  action: string;
  connectionId: string;
  instanceId: string;
  inputTexts: Record<string, string>;
  message: string;
  /** null: the permission's confirmation as it is. */
  confirmation: DraftConfirmation | null;
  /** null: the step always runs. */
  when: DraftCondition | null;
}

/** The fields of a connection action's input (capability and action), from the loader's schemas. */
export type FieldsFor = (capabilityKey: string, action: string) => InputField[];

export const KIND_LABELS: Record<StepKind, string> = {
  connection_action: 'Connection action',
  instance_action: 'OpenClaw lifecycle action',
  wait_for_person: 'Wait for a person',
  notify: 'Notify',
};

/** A slug of the name that the step model accepts (a lowercase letter first, at most 50), unique among `taken`. */
export function slugOf(name: string, taken: ReadonlySet<string>): string {
  let base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(base)) base = `step${base ? `-${base}` : ''}`;
  base = base.slice(0, 50).replace(/-+$/, '');
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? '' : `-${n}`;
    const id = base.slice(0, 50 - suffix.length) + suffix;
    if (!taken.has(id)) return id;
  }
}

/** A new step of `kind` (React key `key`), its id generated from its name and unique among `drafts`. */
export function newDraft(kind: StepKind, drafts: readonly Draft[], key: string): Draft {
  const name = KIND_LABELS[kind];
  return {
    key,
    id: slugOf(name, new Set(drafts.map((d) => d.id))),
    idEdited: false,
    name,
    kind,
    capabilityKey: '',
    action: kind === 'instance_action' ? 'health' : '',
    connectionId: '',
    instanceId: '',
    inputTexts: {},
    message: '',
    confirmation: null,
    when: null,
  };
}

/** The draft renamed: its id follows the name (unique among the others) until someone types one. */
export function renamed(draft: Draft, name: string, drafts: readonly Draft[]): Draft {
  if (draft.idEdited) return { ...draft, name };
  return { ...draft, name, id: slugOf(name, new Set(drafts.filter((d) => d.key !== draft.key).map((d) => d.id))) };
}

/** Number text as a number; other text as typed (the save names the field); empty left out. */
const numberOf = (text: string): number | string | undefined => (text.trim() === '' ? undefined : /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text);

function confirmationOf(c: DraftConfirmation): NonNullable<Step['confirmation']> {
  const out: Record<string, unknown> = { onExpiry: c.onExpiry };
  const approvalsNeeded = numberOf(c.approvalsNeeded);
  const expiresInHours = numberOf(c.expiresInHours);
  if (approvalsNeeded !== undefined) out.approvalsNeeded = approvalsNeeded;
  if (c.approverGroupIds.length) out.approverGroupIds = c.approverGroupIds;
  if (c.approverRoles.length) out.approverRoles = c.approverRoles;
  if (expiresInHours !== undefined) out.expiresInHours = expiresInHours;
  // Shaped as typed: the server checks it against the step model and names what is wrong.
  return out as NonNullable<Step['confirmation']>;
}

/** The text typed for `to` as the value compared: true, false, null, a number or "quoted" text as JSON; anything else as typed. */
export function conditionValueOf(text: string): StepCondition['to'] {
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  } catch {
    // Not JSON: plain text.
  }
  return text;
}

/** The value compared as the form shows it: back to the text that reads as it (text that would read as another value is quoted). */
const conditionTextOf = (to: StepCondition['to']): string => (typeof to === 'string' && conditionValueOf(to) === to ? to : JSON.stringify(to));

function conditionOf(c: DraftCondition): StepCondition {
  const path = c.path.trim().replace(/^\.+|\.+$/g, '');
  return { value: `{{ steps.${c.stepId}.output${path ? `.${path}` : ''} }}`, is: c.is, to: conditionValueOf(c.to) };
}

/** A saved condition as the form's fields (its value is exactly one reference: the step model checked it). */
function draftConditionOf(when: StepCondition): DraftCondition {
  const m = /^\{\{\s*steps\.([^.\s]+)\.output\.?(\S*)\s*\}\}$/.exec(when.value);
  return { stepId: m?.[1] ?? '', path: m?.[2] ?? '', is: when.is, to: conditionTextOf(when.to) };
}

/** The step a draft stands for, as the save sends it. */
export function stepOf(d: Draft, fieldsFor: FieldsFor): Step {
  const common = {
    id: d.id,
    name: d.name,
    ...(d.confirmation ? { confirmation: confirmationOf(d.confirmation) } : {}),
    ...(d.when ? { when: conditionOf(d.when) } : {}),
  };
  switch (d.kind) {
    case 'connection_action':
      return {
        ...common,
        kind: d.kind,
        capabilityKey: d.capabilityKey,
        action: d.action,
        connectionId: d.connectionId,
        input: inputOf(fieldsFor(d.capabilityKey, d.action), d.inputTexts),
      };
    case 'instance_action':
      return { ...common, kind: d.kind, action: d.action as 'health' | 'restart', instanceId: d.instanceId, input: {} };
    default:
      return { ...common, kind: d.kind, message: d.message };
  }
}

/** A saved step as a draft (editing a version); `key` the same on the server and in the browser, so the page hydrates as rendered. */
export function draftOf(step: Step, fieldsFor: FieldsFor, key: string): Draft {
  const c = step.confirmation;
  return {
    key,
    id: step.id,
    idEdited: true,
    name: step.name,
    kind: step.kind,
    capabilityKey: step.kind === 'connection_action' ? step.capabilityKey : '',
    action: step.kind === 'connection_action' || step.kind === 'instance_action' ? step.action : '',
    connectionId: step.kind === 'connection_action' ? step.connectionId : '',
    instanceId: step.kind === 'instance_action' ? step.instanceId : '',
    inputTexts: step.kind === 'connection_action' ? textsOf(fieldsFor(step.capabilityKey, step.action), step.input) : {},
    message: step.kind === 'wait_for_person' || step.kind === 'notify' ? step.message : '',
    confirmation: c
      ? {
          approvalsNeeded: c.approvalsNeeded === undefined ? '' : String(c.approvalsNeeded),
          approverGroupIds: c.approverGroupIds ?? [],
          approverRoles: c.approverRoles ?? [],
          expiresInHours: c.expiresInHours === undefined ? '' : String(c.expiresInHours),
          onExpiry: c.onExpiry,
        }
      : null,
    when: step.when ? draftConditionOf(step.when) : null,
  };
}

/** The draft moved by `by` places (-1 up, +1 down); unchanged at either end. */
export function moved(drafts: readonly Draft[], key: string, by: -1 | 1): Draft[] {
  const i = drafts.findIndex((d) => d.key === key);
  const j = i + by;
  if (i < 0 || j < 0 || j >= drafts.length) return [...drafts];
  const out = [...drafts];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}

/**
 * Field errors of a save or preview (`steps.1.input.folderId`, `name`) sorted by step: each step's by
 * its key (`stepKeys` are the keys in the order the steps were sent) and the rest of the path; the
 * others (name, description, the organization, the list of steps) by field.
 */
export function errorsByStep(fieldErrors: Record<string, string>, stepKeys: readonly string[]) {
  const steps: Record<string, Record<string, string>> = {};
  const others: Record<string, string> = {};
  for (const [field, message] of Object.entries(fieldErrors)) {
    const m = /^steps\.(\d+)(?:\.(.+))?$/.exec(field);
    const key = m ? stepKeys[Number(m[1])] : undefined;
    if (key) (steps[key] ??= {})[m![2] ?? ''] = message;
    else others[field] = message;
  }
  return { steps, others };
}

/** The error at `path` of a step's errors, or the first one inside it (`input.arguments.x` shows at `input.arguments`). */
export function errorAt(errors: Record<string, string>, path: string): string | undefined {
  return errors[path] ?? Object.entries(errors).find(([field]) => field.startsWith(`${path}.`))?.[1];
}
