// An action's input as form fields: the JSON Schema the loader sends (api/workflow-definitions/building-blocks.ts)
// read into one field per property, and each field's text turned into the input's value and back. Pure,
// shared by the editor's form and its tests.
import { holdsReference } from '../../../../protocol/workflow-definition.ts';

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';

export interface InputField {
  name: string;
  type: FieldType;
  required: boolean;
  description?: string;
  /** The default, as text (what applies when the field is left empty). */
  defaultText?: string;
  options?: string[];
  min?: number;
  max?: number;
}

type Schema = Record<string, unknown>;

/** The property's own schema: the first branch that is not `null` of a nullable one. */
function unwrap(p: Schema): Schema {
  const branches = (p.anyOf ?? p.oneOf) as Schema[] | undefined;
  return branches ? { ...p, ...(branches.find((b) => b.type !== 'null') ?? {}) } : p;
}

function typeOf(p: Schema): FieldType {
  if (Array.isArray(p.enum) && p.enum.every((v) => typeof v === 'string')) return 'enum';
  if (p.type === 'string' || p.type === 'number' || p.type === 'integer' || p.type === 'boolean') return p.type;
  // Objects, arrays and anything the schema leaves open are typed in as JSON.
  return 'json';
}

/** One field per property of the schema, in its order. */
export function fieldsOf(schema: Schema | undefined): InputField[] {
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, raw]) => {
    const p = unwrap(raw);
    const type = typeOf(p);
    return {
      name,
      type,
      required: required.has(name),
      ...(typeof p.description === 'string' ? { description: p.description } : {}),
      ...(p.default !== undefined ? { defaultText: typeof p.default === 'string' ? p.default : JSON.stringify(p.default) } : {}),
      ...(type === 'enum' ? { options: p.enum as string[] } : {}),
      ...(typeof p.minimum === 'number' ? { min: p.minimum } : {}),
      ...(typeof p.maximum === 'number' && p.maximum < Number.MAX_SAFE_INTEGER ? { max: p.maximum } : {}),
    };
  });
}

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The value a field's text stands for; undefined (left out, so the default applies) when it is empty.
 * A reference (`{{ steps.list.output.files.0.id }}`) stays a string whatever the type: the run fills it
 * in. Text that is not of the type is sent as typed, so the save names the field and what is wrong.
 */
export function valueOf(type: FieldType, text: string): unknown {
  // Only spaces counts as empty; a string keeps its spaces otherwise (a search query may need them).
  if (text.trim() === '') return undefined;
  const t = type === 'string' || type === 'enum' ? text : text.trim();
  if (holdsReference(t)) return t;
  if (type === 'number' || type === 'integer') return NUMBER.test(t) ? Number(t) : t;
  if (type === 'boolean') return t === 'true' ? true : t === 'false' ? false : t;
  if (type === 'json') {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return t;
    }
  }
  return t;
}

/** A value back as the field's text (editing a saved step). */
export function textOf(type: FieldType, value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string' && (type !== 'json' || holdsReference(value))) return value;
  if (type !== 'json' && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  return JSON.stringify(value);
}

/** The input of the texts: each field's value, empty ones left out; texts of names the schema lacks are kept as JSON (the save names them). */
export function inputOf(fields: InputField[], texts: Record<string, string>): Record<string, unknown> {
  const typeByName = new Map(fields.map((f) => [f.name, f.type]));
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(texts)) {
    const value = valueOf(typeByName.get(name) ?? 'json', text);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The texts of a saved input. */
export function textsOf(fields: InputField[], input: Record<string, unknown>): Record<string, string> {
  const typeByName = new Map(fields.map((f) => [f.name, f.type]));
  return Object.fromEntries(Object.entries(input).map(([name, value]) => [name, textOf(typeByName.get(name) ?? 'json', value)]));
}
