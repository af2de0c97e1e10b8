import { Form, Link, useNavigation } from 'react-router';
import { providerOf } from '../../../../api/connections/providers/registry.ts';
import { createConnection, listConnections } from '../../../../api/connections/service.ts';
import { CONNECTION_MODES } from '../../../../db/schema.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { CreateInOrganization, FieldError, FormError } from '../../components/forms.tsx';
import { ago } from '../../components/live.ts';
import { OrganizationFilter } from '../../components/list-filters.tsx';
import { TableHead } from '../../components/table.tsx';
import { creationChoices } from '../../filter-choices.server.ts';
import { attempt, loadFilteredPage } from '../../service-errors.server.ts';
import type { Route } from './+types/list.ts';
import { providerFields } from './form-fields.server.ts';
import { providerInfo } from './provider-info.ts';
import { StatusBadge } from './status-badge.tsx';
import { EmptyState } from '../../components/empty-state.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Connections · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { items, filters, filterErrors } = await loadFilteredPage(request, ['organizationId'], async (q) => ({ ...(await listConnections(ctx, q)), nextCursor: null }));
  const choices = await creationChoices(ctx, filters.organizationId, 'connection.manage');
  return {
    connections: items,
    filters,
    filterErrors,
    providers: providerInfo(),
    ...choices,
  };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const providerId = String(form.get('provider') ?? '');
  const known = (() => {
    try {
      return providerOf(providerId);
    } catch {
      return null;
    }
  })();
  return attempt(() =>
    createConnection(ctx, {
      organizationId: form.get('organizationId'),
      provider: providerId,
      name: form.get('name'),
      mode: form.get('mode'),
      metadata: known ? providerFields(form, known, 'metadata') : {},
    }),
  );
}

export default function Connections({ loaderData, actionData }: Route.ComponentProps) {
  const { connections, filters, filterErrors, organizations, providers, createIn, canCreateAnywhere } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : {};
  const created = actionData?.ok ? actionData.value : null;
  return (
    <>
      <h1>Connections</h1>
      <p className="muted">
        Links to SaaS providers that workflows act through. Credentials are sealed with the organization’s own key and never shown again; a connection in demo mode answers with
        built-in sample data, labelled Demo.
      </p>
      <OrganizationFilter of="connections" organizations={organizations} value={filters.organizationId} error={filterErrors.organizationId} />
      {(createIn || canCreateAnywhere) && (
        <Form method="post" className="card stack" aria-label="Create connection" key={created?.id ?? 'new'}>
          <strong>New connection</strong>
          <CreateInOrganization createIn={createIn} organizations={organizations} error={errors.organizationId} />
          <label>
            Provider
            <select name="provider" required aria-invalid={Boolean(errors.provider)}>
              {providers.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.auth})
                </option>
              ))}
            </select>
            <FieldError message={errors.provider} />
          </label>
          <label>
            Name
            <input name="name" required maxLength={100} placeholder="Acme Drive" aria-invalid={Boolean(errors.name)} />
            <FieldError message={errors.name} />
          </label>
          <label>
            Mode
            <select name="mode" defaultValue="live">
              {CONNECTION_MODES.map((m) => (
                <option key={m} value={m}>
                  {m === 'live' ? 'Live: calls the real service' : 'Demo: built-in sample data'}
                </option>
              ))}
            </select>
          </label>
          <p className="muted">Optional account facts (not secret), by provider:</p>
          {providers.flatMap((p) =>
            p.metadataFields.map((field) => (
              <label key={`${p.id}.${field}`}>
                {p.name}: {field}
                <input name={`metadata.${field}`} maxLength={200} aria-invalid={Boolean(errors[`metadata.${field}`])} />
                <FieldError message={errors[`metadata.${field}`]} />
              </label>
            )),
          )}
          <FormError message={actionData && !actionData.ok && actionData.formError} />
          <div>
            <button type="submit" disabled={busy}>
              Create connection
            </button>
          </div>
        </Form>
      )}
      {created && (
        <p role="status">
          Created <Link to={`/connections/${created.id}`}>{created.name}</Link>: set its credentials next.
        </p>
      )}
      {connections.length === 0 ? (
        <EmptyState next="Connect a business tool below; its credentials are sealed and never shown again.">No connections yet.</EmptyState>
      ) : (
        <table data-testid="connections">
          <TableHead columns={['Name', 'Organization', 'Provider', 'Status', 'Last test', 'Mode']} />
          <tbody>
            {connections.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={`/connections/${c.id}`}>{c.name}</Link>
                </td>
                <td>{c.organizationName}</td>
                <td>{c.providerName}</td>
                <td>
                  <StatusBadge status={c.status} /> <span className="muted">{c.statusReason}</span>
                </td>
                <td title={c.lastTest?.at ?? ''}>{c.lastTest ? `${c.lastTest.ok ? 'passed' : 'failed'} ${ago(c.lastTest.at)}` : 'never'}</td>
                <td>{c.mode === 'demo' ? 'Demo' : 'Live'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
