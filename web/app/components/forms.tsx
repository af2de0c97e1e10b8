// Small form pieces the console pages share.
import { Form } from 'react-router';

/**
 * A field's error, shown next to the field (nothing when there is none). `alert` has screen readers
 * announce it, for a form whose only answer is this error.
 */
export function FieldError({ message, alert }: { message?: string | null | false; alert?: boolean }) {
  return message ? (
    <span className="field-error" role={alert ? 'alert' : undefined}>
      {message}
    </span>
  ) : null;
}

/** A select of organizations; with `allLabel`, an empty first option stands for "all". */
export function OrganizationSelect({
  organizations,
  name = 'organizationId',
  defaultValue,
  allLabel,
  required,
}: {
  organizations: { id: string; name: string }[];
  name?: string;
  defaultValue?: string;
  allLabel?: string;
  required?: boolean;
}) {
  return (
    <select name={name} defaultValue={defaultValue ?? ''} required={required}>
      {allLabel !== undefined && <option value="">{allLabel}</option>}
      {organizations.map((o) => (
        <option key={o.id} value={o.id}>
          {o.name}
        </option>
      ))}
    </select>
  );
}

/** A one-button form acting on one row of a table (revoke, deactivate, …). */
export function RowAction({ intent, id, label, ariaLabel, busy }: { intent: string; id: string; label: string; ariaLabel: string; busy?: boolean }) {
  return (
    <Form method="post" aria-label={ariaLabel}>
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="id" value={id} />
      <button type="submit" className="danger" disabled={busy}>
        {label}
      </button>
    </Form>
  );
}
