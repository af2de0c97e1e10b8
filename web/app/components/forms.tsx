// Small form pieces the console pages share.
import type { InputHTMLAttributes, ReactNode } from 'react';
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

/**
 * A labelled input with its error under it, the input marked invalid while there is one: most fields of
 * the console's forms. `alert` as for FieldError; `children` (a hint) stand between the input and the error.
 */
export function LabelledInput({
  label,
  error,
  alert,
  children,
  ...input
}: { label: string; error?: string | null | false; alert?: boolean } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label>
      {label}
      <input {...input} aria-invalid={Boolean(error)} />
      {children}
      <FieldError alert={alert} message={error} />
    </label>
  );
}

/**
 * A form's error that belongs to no one field (nothing when there is none), announced to screen readers
 * because it is the form's whole answer.
 */
export function FormError({ message }: { message?: string | null | false }) {
  return message ? (
    <p className="error" role="alert">
      {message}
    </p>
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

/** The organization a "new …" form creates in: fixed (a hidden field) when the page already says which, else a choice. */
export function CreateInOrganization({ createIn, organizations, error }: { createIn: string | null; organizations: { id: string; name: string }[]; error?: string }) {
  return createIn ? (
    <input type="hidden" name="organizationId" value={createIn} />
  ) : (
    <label>
      Organization
      <OrganizationSelect organizations={organizations} required />
      <FieldError message={error} />
    </label>
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

/** Signing out is a POST (a link or a prefetch cannot sign anyone out), styled as a link. */
export function SignOutButton() {
  return (
    <Form method="post" action="/logout">
      <button type="submit" className="link">
        Sign out
      </button>
    </Form>
  );
}

/**
 * A secret the server hands out only this once (an API token, an enrollment command, an invitation
 * link), after `children` saying what it is for; announced, since it is what the form produced.
 */
export function ShownOnce({ secret, testId, className, children }: { secret: string; testId: string; className?: string; children: ReactNode }) {
  return (
    <div className={className} role="status">
      {children}
      <div className="secret" data-testid={testId}>
        {secret}
      </div>
    </div>
  );
}
