import { Form, Link, redirect, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { listCapabilities } from '../../../../api/capabilities/service.ts';
import { consentFlowOf, startConnectionOAuth } from '../../../../api/connections/oauth.ts';
import { providerOf } from '../../../../api/connections/providers/registry.ts';
import { deleteConnection, getConnection, setConnectionCredentials, setConnectionDisabled, testConnection, linkedInstances } from '../../../../api/connections/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FieldError, FormError } from '../../components/forms.tsx';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';
import { providerFields } from './form-fields.server.ts';
import { providerInfo } from './provider-info.ts';
import { ActionResultView, RunActionForm } from './run-action.tsx';
import { runFromForm } from './run-action.server.ts';
import { StatusBadge } from './status-badge.tsx';
import { DateTime } from '../../components/time-zone.tsx';

/** What a provider's metadata field is, where its name does not say (QuickBooks: the company the consent chose). */
const METADATA_LABELS: Record<string, string> = { realmId: 'Company (realm id)' };

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.connection.name ?? 'Connection'} · Anthropy Works` }];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const connection = await load(() => getConnection(ctx, params.connectionId));
  const { items } = await listCapabilities(ctx, { disabled: 'include' });
  return {
    connection,
    provider: providerInfo().find((p) => p.id === connection.provider)!,
    // The catalogue's entries that need this provider: what this connection makes possible.
    capabilities: items.filter((c) => c.provider === connection.provider).map(({ id, key, name, disabledAt }) => ({ id, key, name, disabled: disabledAt !== null })),
    canManage: can(ctx.actor, 'connection.manage', { organizationId: connection.organizationId }),
    // An oauth2 provider with its consent flow: the redirect URI to register, and whether the client is configured.
    consent: connection.mode === 'live' ? consentFlowOf(connection.provider) : null,
    actions: Object.keys(providerOf(connection.provider).actions),
    canSeePermissions: can(ctx.actor, 'permission.view', { organizationId: connection.organizationId }),
    // The instances those capabilities are attached to (for who may see instances).
    instances: await linkedInstances(ctx, connection.id),
  };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const id = params.connectionId;
  const intent = form.get('intent');
  if (intent === 'test') return attempt(() => testConnection(ctx, id));
  if (intent === 'run') return runFromForm(ctx, id, form);
  if (intent === 'connect') {
    // To the provider's consent page; it sends the person back to the callback route.
    const started = await attempt(() => startConnectionOAuth(ctx, id));
    if (started.ok) throw redirect(started.value.authorizationUrl);
    return started;
  }
  if (intent === 'disable' || intent === 'enable') return attempt(() => setConnectionDisabled(ctx, id, intent === 'disable'));
  if (intent === 'delete') {
    const result = await attempt(() => deleteConnection(ctx, id));
    if (result.ok) throw redirect(`/connections?organizationId=${result.value.organizationId}`);
    return result;
  }
  const current = await load(() => getConnection(ctx, id));
  const provider = providerOf(current.provider);
  const metadata = providerFields(form, provider, 'metadata');
  return attempt(() => setConnectionCredentials(ctx, id, { credentials: providerFields(form, provider, 'credentials'), ...(Object.keys(metadata).length ? { metadata } : {}) }));
}

export default function ConnectionDetail({ loaderData, actionData }: Route.ComponentProps) {
  const { connection: c, provider, capabilities, canManage, canSeePermissions, consent, actions, instances } = loaderData;
  const ran = actionData?.ok && 'run' in actionData.value ? actionData.value.run : null;
  const busy = useNavigation().state === 'submitting';
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : {};
  return (
    <>
      <h1>{c.name}</h1>
      <p className="muted">
        {c.providerName} ({provider.auth}) · <Link to={`/organizations/${c.organizationId}`}>{c.organizationName}</Link> ·{' '}
        {c.mode === 'demo' ? 'Demo: built-in sample data' : 'Live'}
      </p>
      <table data-testid="connection">
        <tbody>
          <tr>
            <th>Status</th>
            <td>
              <StatusBadge status={c.status} /> {c.statusReason}{' '}
              <span className="muted">
                (since <DateTime iso={c.statusChangedAt} />)
              </span>
            </td>
          </tr>
          <tr>
            <th>Last test</th>
            <td data-testid="last-test">
              {c.lastTest ? (
                <>
                  {c.lastTest.ok ? 'Passed' : 'Failed'} <DateTime iso={c.lastTest.at} />: {c.lastTest.message}
                </>
              ) : (
                'Never tested'
              )}
            </td>
          </tr>
          <tr>
            <th>Credentials</th>
            <td data-testid="credentials">{c.credentials.set ? `${c.credentials.placeholder}${c.credentials.hint ? ` (ends ${c.credentials.hint})` : ''}` : 'Not set'}</td>
          </tr>
          {consent && (
            <tr>
              <th>Redirect URI</th>
              <td>
                <code data-testid="redirect-uri">{consent.redirectUri}</code>{' '}
                <span className="muted">{consent.configured ? '(registered with the OAuth client)' : '(the OAuth client is not configured yet: README, Connections)'}</span>
              </td>
            </tr>
          )}
          {Object.entries(c.metadata).map(([k, v]) => (
            <tr key={k}>
              <th>{METADATA_LABELS[k] ?? k}</th>
              <td data-testid={`metadata-${k}`}>{String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <FormError message={actionData && !actionData.ok && Object.keys(errors).length === 0 && actionData.formError} />
      {canManage && (
        <div className="row">
          {consent && (
            // A plain form post: the answer is a redirect to the provider's own page.
            <Form method="post" aria-label="Connect" reloadDocument>
              <button type="submit" name="intent" value="connect" disabled={busy || c.status === 'disabled' || !consent.configured}>
                {c.credentials.set ? 'Reconnect' : 'Connect'} {c.providerName}
              </button>
            </Form>
          )}
          <Form method="post" aria-label="Test connection">
            <button type="submit" name="intent" value="test" disabled={busy || c.status === 'disabled'}>
              Test connection
            </button>
          </Form>
          <Form method="post" aria-label={c.status === 'disabled' ? 'Enable connection' : 'Disable connection'}>
            <button type="submit" name="intent" value={c.status === 'disabled' ? 'enable' : 'disable'} className="secondary" disabled={busy}>
              {c.status === 'disabled' ? 'Enable' : 'Disable'}
            </button>
          </Form>
          <Form method="post" aria-label="Delete connection">
            <button type="submit" name="intent" value="delete" className="danger" disabled={busy}>
              Delete
            </button>
          </Form>
        </div>
      )}
      {canManage && c.status !== 'disabled' && <RunActionForm actions={actions} busy={busy} errors={errors} />}
      {ran && <ActionResultView result={ran} />}
      {canManage && !consent && (
        // A one-time secret form: password inputs, never filled in from the server, so nothing is echoed.
        <Form method="post" className="card stack" aria-label="Set credentials" autoComplete="off" key={c.updatedAt}>
          <input type="hidden" name="intent" value="credentials" />
          <strong>{c.credentials.set ? 'Replace the credentials' : 'Set the credentials'}</strong>
          <p className="muted">Sealed as they arrive and never shown again: only the last four characters of a long secret.</p>
          {provider.credentialFields.map((field) => (
            <label key={field}>
              {field}
              <input type="password" name={`credentials.${field}`} autoComplete="new-password" aria-invalid={Boolean(errors[`credentials.${field}`])} />
              <FieldError message={errors[`credentials.${field}`]} />
            </label>
          ))}
          {provider.metadataFields.map((field) => (
            <label key={field}>
              {field} <span className="muted">(not secret)</span>
              <input name={`metadata.${field}`} defaultValue={String(c.metadata[field] ?? '')} maxLength={200} aria-invalid={Boolean(errors[`metadata.${field}`])} />
              <FieldError message={errors[`metadata.${field}`]} />
            </label>
          ))}
          <div>
            <button type="submit" disabled={busy}>
              Save credentials
            </button>
          </div>
        </Form>
      )}
      <h2>Capabilities that need {c.providerName}</h2>
      <ul data-testid="linked-capabilities">
        {capabilities.map((cap) => (
          <li key={cap.id}>
            <Link to={`/capabilities?q=${encodeURIComponent(cap.key)}`}>{cap.name}</Link> <code>{cap.key}</code>
            {cap.disabled && <span className="muted"> · disabled in the catalogue</span>}
          </li>
        ))}
      </ul>
      {canSeePermissions && (
        <p>
          <Link to={`/organizations/${c.organizationId}/permissions`}>Permissions of {c.organizationName}</Link> for them.
        </p>
      )}
      {instances.length > 0 && (
        <>
          <h2>Instances they are attached to</h2>
          <ul data-testid="linked-instances">
            {instances.map((i) => (
              <li key={i.id}>
                <Link to={`/instances/${i.id}/capabilities`}>{i.name}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
