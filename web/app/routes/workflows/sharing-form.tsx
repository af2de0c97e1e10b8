// Who besides its builders may run a definition: check the organization's company users it is shared with.
import { Form } from 'react-router';
import { FieldError } from '../../components/forms.tsx';

interface Person {
  id: string;
  email: string;
  name: string;
}

export function SharingForm({ companyUsers, sharedWith, busy, errors }: { companyUsers: Person[]; sharedWith: string[]; busy: boolean; errors: Record<string, string> }) {
  const problems = Object.entries(errors).filter(([field]) => field.startsWith('userIds'));
  return (
    <Form method="post" className="card stack" aria-label="Share workflow">
      <input type="hidden" name="intent" value="share" />
      <strong>Shared with</strong>
      <p className="muted">
        Company admins and MSP staff run every workflow of the organization; a company user runs the ones shared with them. Each step is still checked by the policy engine and
        waits for its approvals.
      </p>
      {companyUsers.length === 0 ? (
        <p className="muted">The organization has no company users yet.</p>
      ) : (
        <fieldset>
          <legend>Company users who may run it</legend>
          {companyUsers.map((p) => (
            <label key={p.id}>
              <input type="checkbox" name="userId" value={p.id} defaultChecked={sharedWith.includes(p.id)} /> {p.name} <span className="muted">{p.email}</span>
            </label>
          ))}
        </fieldset>
      )}
      {problems.map(([field, message]) => (
        <FieldError key={field} message={message} alert />
      ))}
      {companyUsers.length > 0 && (
        <div>
          <button type="submit" className="secondary" disabled={busy}>
            Save sharing
          </button>
        </div>
      )}
    </Form>
  );
}
