import { Form, Link, redirect, useNavigation } from 'react-router';
import { can, isMspStaff } from '../../../../api/authz.ts';
import { requestRollout } from '../../../../api/fleet/service.ts';
import { createNode, listNodes, MAX_LABELS } from '../../../../api/nodes/service.ts';
import { listOrganizations } from '../../../../api/organizations/service.ts';
import { NODE_STATUSES } from '../../../../db/schema.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, loadFilteredPage } from '../../service-errors.server.ts';
import type { Route } from './+types/list.ts';
import { FieldError, FormError } from '../../components/forms.tsx';
import { OrganizationNodeFilters } from '../../components/list-filters.tsx';
import { ago, useLiveData } from '../../components/live.ts';
import { labelsError, splitLabels } from './labels.ts';
import { TableHead } from '../../components/table.tsx';
import { EmptyState } from '../../components/empty-state.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Nodes · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { items, filters, filterErrors, nextUrl } = await loadFilteredPage(request, ['organizationId', 'status'], (q) => listNodes(ctx, { ...q, limit: 100 }));
  const canCreate = can(ctx.actor, 'node.create');
  const organizations = isMspStaff(ctx.actor) ? (await listOrganizations(ctx, { limit: 200 })).items.map(({ id, name }) => ({ id, name })) : [];
  const canRefreshAll = can(ctx.actor, 'fleet.rollout', { organizationId: ctx.actor.organizationId });
  return { nodes: items, filters, filterErrors, organizations, canCreate, canRefreshAll, statuses: NODE_STATUSES, maxLabels: MAX_LABELS, nextUrl };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  if (form.get('intent') === 'refresh-all') {
    // Every enrolled node (of the filtered organization): a bulk inventory refresh, one job per node (ADR 0030).
    const organizationId = String(form.get('organizationId') ?? '') || undefined;
    const started = await attempt(() => requestRollout(ctx, { action: 'inventory', organizationId, batchSize: 10, canarySize: 0, maxFailuresPerBatch: 50, maxFailureRatio: 1 }));
    if (started.ok) return redirect(`/rollouts/${started.value.id}`);
    return { ok: false as const, fieldErrors: {}, formError: started.formError };
  }
  return attempt(() =>
    createNode(ctx, {
      organizationId: form.get('organizationId'),
      name: form.get('name'),
      labels: splitLabels(form.get('labels')),
      notes: form.get('notes') ?? '',
    }),
  );
}

export default function Nodes({ loaderData, actionData }: Route.ComponentProps) {
  useLiveData(3000, ['node']); // statuses change as agents report and monitors judge
  const { nodes, filters, filterErrors, organizations, canCreate, canRefreshAll, statuses, maxLabels, nextUrl } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const errors = actionData && !actionData.ok ? actionData.fieldErrors : {};
  const created = actionData?.ok ? actionData.value : null;
  return (
    <>
      <h1>Nodes</h1>
      <p className="muted">
        The machines you manage. A new node stays <span className="badge">pending</span> until an agent enrolls on the machine (open the node and create its enrollment command).
      </p>
      <Form method="get" className="row" aria-label="Filter nodes">
        <OrganizationNodeFilters organizations={organizations} filters={filters} errors={filterErrors} />
        <label>
          Status
          <select name="status" defaultValue={filters.status ?? ''}>
            <option value="">Any</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <FieldError message={filterErrors.status} />
        </label>
        <button type="submit" className="secondary">
          Show
        </button>
      </Form>
      <FormError message={filterErrors.cursor} />
      {canRefreshAll && (
        <Form method="post" className="row" aria-label="Refresh inventory of every node">
          <input type="hidden" name="intent" value="refresh-all" />
          {filters.organizationId && <input type="hidden" name="organizationId" value={filters.organizationId} />}
          <button type="submit" className="secondary" disabled={busy}>
            Refresh inventory of every node{filters.organizationId ? ' shown' : ''}
          </button>
          <span className="muted">A bulk action: one inventory job per enrolled node, ten at a time, followed on its rollout page.</span>
        </Form>
      )}
      {canCreate && (
        <Form method="post" className="card stack" aria-label="Create node" key={created?.id ?? 'new'}>
          <strong>New node</strong>
          <label>
            Organization
            <select name="organizationId" required defaultValue={filters.organizationId ?? ''} aria-invalid={Boolean(errors.organizationId)}>
              <option value="" disabled>
                Choose an organization
              </option>
              {organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
            <FieldError message={errors.organizationId} />
          </label>
          <label>
            Name
            <input name="name" required maxLength={63} placeholder="edge-01.example" aria-invalid={Boolean(errors.name)} />
            <span className="muted">Letters, digits, dots and hyphens; starts and ends with a letter or digit; unique within the organization.</span>
            <FieldError message={errors.name} />
          </label>
          <label>
            Labels
            <input name="labels" placeholder="site=paris, role/gateway" aria-invalid={Boolean(labelsError(errors))} />
            <span className="muted">Comma-separated, at most {maxLabels}.</span>
            <FieldError message={labelsError(errors)} />
          </label>
          <label>
            Notes
            <textarea name="notes" rows={3} maxLength={2000} aria-invalid={Boolean(errors.notes)} />
            <FieldError message={errors.notes} />
          </label>
          <FormError message={actionData && !actionData.ok && Object.keys(errors).length === 0 && actionData.formError} />
          <div>
            <button type="submit" disabled={busy}>
              Create node
            </button>
          </div>
        </Form>
      )}
      {created && (
        <p role="status">
          Created <Link to={`/nodes/${created.id}`}>{created.name}</Link> in {created.organizationName}; it is pending until its agent enrolls.
        </p>
      )}
      {nodes.length === 0 ? (
        <EmptyState filtered={Boolean(filters.organizationId || filters.status)} clearTo="/nodes" next="Create a node above, then run its agent with the enrollment command.">
          No nodes yet.
        </EmptyState>
      ) : (
        <table data-testid="nodes">
          <TableHead columns={['Name', 'Organization', 'Status', 'Last seen', 'Agent', 'Labels', 'Created by']} />
          <tbody>
            {nodes.map((n) => (
              <tr key={n.id}>
                <td>
                  <Link to={`/nodes/${n.id}`}>{n.name}</Link>
                </td>
                <td>{n.organizationName}</td>
                <td>
                  <span className={`badge ${n.status}`} data-testid="node-status">
                    {n.status}
                  </span>
                </td>
                <td title={n.lastSeenAt ?? ''}>{ago(n.lastSeenAt)}</td>
                <td>{n.agent ? `${n.agent.version} on ${n.agent.hostname}` : '—'}</td>
                <td>
                  {n.labels.map((l) => (
                    <code key={l}>{l} </code>
                  ))}
                </td>
                <td>{n.createdBy ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {nextUrl && (
        <p>
          <Link to={nextUrl}>More nodes</Link>
        </p>
      )}
    </>
  );
}
