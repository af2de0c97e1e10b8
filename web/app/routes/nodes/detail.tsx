import { Form, Link, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import type { FieldErrors } from '../../../../api/errors.ts';
import { getNode, updateNode } from '../../../../api/nodes/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/detail.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [{ title: `${loaderData?.node.name ?? 'Node'} · Anthropy Works` }];

/** "a, b,c" → ['a', 'b', 'c']; the service checks each label. */
const splitLabels = (value: FormDataEntryValue | null) => String(value ?? '').split(',').map((l) => l.trim()).filter(Boolean);
/** The first problem with the labels (the service names them `labels` or `labels.<n>`). */
const labelsError = (errors: FieldErrors) => Object.entries(errors).find(([field]) => field === 'labels' || field.startsWith('labels.'))?.[1];

export async function loader({ request, params }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const node = await load(() => getNode(ctx, params.nodeId));
  return { node, canEdit: can(ctx.actor, 'node.update', { organizationId: node.organizationId }), canSeeOrganization: can(ctx.actor, 'organization.view', { organizationId: node.organizationId }) };
}

export async function action({ request, params }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  return attempt(() => updateNode(ctx, params.nodeId, { name: form.get('name'), labels: splitLabels(form.get('labels')), notes: form.get('notes') ?? '' }));
}

export default function NodeDetail({ loaderData, actionData }: Route.ComponentProps) {
  const { node, canEdit, canSeeOrganization } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : {};
  return (
    <>
      <h1>{node.name}</h1>
      <p className="muted">
        Node of {canSeeOrganization ? <Link to={`/organizations/${node.organizationId}`}>{node.organizationName}</Link> : node.organizationName}
        {' · '}<Link to={`/nodes?organizationId=${node.organizationId}`}>All its nodes</Link>
      </p>
      <table data-testid="node">
        <tbody>
          <tr><th>Status</th><td><span className={`badge ${node.status}`}>{node.status}</span>{node.status === 'pending' && <span className="muted"> (until an agent enrolls on the machine)</span>}</td></tr>
          <tr><th>Labels</th><td>{node.labels.length ? node.labels.map((l) => <code key={l}>{l} </code>) : '—'}</td></tr>
          <tr><th>Notes</th><td style={{ whiteSpace: 'pre-wrap' }}>{node.notes || '—'}</td></tr>
          <tr><th>Created by</th><td>{node.createdBy ?? '—'}</td></tr>
          <tr><th>Created</th><td>{new Date(node.createdAt).toLocaleString()}</td></tr>
          <tr><th>Updated</th><td>{new Date(node.updatedAt).toLocaleString()}</td></tr>
          <tr><th>Id</th><td><code>{node.id}</code></td></tr>
        </tbody>
      </table>
      {actionData?.ok && <p role="status">Saved.</p>}
      {canEdit && (
        <Form method="post" className="card stack" aria-label="Edit node" key={node.updatedAt}>
          <strong>Edit</strong>
          <label>
            Name
            <input name="name" required maxLength={63} defaultValue={node.name} aria-invalid={Boolean(errors.name)} />
            {errors.name && <span className="field-error">{errors.name}</span>}
          </label>
          <label>
            Labels
            <input name="labels" defaultValue={node.labels.join(', ')} aria-invalid={Boolean(labelsError(errors))} />
            <span className="muted">Comma-separated.</span>
            {labelsError(errors) && <span className="field-error">{labelsError(errors)}</span>}
          </label>
          <label>
            Notes
            <textarea name="notes" rows={4} maxLength={2000} defaultValue={node.notes} aria-invalid={Boolean(errors.notes)} />
            {errors.notes && <span className="field-error">{errors.notes}</span>}
          </label>
          {actionData && !actionData.ok && Object.keys(errors).length === 0 && <p className="error" role="alert">{actionData.formError}</p>}
          <div><button type="submit" disabled={busy}>Save</button></div>
        </Form>
      )}
    </>
  );
}
