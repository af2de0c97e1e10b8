// The node's name, labels and notes, for MSP staff (edit-node.server.ts saves them).
import { Form, useNavigation } from 'react-router';
import { FieldError, FormError, LabelledInput } from '../../components/forms.tsx';
import type { FormResult } from '../../service-errors.server.ts';
import { labelsError } from './labels.ts';

export function EditNode({ node, result }: { node: { name: string; labels: string[]; notes: string }; result: FormResult<unknown> | null }) {
  const busy = useNavigation().state === 'submitting';
  const errors = result && !result.ok ? result.fieldErrors : {};
  return (
    <>
      {result?.ok && <p role="status">Saved.</p>}
      {/* A new form once the saved fields change, not at each status change the page hears: what is being typed stays. */}
      <Form method="post" className="card stack" aria-label="Edit node" key={JSON.stringify([node.name, node.labels, node.notes])}>
        <input type="hidden" name="intent" value="update" />
        <strong>Edit</strong>
        <LabelledInput label="Name" name="name" required maxLength={63} defaultValue={node.name} error={errors.name} />
        <label>
          Labels
          <input name="labels" defaultValue={node.labels.join(', ')} aria-invalid={Boolean(labelsError(errors))} />
          <span className="muted">Comma-separated.</span>
          <FieldError message={labelsError(errors)} />
        </label>
        <label>
          Notes
          <textarea name="notes" rows={4} maxLength={2000} defaultValue={node.notes} aria-invalid={Boolean(errors.notes)} />
          <FieldError message={errors.notes} />
        </label>
        <FormError message={result && !result.ok && Object.keys(errors).length === 0 && result.formError} />
        <div>
          <button type="submit" disabled={busy}>
            Save
          </button>
        </div>
      </Form>
    </>
  );
}
