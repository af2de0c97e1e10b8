// The "Run an action" form and its result, labelled with where it came from (Live or Demo).
import { Form } from 'react-router';
import type { ActionResult } from '../../../../api/connections/runner.ts';
import { FieldError } from '../../components/forms.tsx';

type File = { id: string; name: string; mimeType: string; modifiedTime: string };

export function RunActionForm({ actions, busy, errors }: { actions: string[]; busy: boolean; errors: Record<string, string> }) {
  return (
    <Form method="post" className="card stack" aria-label="Run an action">
      <input type="hidden" name="intent" value="run" />
      <strong>Run an action</strong>
      <p className="muted">Checked by the policy engine and counted towards the organization’s limits, like a workflow’s run.</p>
      <label>
        Action
        <select name="action">
          {actions.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      <label>
        Input (JSON)
        <textarea name="input" rows={3} defaultValue="{}" aria-invalid={Boolean(errors.input)} />
        <FieldError message={errors.input} />
      </label>
      <div>
        <button type="submit" disabled={busy}>
          Run
        </button>
      </div>
    </Form>
  );
}

export function ActionResultView({ result }: { result: ActionResult }) {
  const files = (result.data as { files?: File[] }).files;
  return (
    <section className="card stack" data-testid="action-result">
      <strong>
        {result.action}: <span data-testid="action-source">{result.source}</span>
      </strong>
      {files ? (
        <ul data-testid="action-files">
          {files.map((f) => (
            <li key={f.id}>
              {f.name} <span className="muted">({f.mimeType})</span>
            </li>
          ))}
        </ul>
      ) : (
        <pre>{JSON.stringify(result.data, null, 2)}</pre>
      )}
    </section>
  );
}
