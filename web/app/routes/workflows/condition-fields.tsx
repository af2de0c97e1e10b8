// A step's "Run only if" (its `when`, protocol/workflow-definition.ts): an earlier step and a path in its
// output, equal or not equal, and a value. Off by default: the step always runs. When the condition does
// not hold the run skips the step and says why; the save names what is wrong beside each field.
import { FieldError, LabelledInput } from '../../components/forms.tsx';
import { errorAt, type DraftCondition } from './draft.ts';

export function ConditionFields({
  when: c,
  earlierIds,
  errors,
  onChange,
}: {
  when: DraftCondition | null;
  /** The ids of the steps before this one: the only ones a condition may read. */
  earlierIds: string[];
  /** The step's errors by the rest of their path (`when.value`). */
  errors: Record<string, string>;
  onChange: (c: DraftCondition | null) => void;
}) {
  const error = (field: string) => errorAt(errors, `when.${field}`);
  return (
    <fieldset className="stack" data-testid="step-condition">
      <legend>Run only if</legend>
      <fieldset className="choices">
        <label>
          <input
            type="checkbox"
            checked={c !== null}
            disabled={c === null && earlierIds.length === 0}
            onChange={(e) => onChange(e.target.checked ? { stepId: earlierIds.at(-1) ?? '', path: '', is: 'equal', to: '' } : null)}
          />
          Run this step only if an earlier step’s output says so
        </label>
        {c === null && earlierIds.length === 0 && <span className="muted">The first step always runs.</span>}
      </fieldset>
      <FieldError message={errors.when} />
      {c && (
        <>
          <div className="row">
            <label>
              Output of step
              <select value={c.stepId} aria-invalid={Boolean(error('value'))} onChange={(e) => onChange({ ...c, stepId: e.target.value })}>
                <option value="">Choose…</option>
                {earlierIds.map((id) => (
                  <option key={id} value={id}>
                    {id}
                  </option>
                ))}
              </select>
            </label>
            <LabelledInput label="Path in its output" value={c.path} placeholder="health.healthy" onChange={(e) => onChange({ ...c, path: e.target.value })} />
            <label>
              Is
              <select value={c.is} onChange={(e) => onChange({ ...c, is: e.target.value as DraftCondition['is'] })}>
                <option value="equal">equal to</option>
                <option value="not_equal">not equal to</option>
              </select>
              <FieldError message={error('is')} />
            </label>
            <LabelledInput label="Value" value={c.to} placeholder="false" error={error('to')} onChange={(e) => onChange({ ...c, to: e.target.value })} />
          </div>
          <FieldError message={error('value')} />
          <span className="muted">
            Reads <code>{`{{ steps.${c.stepId || '<step>'}.output${c.path.trim() ? `.${c.path.trim()}` : ''} }}`}</code>. The value true, false, null or a number is compared as
            such (1 is not &quot;1&quot;); anything else as text, or write &quot;true&quot; in quotes for the text. When it does not hold, the run skips the step and says why.
          </span>
        </>
      )}
    </fieldset>
  );
}
