import { Form, Link, redirect, useNavigation } from 'react-router';
import { importDefinition, listDefinitions } from '../../../../api/workflow-definitions/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { CreateInOrganization, FieldError, FormError, OrganizationSelect } from '../../components/forms.tsx';
import { TableHead } from '../../components/table.tsx';
import { creationChoices } from '../../filter-choices.server.ts';
import { attempt, loadFilteredPage } from '../../service-errors.server.ts';
import type { Route } from './+types/list.ts';
import { DateTime } from '../../components/time-zone.tsx';
import { EmptyState } from '../../components/empty-state.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Workflows · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { items, filters, filterErrors } = await loadFilteredPage(request, ['organizationId', 'archived'], async (q) => ({ ...(await listDefinitions(ctx, q)), nextCursor: null }));
  const choices = await creationChoices(ctx, filters.organizationId, 'workflow_definition.build');
  return {
    definitions: items,
    filters,
    filterErrors,
    ...choices,
  };
}

/** Importing an exported document (the editor builds one without JSON: new.tsx): the new definition's page. */
export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  let definition: unknown;
  try {
    definition = JSON.parse(String(form.get('definition') ?? ''));
  } catch {
    return { ok: false as const, fieldErrors: { definition: 'definition is not JSON: paste a document an export answered' }, formError: 'The document is not JSON.' };
  }
  const name = String(form.get('name') ?? '').trim();
  const result = await attempt(() => importDefinition(ctx, { organizationId: form.get('organizationId'), definition, ...(name ? { name } : {}) }));
  if (result.ok) throw redirect(`/workflows/${result.value.id}`);
  return result;
}

export default function Workflows({ loaderData, actionData }: Route.ComponentProps) {
  const { definitions, filters, filterErrors, organizations, createIn, canCreateAnywhere } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : {};
  // Errors inside the document (definition.steps.1.input.fileId …) are listed under the text area.
  const documentErrors = Object.entries(errors).filter(([field]) => field.startsWith('definition'));
  return (
    <>
      <h1>Workflows</h1>
      <p className="muted">
        Workflow definitions: ordered steps over the organization’s connections and OpenClaw instances, saved as immutable versions. Each step is checked by the policy engine
        before it runs.
      </p>
      {(createIn || canCreateAnywhere) && (
        <p>
          <Link to={createIn ? `/workflows/new?organizationId=${createIn}` : '/workflows/new'}>New workflow</Link>
        </p>
      )}
      <Form method="get" className="row" aria-label="Filter workflows">
        {organizations.length > 0 && (
          <label>
            Organization
            <OrganizationSelect organizations={organizations} defaultValue={filters.organizationId} allLabel="All organizations" />
            <FieldError message={filterErrors.organizationId} />
          </label>
        )}
        <label>
          Archived
          <select name="archived" defaultValue={filters.archived ?? 'exclude'}>
            <option value="exclude">Not shown</option>
            <option value="include">Shown too</option>
            <option value="only">Only archived</option>
          </select>
          <FieldError message={filterErrors.archived} />
        </label>
        <button type="submit" className="secondary">
          Show
        </button>
      </Form>
      {definitions.length === 0 ? (
        <EmptyState next="Build one with the editor, or import a definition below.">No workflow definitions yet.</EmptyState>
      ) : (
        <table data-testid="workflows">
          <TableHead columns={['Name', 'Organization', 'Version', 'Steps', 'Updated']} />
          <tbody>
            {definitions.map((d) => (
              <tr key={d.id}>
                <td>
                  <Link to={`/workflows/${d.id}`}>{d.name}</Link> {d.archivedAt && <span className="badge disabled">archived</span>}
                </td>
                <td>{d.organizationName}</td>
                <td>{d.currentVersion.number}</td>
                <td>{d.currentVersion.stepCount}</td>
                <td>
                  <DateTime iso={d.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {(createIn || canCreateAnywhere) && (
        <Form method="post" className="card stack" aria-label="Import workflow">
          <strong>Import a workflow definition</strong>
          <CreateInOrganization createIn={createIn} organizations={organizations} error={errors.organizationId} />
          <label>
            Name <span className="muted">(optional: replaces the imported name)</span>
            <input name="name" maxLength={100} aria-invalid={Boolean(errors.name)} />
            <FieldError message={errors.name} />
          </label>
          <label>
            Document (JSON, as an export answers it)
            <textarea name="definition" required rows={8} aria-invalid={documentErrors.length > 0} />
          </label>
          {documentErrors.length > 0 && (
            <ul className="error" role="alert" data-testid="import-errors">
              {documentErrors.map(([field, message]) => (
                <li key={field}>
                  <code>{field}</code>: {message}
                </li>
              ))}
            </ul>
          )}
          <FormError message={actionData && !actionData.ok && documentErrors.length === 0 && actionData.formError} />
          <div>
            <button type="submit" disabled={busy}>
              Import
            </button>
          </div>
        </Form>
      )}
    </>
  );
}
