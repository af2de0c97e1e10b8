// A connection action's input as a form generated from its schema (input-fields.ts): text for strings,
// a number box for numbers (a reference is typed as text and stays one), unset/true/false for booleans,
// a choice for enums, a small JSON box for objects and lists. An empty field is left out, so its default
// applies. Each field says its description, default and range, and shows the save's error for it.
import { FieldError } from '../../components/forms.tsx';
import { errorAt } from './draft.ts';
import type { InputField } from './input-fields.ts';

function Hint({ field }: { field: InputField }) {
  const parts = [
    field.description,
    field.defaultText !== undefined && `default ${field.defaultText}`,
    field.min !== undefined && field.max !== undefined
      ? `${field.min} to ${field.max}`
      : field.min !== undefined
        ? `at least ${field.min}`
        : field.max !== undefined && `at most ${field.max}`,
  ].filter(Boolean);
  return parts.length ? <span className="muted">{parts.join(' · ')}</span> : null;
}

function Control({ field, text, invalid, onChange }: { field: InputField; text: string; invalid: boolean; onChange: (text: string) => void }) {
  const common = { 'aria-label': field.name, 'aria-invalid': invalid };
  switch (field.type) {
    case 'boolean':
      return (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          <option value="">unset</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      );
    case 'enum':
      return (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          <option value="">unset</option>
          {field.options!.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
    case 'json':
      return <textarea {...common} rows={3} value={text} placeholder="JSON" onChange={(e) => onChange(e.target.value)} />;
    default:
      // Text even for numbers: a reference such as {{ steps.list.output.count }} must fit; numeric text becomes a number.
      return (
        <input {...common} inputMode={field.type === 'string' ? undefined : 'decimal'} value={text} placeholder={field.defaultText} onChange={(e) => onChange(e.target.value)} />
      );
  }
}

export function InputForm({
  fields,
  texts,
  errors,
  onChange,
}: {
  fields: InputField[];
  texts: Record<string, string>;
  /** The step's errors by the rest of their path (`input.pageSize`). */
  errors: Record<string, string>;
  onChange: (texts: Record<string, string>) => void;
}) {
  // Inputs a saved step has that the action does not take: shown, so they can be cleared (the save names them).
  const unknown = Object.keys(texts)
    .filter((name) => !fields.some((f) => f.name === name))
    .map((name): InputField => ({ name, type: 'json', required: false, description: 'not an input of this action: clear it' }));
  const all = [...fields, ...unknown];
  return (
    <fieldset className="stack" data-testid="step-input">
      <legend>Input</legend>
      <FieldError message={errors.input} />
      {all.length === 0 && <span className="muted">This action takes no input.</span>}
      {all.map((f) => (
        <div key={f.name} className="stack">
          <label>
            <span>
              <code>{f.name}</code>
              {f.required && ' (required)'}
            </span>
            <Control field={f} text={texts[f.name] ?? ''} invalid={Boolean(errorAt(errors, `input.${f.name}`))} onChange={(text) => onChange({ ...texts, [f.name]: text })} />
          </label>
          <Hint field={f} />
          <FieldError message={errorAt(errors, `input.${f.name}`)} />
        </div>
      ))}
    </fieldset>
  );
}
