// The node's agent enrollment: a one-time enrollment command (shown once) and the tokens still
// outstanding (enrollment.server.ts).
import { Form, useNavigation } from 'react-router';
import { FormError, LabelledInput, RowAction, ShownOnce } from '../../components/forms.tsx';
import type { FormResult } from '../../service-errors.server.ts';
import { TableHead } from '../../components/table.tsx';
import { DateTime } from '../../components/time-zone.tsx';
import { formatDateTime } from '../../components/dates.ts';

export function EnrollmentPanel({
  nodeRevoked,
  tokens,
  created,
  tokenRevoked,
}: {
  nodeRevoked: boolean;
  tokens: { id: string; createdAt: string; createdBy: string | null; expiresAt: string }[];
  created: FormResult<{ command: string; expiresAt: string }> | null;
  tokenRevoked: FormResult<unknown> | null;
}) {
  const busy = useNavigation().state === 'submitting';
  const errors = created && !created.ok ? created.fieldErrors : {};
  return (
    <section className="card stack" aria-label="Agent enrollment">
      <strong>Agent enrollment</strong>
      <p className="muted">
        The command enrolls this node’s agent on the machine: the agent makes its own key pair and registers its public key. The token in it works once and expires; it is shown
        only now. It also carries this console’s key fingerprint: the agent refuses a server whose key differs, and a console address without https unless it is on that machine.
        {nodeRevoked && ' This node is revoked: enrolling with a new command registers a new key and clears the revocation.'}
      </p>
      <Form method="post" className="row" aria-label="Create enrollment command">
        <input type="hidden" name="intent" value="create-enrollment" />
        <LabelledInput label="Expires in (minutes)" name="expiresInMinutes" type="number" min={5} max={1440} defaultValue={60} error={errors.expiresInMinutes} alert />
        <button type="submit" disabled={busy}>
          Create enrollment command
        </button>
      </Form>
      <FormError message={created && !created.ok && !errors.expiresInMinutes && created.formError} />
      {created?.ok && (
        <ShownOnce secret={created.value.command} testId="enroll-command">
          <p>
            Run this on the machine. Copy it now: it will not be shown again. It expires <DateTime iso={created.value.expiresAt} />.
          </p>
        </ShownOnce>
      )}
      {tokenRevoked?.ok && <p role="status">Enrollment token revoked.</p>}
      <FormError message={tokenRevoked && !tokenRevoked.ok && tokenRevoked.formError} />
      {tokens.length > 0 ? (
        <table data-testid="enrollment-tokens">
          <TableHead columns={['Created', 'By', 'Expires', '']} />
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>
                  <DateTime iso={t.createdAt} />
                </td>
                <td>{t.createdBy ?? '—'}</td>
                <td>
                  <DateTime iso={t.expiresAt} />
                </td>
                <td>
                  <RowAction intent="revoke-token" id={t.id} label="Revoke" ariaLabel={`Revoke enrollment token created ${formatDateTime(t.createdAt)}`} busy={busy} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No outstanding enrollment tokens.</p>
      )}
    </section>
  );
}
