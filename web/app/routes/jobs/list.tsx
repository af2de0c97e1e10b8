import { Form, Link } from 'react-router';
import { jobTypes } from '../../../../api/jobs/registry.ts';
import { listJobs } from '../../../../api/jobs/service.ts';
import { JOB_STATES } from '../../../../db/schema.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { AnyOfSelect, OrganizationNodeFilters } from '../../components/list-filters.tsx';
import { ago, useLiveData } from '../../components/live.ts';
import { filterChoices } from '../../filter-choices.server.ts';
import { loadFilteredPage } from '../../service-errors.server.ts';
import type { Route } from './+types/list.ts';
import { JobState, jobTarget } from './job-view.tsx';
import { TableHead } from '../../components/table.tsx';
import { EmptyState } from '../../components/empty-state.tsx';
import { useDateTimeText } from '../../components/time-zone.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Jobs · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { items, filters, filterErrors, nextUrl } = await loadFilteredPage(request, ['state', 'organizationId', 'nodeId', 'type'], (q) => listJobs(ctx, { ...q, limit: 50 }));
  const { organizations, nodeChoices } = await filterChoices(ctx, filters, filterErrors);
  const types = [...jobTypes().values()].map(({ type, label }) => ({ type, label })).sort((a, b) => a.label.localeCompare(b.label));
  return { jobs: items, filters, filterErrors, organizations, nodeChoices, states: JOB_STATES, types, nextUrl };
}

export default function Jobs({ loaderData }: Route.ComponentProps) {
  useLiveData(3000, ['job']); // states and steps change as runs progress
  const { jobs, filters, filterErrors, organizations, nodeChoices, states, types, nextUrl } = loaderData;
  const dateText = useDateTimeText();
  return (
    <>
      <h1>Jobs</h1>
      <p className="muted">
        Every deployment, lifecycle action and check is a Temporal workflow run. Risky steps wait for a typed approval; open a job to approve, reject or cancel it.
      </p>
      <Form method="get" className="row" aria-label="Filter jobs">
        {/* Errors of these filters show with the others below. */}
        <OrganizationNodeFilters organizations={organizations} nodes={nodeChoices} filters={filters} />
        <label>
          Kind
          <select name="type" defaultValue={filters.type ?? ''}>
            <option value="">Any</option>
            {types.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <AnyOfSelect label="State" name="state" values={states} defaultValue={filters.state} />
        <button type="submit" className="secondary">
          Show
        </button>
        {(filters.nodeId || filters.state || filters.organizationId || filters.type) && <Link to="/jobs">Clear</Link>}
      </Form>
      {Object.values(filterErrors).map((e) => (
        <p key={e} className="error" role="alert">
          {e}
        </p>
      ))}
      {jobs.length === 0 ? (
        <EmptyState
          filtered={Boolean(filters.nodeId || filters.state || filters.organizationId || filters.type)}
          clearTo="/jobs"
          next="Deploy OpenClaw from a node’s page, or run a workflow."
        >
          No jobs yet.
        </EmptyState>
      ) : (
        <table data-testid="jobs">
          <TableHead columns={['Job', 'Target', 'Organization', 'Requested by', 'State', 'Step', 'Requested', 'Duration', 'Run']} />
          <tbody>
            {jobs.map((j) => (
              <tr key={j.id}>
                <td>
                  <Link to={`/jobs/${j.id}`}>{j.label}</Link>
                </td>
                <td>{jobTarget(j)}</td>
                <td>{j.organizationName}</td>
                <td>{j.requestedBy ?? '—'}</td>
                <td>
                  <JobState state={j.state} />
                </td>
                <td>{j.step ?? '—'}</td>
                <td title={dateText(j.createdAt)}>{ago(j.createdAt)}</td>
                <td>{j.durationSeconds !== null ? `${j.durationSeconds} s` : '—'}</td>
                <td>
                  <a href={j.temporalUrl} target="_blank" rel="noreferrer">
                    Temporal Web ↗
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {nextUrl && (
        <p>
          <Link to={nextUrl}>Older jobs</Link>
        </p>
      )}
    </>
  );
}
