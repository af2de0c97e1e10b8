// The home page: the fleet at a glance, from the same service as GET /dashboard (api/dashboard/service.ts),
// in the signed-in person's view: MSP staff every organization (or the one they pick), a company admin
// theirs, a company user what they may see (a section they may not see is left out, not shown as zero).
// Each count links to the list it counts. Below: what waits for the person, what failed in 24 hours, and
// the 7-day charts (GET /dashboard/charts), each left out where its section is null.
import { Form, Link, useRouteLoaderData } from 'react-router';
import { isMspStaff } from '../../../../api/authz.ts';
import { getDashboardCharts } from '../../../../api/dashboard/charts.ts';
import { getDashboard, type DashboardOutput } from '../../../../api/dashboard/service.ts';
import { InvalidInputError } from '../../../../api/errors.ts';
import { listOrganizations } from '../../../../api/organizations/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { FieldError, OrganizationSelect } from '../../components/forms.tsx';
import { useLiveData } from '../../components/live.ts';
import { timeZoneOf } from '../../components/time-zone.tsx';
import { load } from '../../service-errors.server.ts';
import type { loader as layoutLoader } from './layout.tsx';
import type { Route } from './+types/home.ts';
import { DashboardCharts } from './dashboard-charts.tsx';
import { RecentFailures, WaitingForMe } from './dashboard-lists.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const organizationId = new URL(request.url).searchParams.get('organizationId')?.trim() || undefined;
  const organizations = isMspStaff(ctx.actor) ? (await listOrganizations(ctx, { limit: 200 })).items.map(({ id, name }) => ({ id, name })) : [];
  try {
    const [dashboard, charts] = await Promise.all([
      load(() => getDashboard(ctx, { organizationId })),
      load(() => getDashboardCharts(ctx, { organizationId, timeZone: timeZoneOf(request) })),
    ]);
    return { dashboard, charts, organizationId, organizations, error: null };
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    return { dashboard: null, charts: null, organizationId, organizations, error: err.fieldErrors.organizationId ?? err.message };
  }
}

/** A list's URL with its filters, in the organization the dashboard counts. */
const listUrl = (path: string, organizationId: string | null, filters: Record<string, string>) =>
  `${path}?${new URLSearchParams({ ...(organizationId ? { organizationId } : {}), ...filters }).toString()}`;

function Tile({ title, testId, rows }: { title: string; testId: string; rows: { label: string; count: number; to: string }[] }) {
  return (
    <section className="card" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      <dl>
        {rows.map((r) => (
          <div key={r.label} style={{ display: 'contents' }}>
            <dt>
              <Link to={r.to}>{r.label}</Link>
            </dt>
            <dd data-testid={`${testId}-${r.label.replaceAll(' ', '-')}`}>{r.count}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Fleet({ dashboard: d }: { dashboard: DashboardOutput }) {
  const org = d.organizationId;
  return (
    <div className="tiles">
      {d.nodes && (
        <Tile
          title="Nodes"
          testId="dashboard-nodes"
          rows={(['online', 'stale', 'offline', 'pending'] as const).map((s) => ({ label: s, count: d.nodes![s], to: listUrl('/nodes', org, { status: s }) }))}
        />
      )}
      {d.instances && (
        <Tile
          title="Instances"
          testId="dashboard-instances"
          rows={(
            [
              ['managed', { state: 'managed' }],
              ['discovered', { state: 'discovered' }],
              ['healthy', { health: 'healthy' }],
              ['unhealthy', { health: 'unhealthy' }],
              ['drifted', { drifted: 'yes' }],
            ] as const
          ).map(([label, filter]) => ({ label, count: d.instances![label], to: listUrl('/instances', org, filter) }))}
        />
      )}
      {d.jobs && (
        <Tile
          title="Jobs"
          testId="dashboard-jobs"
          rows={[
            { label: 'waiting for my approval', count: d.jobs.awaitingMyApproval, to: listUrl('/jobs', org, { state: 'waiting_for_approval' }) },
            { label: 'failed in 24 h', count: d.jobs.failedLast24h, to: listUrl('/jobs', org, { state: 'failed' }) },
          ]}
        />
      )}
    </div>
  );
}

export default function Home({ loaderData }: Route.ComponentProps) {
  useLiveData(5000); // counts follow every record it counts
  const shell = useRouteLoaderData<typeof layoutLoader>('routes/console/layout');
  const { dashboard, charts, organizationId, organizations, error } = loaderData;
  const counted = Boolean(dashboard && (dashboard.nodes || dashboard.instances || dashboard.jobs));
  return (
    <>
      <h1>Welcome, {shell?.user.name}</h1>
      <p>You are in the {shell?.view.toLowerCase()}. Every action is recorded in the audit trail.</p>
      {organizations.length > 0 && (
        <Form method="get" className="row" aria-label="Dashboard organization">
          <label>
            Organization
            <OrganizationSelect organizations={organizations} defaultValue={organizationId} allLabel="All organizations" />
            <FieldError message={error} />
          </label>
          <button type="submit" className="secondary">
            Show
          </button>
        </Form>
      )}
      {dashboard && counted && <Fleet dashboard={dashboard} />}
      {dashboard && <WaitingForMe waiting={dashboard.waitingForMe} />}
      {dashboard && <RecentFailures failures={dashboard.failures} listUrl={(path, filters) => listUrl(path, dashboard.organizationId, filters)} />}
      {charts && <DashboardCharts charts={charts} />}
      <h2>Go to</h2>
      <ul>
        {shell?.navigation.map((s) => (
          <li key={s.to}>
            <Link to={s.to}>{s.label}</Link>
          </li>
        ))}
      </ul>
    </>
  );
}
