// Every OpenClaw instance across nodes (issue 16) with its organization, node, state, version, health, drift
// and attached capabilities: filters and search, and "Check health" for the managed
// instances selected, each a health_check job (api/instances/health-checks.ts); the answer tells how
// many started and why any was refused. The same selection can also go to a rollout (issue 19, ADR 0030):
// health checks or restarts in batches, a restart after one typed approval, followed on its rollout page.
import { Form, Link, redirect, useNavigation } from 'react-router';
import { can } from '../../../../api/authz.ts';
import { requestRollout } from '../../../../api/fleet/service.ts';
import { HEALTH_STATUSES } from '../../../../api/instances/health.ts';
import { requestHealthChecks } from '../../../../api/instances/health-checks.ts';
import { listInstances } from '../../../../api/instances/list.ts';
import { INSTANCE_STATES } from '../../../../db/schema.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FieldError, FormError } from '../../components/forms.tsx';
import { AnyOfSelect, OrganizationNodeFilters } from '../../components/list-filters.tsx';
import { useLiveData } from '../../components/live.ts';
import { TableHead } from '../../components/table.tsx';
import { filterChoices } from '../../filter-choices.server.ts';
import { attempt, loadFilteredPage } from '../../service-errors.server.ts';
import type { Route } from './+types/list.ts';
import { HealthChecksResult, InstanceHealth } from './instance-health.tsx';
import { EmptyState } from '../../components/empty-state.tsx';
import { useDateTimeText } from '../../components/time-zone.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Instances · Anthropy Works' }];

const FILTERS = ['organizationId', 'nodeId', 'state', 'health', 'drifted', 'q'] as const;

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const page = await loadFilteredPage(request, FILTERS, (q) => listInstances(ctx, { ...q, limit: 100 }));
  const { organizations, nodeChoices } = await filterChoices(ctx, page.filters, page.filterErrors);
  // A customer's instance may run on the MSP's shared node, which its company admin may not open.
  const instances = page.items.map((i) => ({ ...i, nodeVisible: can(ctx.actor, 'node.view', { organizationId: i.nodeOrganizationId }) }));
  const own = { organizationId: ctx.actor.organizationId };
  return {
    instances,
    filters: page.filters,
    filterErrors: page.filterErrors,
    nextUrl: page.nextUrl,
    organizations,
    nodeChoices,
    canCheck: can(ctx.actor, 'instance.check', own),
    canReadLogs: can(ctx.actor, 'instance.logs', own),
    // Through the loader, so the page's browser code needs none of the server's modules.
    states: INSTANCE_STATES,
    healthStatuses: HEALTH_STATUSES,
  };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  const instanceIds = form.getAll('instanceId').map(String);
  const rollout = form.get('rollout');
  if (rollout === 'health' || rollout === 'restart') {
    // The selection only: an empty one is refused, never read as "every instance".
    if (!instanceIds.length) return { ok: false as const, fieldErrors: {}, formError: 'Choose at least one managed instance for the rollout.' };
    const started = await attempt(() => requestRollout(ctx, { action: rollout, instanceIds }));
    if (started.ok) return redirect(`/rollouts/${started.value.id}`);
    return { ok: false as const, fieldErrors: {}, formError: started.formError };
  }
  return attempt(() => requestHealthChecks(ctx, { instanceIds }));
}

export default function Instances({ loaderData, actionData }: Route.ComponentProps) {
  useLiveData(3000, ['instance', 'node']); // health and states change as jobs finish and agents report
  const { instances, filters, filterErrors, nextUrl, organizations, nodeChoices, canCheck, canReadLogs, states, healthStatuses } = loaderData;
  const busy = useNavigation().state === 'submitting';
  const dateText = useDateTimeText();
  const filtered = FILTERS.some((f) => filters[f]);
  return (
    <>
      <h1>Instances</h1>
      <p className="muted">
        Every OpenClaw gateway on the nodes you manage: <span className="badge">managed</span> ones were deployed or adopted here; <span className="badge">discovered</span> ones
        were found running and are left as they are until adopted (from their node’s page).
      </p>
      <Form method="get" className="row" aria-label="Filter instances">
        <OrganizationNodeFilters organizations={organizations} nodes={nodeChoices} filters={filters} errors={filterErrors} />
        <AnyOfSelect label="State" name="state" values={states} defaultValue={filters.state} />
        <AnyOfSelect label="Health" name="health" values={healthStatuses} defaultValue={filters.health} />
        <AnyOfSelect label="Tools drifted" name="drifted" values={['yes', 'no']} defaultValue={filters.drifted} />
        <label>
          Name
          <input type="search" name="q" defaultValue={filters.q ?? ''} maxLength={100} />
          <FieldError message={filterErrors.q} />
        </label>
        <button type="submit" className="secondary">
          Show
        </button>
        {filtered && <Link to="/instances">Clear</Link>}
      </Form>
      {Object.entries(filterErrors)
        .filter(([field]) => !['organizationId', 'nodeId', 'q'].includes(field))
        .map(([field, e]) => (
          <p key={field} className="error" role="alert">
            {e}
          </p>
        ))}
      {actionData?.ok && <HealthChecksResult outcome={actionData.value} />}
      <FormError message={actionData && !actionData.ok && actionData.formError} />
      <Form method="post" aria-label="Check health of the selected instances">
        <input type="hidden" name="intent" value="health-check" />
        <table data-testid="instances">
          <TableHead columns={[...(canCheck ? [''] : []), 'Instance', 'Organization', 'Node', 'State', 'Version', 'Health', 'Capabilities', '']} />
          <tbody>
            {instances.map((i) => (
              <tr key={i.id} data-instance={i.name}>
                {canCheck && <td>{i.state === 'managed' && <input type="checkbox" name="instanceId" value={i.id} aria-label={`Select ${i.name}`} />}</td>}
                <td>{i.name}</td>
                <td>{i.organizationName}</td>
                <td>
                  {i.nodeVisible ? <Link to={`/nodes/${i.nodeId}`}>{i.nodeName}</Link> : i.nodeName} <span className={`badge ${i.nodeStatus}`}>{i.nodeStatus}</span>
                </td>
                <td>
                  <span className="badge" data-testid="instance-state">
                    {i.state}
                  </span>
                </td>
                <td>{i.bundleVersion ?? '—'}</td>
                <td>
                  <InstanceHealth status={i.healthStatus} health={i.health} />
                  {i.driftedSince && (
                    <span className="badge failed" title={`since ${dateText(i.driftedSince)}`}>
                      tools drifted
                    </span>
                  )}
                </td>
                <td data-testid="instance-capabilities">{i.capabilities.length ? i.capabilities.map((c) => c.name).join(', ') : <span className="muted">none attached</span>}</td>
                <td className="row">
                  <Link to={`/instances/${i.id}/capabilities`} aria-label={`Capabilities of ${i.name}`}>
                    Capabilities
                  </Link>
                  {canReadLogs && i.state === 'managed' && (
                    <Link to={`/instances/${i.id}/logs`} aria-label={`Logs of ${i.name}`}>
                      Logs
                    </Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {instances.length === 0 && (
          <EmptyState filtered={filtered} clearTo="/instances" next="Deploy one from a node’s page, or enroll a node that runs one.">
            No OpenClaw instance yet.
          </EmptyState>
        )}
        {canCheck && instances.some((i) => i.state === 'managed') && (
          <p className="row">
            <button type="submit" disabled={busy}>
              Check health of selected
            </button>
            <span className="muted">A health check job for each selected managed instance (no approval: it only reads).</span>
          </p>
        )}
        {canCheck && instances.some((i) => i.state === 'managed') && (
          <p className="row">
            <button type="submit" name="rollout" value="health" className="secondary" disabled={busy}>
              Health check rollout
            </button>
            <button type="submit" name="rollout" value="restart" className="secondary" disabled={busy}>
              Restart rollout
            </button>
            <span className="muted">The selected instances in batches of two after a canary of one, stopping when a batch fails; a restart waits for one approval for all.</span>
          </p>
        )}
      </Form>
      {nextUrl && (
        <p>
          <Link to={nextUrl}>More instances</Link>
        </p>
      )}
    </>
  );
}
