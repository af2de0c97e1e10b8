import { Form, Link } from 'react-router';
import { listAuditEvents } from '../../../../api/audit/service.ts';
import { isMspStaff } from '../../../../api/authz.ts';
import { listOrganizations } from '../../../../api/organizations/service.ts';
import { AUDIT_OUTCOMES } from '../../../../db/schema.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { loadFilteredPage } from '../../service-errors.server.ts';
import type { Route } from './+types/audit.ts';
import { FieldError } from '../../components/forms.tsx';
import { OrganizationNodeFilters } from '../../components/list-filters.tsx';
import { TableHead } from '../../components/table.tsx';
import { DateTime } from '../../components/time-zone.tsx';
import { EmptyState } from '../../components/empty-state.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Audit · Anthropy Works' }];

const FILTERS = ['organizationId', 'actor', 'action', 'outcome', 'from', 'to'] as const;

// The form's date-time fields have no time zone; the console reads them as UTC (and says so).
const asUtc = (value: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00Z` : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(value) ? `${value}Z` : value);
const asLocalInput = (value: string | undefined) => value?.match(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})/)?.[1] ?? '';

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { items, filters, filterErrors, paged, firstUrl, nextUrl } = await loadFilteredPage(request, FILTERS, (q) =>
    listAuditEvents(ctx, { ...q, from: q.from && asUtc(q.from), to: q.to && asUtc(q.to), limit: 100 }),
  );
  const organizations = isMspStaff(ctx.actor) ? (await listOrganizations(ctx, { archived: 'include', limit: 200 })).items.map(({ id, name }) => ({ id, name })) : [];
  return { events: items, filters, fieldErrors: filterErrors, organizations, outcomes: AUDIT_OUTCOMES, paged, newestUrl: firstUrl, olderUrl: nextUrl };
}

export default function Audit({ loaderData }: Route.ComponentProps) {
  const { events, filters, fieldErrors, organizations, outcomes, paged, newestUrl, olderUrl } = loaderData;
  const filtered = Object.keys(filters).length > 0;
  return (
    <>
      <h1>Audit</h1>
      <p className="muted">Append-only and hash-chained: every sign-in, change and refusal, newest first.</p>
      <Form method="get" className="row card" aria-label="Filter audit events">
        <OrganizationNodeFilters organizations={organizations} filters={filters} errors={fieldErrors} />
        <label>
          Actor
          <input name="actor" defaultValue={filters.actor ?? ''} placeholder="email or part of it" maxLength={200} />
          <FieldError message={fieldErrors.actor} />
        </label>
        <label>
          Action
          <input name="action" defaultValue={filters.action ?? ''} placeholder="node.create or auth.*" maxLength={100} />
          <FieldError message={fieldErrors.action} />
        </label>
        <label>
          Outcome
          <select name="outcome" defaultValue={filters.outcome ?? ''}>
            <option value="">Any</option>
            {outcomes.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
          <FieldError message={fieldErrors.outcome} />
        </label>
        <label>
          From (UTC)
          <input type="datetime-local" name="from" defaultValue={asLocalInput(filters.from)} />
          <FieldError message={fieldErrors.from} />
        </label>
        <label>
          To (UTC)
          <input type="datetime-local" name="to" defaultValue={asLocalInput(filters.to)} />
          <FieldError message={fieldErrors.to} />
        </label>
        <button type="submit">Filter</button>
        {filtered && <Link to="/audit">Clear filters</Link>}
      </Form>
      {fieldErrors.cursor && (
        <p className="error" role="alert">
          {fieldErrors.cursor} <Link to={newestUrl}>Start from the newest events</Link>
        </p>
      )}
      {events.length === 0 ? (
        <EmptyState filtered={filtered} clearTo="/audit">
          No events yet.
        </EmptyState>
      ) : (
        <table data-testid="audit-events">
          <TableHead columns={['Time', 'Actor', 'Action', 'Target', 'Outcome', 'Reason']} />
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td>
                  <DateTime iso={e.at} />
                </td>
                <td>
                  {e.actorLabel} <span className="muted">({e.actorType})</span>
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{e.targetType ? `${e.targetType} ${e.targetId ?? ''}` : '—'}</td>
                <td>
                  <span className={`badge ${e.outcome}`}>{e.outcome}</span>
                </td>
                <td>{e.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <p className="row">
        {paged && <Link to={newestUrl}>Newest events</Link>}
        {olderUrl && <Link to={olderUrl}>Older events</Link>}
      </p>
    </>
  );
}
