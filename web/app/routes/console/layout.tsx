import { Form, NavLink, Outlet, useRouteLoaderData } from 'react-router';
import { ErrorPage } from '../../components/error-page.tsx';
import { useFocusAfterNavigation } from '../../components/keyboard.ts';
import { isMspStaff, ROLE_LABELS } from '../../../../api/authz.ts';
import { countAwaitingMe } from '../../../../api/approvals/service.ts';
import { listOrganizations } from '../../../../api/organizations/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { temporalWebUrl } from '../../../../api/temporal-client.ts';
import { SignOutButton } from '../../components/forms.tsx';
import { useLiveData, type LiveChange } from '../../components/live.ts';
import { TimeZoneProvider, timeZoneOf, useBrowserTimeZone } from '../../components/time-zone.tsx';
import { navigationFor, VIEW_LABELS, viewOf } from './navigation.ts';
import type { Route } from './+types/layout.ts';

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { actor } = ctx;
  // MSP staff switch between organizations from the shell.
  const organizations = isMspStaff(actor) ? (await listOrganizations(ctx, { limit: 200 })).items.map(({ id, name }) => ({ id, name })) : [];
  return {
    user: { email: actor.email, name: actor.name, role: ROLE_LABELS[actor.role] },
    view: VIEW_LABELS[viewOf(actor)],
    navigation: navigationFor(actor, await countAwaitingMe(ctx)),
    organizations,
    temporalWeb: isMspStaff(actor) ? temporalWebUrl() : null,
    timeZone: timeZoneOf(request),
  };
}

/** A change that may move the Approvals count: a job that starts or stops waiting, or an approver group's people. */
const approvalsMayChange = (c: LiveChange) => c.kind === 'approver_group' || (c.kind === 'job' && (c.state === 'waiting_for_approval' || c.previous === 'waiting_for_approval'));

export default function ConsoleLayout({ loaderData }: Route.ComponentProps) {
  return (
    <Shell data={loaderData}>
      <Outlet />
    </Shell>
  );
}

/** A page that failed inside the console keeps the navigation, so the way on is one click away. */
export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  const data = useRouteLoaderData<typeof loader>('routes/console/layout');
  return data ? (
    <Shell data={data}>
      <ErrorPage error={error} />
    </Shell>
  ) : (
    <main className="centered">
      <ErrorPage error={error} />
    </main>
  );
}

function Shell({ data, children }: { data: Route.ComponentProps['loaderData']; children: React.ReactNode }) {
  const { user, view, navigation, organizations, temporalWeb, timeZone } = data;
  useBrowserTimeZone(timeZone);
  // The navigation's counts on every page; without live updates, every 15 s (pages that show records poll faster).
  useLiveData(15_000, approvalsMayChange);
  useFocusAfterNavigation();
  return (
    <div className="shell">
      <a href="#content" className="skip-link">
        Skip to content
      </a>
      <nav aria-label="Console">
        <NavLink to="/" className="brand" end>
          Anthropy Works
        </NavLink>
        <div className="muted view-label" data-testid="console-view">
          {view}
        </div>
        {organizations.length > 0 && (
          <Form method="get" action="/organizations" className="switcher" aria-label="Organization switcher">
            <label>
              <span className="muted">Organization</span>
              <select name="open" aria-label="Switch organization" defaultValue="">
                <option value="">All organizations</option>
                {organizations.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="secondary">
              Open
            </button>
          </Form>
        )}
        {navigation.map((s) => (
          <NavLink key={s.to} to={s.to}>
            {s.label}
            {s.count ? (
              <span className="nav-count" data-testid={`nav-count-${s.label.toLowerCase()}`} aria-label={`${s.count} waiting`}>
                {s.count}
              </span>
            ) : null}
          </NavLink>
        ))}
        {temporalWeb && (
          <a href={temporalWeb} target="_blank" rel="noreferrer">
            Temporal Web ↗
          </a>
        )}
        <div className="who" data-testid="signed-in-user">
          <div>{user.email}</div>
          <div className="muted" data-testid="signed-in-role">
            {user.role}
          </div>
          <SignOutButton />
        </div>
      </nav>
      <main id="content" tabIndex={-1}>
        <TimeZoneProvider value={timeZone}>{children}</TimeZoneProvider>
      </main>
    </div>
  );
}
