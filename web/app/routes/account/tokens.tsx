import { Form, Link, useNavigation } from 'react-router';
import { NotFoundError } from '../../../../api/errors.ts';
import { isUuid } from '../../../../api/ids.ts';
import { createToken, listOwnTokens, revokeToken } from '../../../../api/tokens/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/tokens.ts';
import { formatDateTime } from '../../components/dates.ts';
import { FieldError, RowAction } from '../../components/forms.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'API tokens · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  return { tokens: await load(() => listOwnTokens(ctx)) };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  if (form.get('intent') === 'revoke') {
    const id = form.get('id');
    const revoked = await attempt(async () => {
      if (!isUuid(id)) throw new NotFoundError('API token');
      return revokeToken(ctx, id);
    });
    return { intent: 'revoke' as const, revoked };
  }
  return { intent: 'create' as const, created: await attempt(() => createToken(ctx, { name: form.get('name') })) };
}


export default function ApiTokens({ loaderData, actionData }: Route.ComponentProps) {
  const { tokens } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const created = actionData?.intent === 'create' ? actionData.created : null;
  const revoked = actionData?.intent === 'revoke' ? actionData.revoked : null;
  const createErrors = created && !created.ok ? created : null;
  return (
    <>
      <h1>API tokens</h1>
      <p className="muted">
        A personal API token acts as you, with your role and organization, on the REST API under <code>/api/v1</code>
        {' '}(send <code>Authorization: Bearer awpat_…</code>). Only a hash of it is kept. <Link to="/account">Back to your account</Link>
      </p>
      <Form method="post" className="row card" aria-label="Create API token" key={created?.ok ? created.value.record.id : 'new'}>
        <input type="hidden" name="intent" value="create" />
        <label>
          Token name
          <input name="name" required maxLength={100} placeholder="backup script" aria-invalid={Boolean(createErrors?.fieldErrors.name)} />
          <FieldError message={createErrors && (createErrors.fieldErrors.name ?? createErrors.formError)} />
        </label>
        <button type="submit" disabled={busy}>Create token</button>
      </Form>
      {created?.ok && (
        <div className="card" role="status">
          <p>New token <strong>{created.value.record.name}</strong>. Copy it now: it will not be shown again.</p>
          <div className="secret" data-testid="new-token">{created.value.token}</div>
        </div>
      )}
      {revoked?.ok && <p role="status">Revoked {revoked.value.name}.</p>}
      {revoked && !revoked.ok && <p className="error" role="alert">{revoked.formError}</p>}
      <table data-testid="tokens">
        <thead><tr><th>Name</th><th>Token</th><th>Created</th><th>Last used</th><th>Revoked</th><th /></tr></thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id}>
              <td>{t.name}</td>
              <td><code>{t.prefix}…</code></td>
              <td>{formatDateTime(t.createdAt)}</td>
              <td>{formatDateTime(t.lastUsedAt, 'never')}</td>
              <td>{t.revokedAt ? <span className="badge">revoked {formatDateTime(t.revokedAt)}</span> : '—'}</td>
              <td>
                {!t.revokedAt && (
                  <RowAction intent="revoke" id={t.id} label="Revoke" ariaLabel={`Revoke ${t.name}`} busy={busy} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {tokens.length === 0 && <p className="muted">You have no API tokens yet.</p>}
    </>
  );
}
