import { Form, Link, useNavigation } from 'react-router';
import { NotFoundError } from '../../../../api/errors.ts';
import { isUuid } from '../../../../api/ids.ts';
import { TOKEN_SCOPES, type TokenScope } from '../../../../db/schema.ts';
import { createToken, DEFAULT_EXPIRY_DAYS, listOwnTokens, MAX_EXPIRY_DAYS, revokeToken } from '../../../../api/tokens/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/tokens.ts';
import { FieldError, FormError, RowAction, ShownOnce } from '../../components/forms.tsx';
import { TableHead } from '../../components/table.tsx';
import { DateTime, DateOnly } from '../../components/time-zone.tsx';
import { EmptyState } from '../../components/empty-state.tsx';

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
  const days = form.get('expiresInDays');
  return {
    intent: 'create' as const,
    created: await attempt(() =>
      createToken(ctx, {
        name: form.get('name'),
        scopes: form.getAll('scope'),
        expiresInDays: days === null || days === '' ? undefined : Number(days),
      }),
    ),
  };
}

const SCOPE_HINTS: Record<TokenScope, string> = {
  read: 'read (GET requests)',
  operate: 'operate (start or change things)',
  approve: 'approve (approve, reject or cancel jobs)',
};

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
        A personal API token acts as you, with your role and organization, on the REST API under <code>/api/v1</code> (send <code>Authorization: Bearer awpat_…</code>), for what
        its scopes allow and until it expires. Only a hash of it is kept. <Link to="/account">Back to your account</Link>
      </p>
      <Form method="post" className="row card" aria-label="Create API token" key={created?.ok ? created.value.record.id : 'new'}>
        <input type="hidden" name="intent" value="create" />
        <label>
          Token name
          <input name="name" required maxLength={100} placeholder="backup script" aria-invalid={Boolean(createErrors?.fieldErrors.name)} />
          <FieldError message={createErrors && (createErrors.fieldErrors.name ?? (Object.keys(createErrors.fieldErrors).length ? null : createErrors.formError))} />
        </label>
        <label>
          Expires in (days)
          <input
            name="expiresInDays"
            type="number"
            required
            min={1}
            max={MAX_EXPIRY_DAYS}
            defaultValue={DEFAULT_EXPIRY_DAYS}
            aria-invalid={Boolean(createErrors?.fieldErrors.expiresInDays)}
          />
          <FieldError message={createErrors?.fieldErrors.expiresInDays} />
        </label>
        <fieldset className="choices">
          <legend>Scopes</legend>
          {TOKEN_SCOPES.map((scope) => (
            <label key={scope}>
              <input type="checkbox" name="scope" value={scope} defaultChecked={scope === 'read'} /> {SCOPE_HINTS[scope]}
            </label>
          ))}
          <FieldError message={createErrors && Object.entries(createErrors.fieldErrors).find(([field]) => field.split('.')[0] === 'scopes')?.[1]} />
        </fieldset>
        <button type="submit" disabled={busy}>
          Create token
        </button>
      </Form>
      {created?.ok && (
        <ShownOnce className="card" secret={created.value.token} testId="new-token">
          <p>
            New token <strong>{created.value.record.name}</strong> with {created.value.record.scopes.join(', ')}, expiring on <DateOnly iso={created.value.record.expiresAt} />.
            Copy it now: it will not be shown again.
          </p>
        </ShownOnce>
      )}
      {revoked?.ok && <p role="status">Revoked {revoked.value.name}.</p>}
      <FormError message={revoked && !revoked.ok && revoked.formError} />
      {tokens.length === 0 ? (
        <EmptyState next="Create one above to call the API from a script.">You have no API tokens yet.</EmptyState>
      ) : (
        <table data-testid="tokens">
          <TableHead columns={['Name', 'Token', 'Scopes', 'Created', 'Expires', 'Last used', 'Revoked', '']} />
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td>{t.scopes.join(', ')}</td>
                <td>
                  <DateTime iso={t.createdAt} />
                </td>
                <td>
                  {t.expired ? (
                    <span className="badge expired">
                      expired <DateOnly iso={t.expiresAt} />
                    </span>
                  ) : (
                    <DateOnly iso={t.expiresAt} />
                  )}
                </td>
                <td>
                  <DateTime iso={t.lastUsedAt} none="never" />
                </td>
                <td>
                  {t.revokedAt ? (
                    <span className="badge">
                      revoked <DateTime iso={t.revokedAt} />
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{!t.revokedAt && <RowAction intent="revoke" id={t.id} label="Revoke" ariaLabel={`Revoke ${t.name}`} busy={busy} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
