import { Form, NavLink, Outlet } from 'react-router';
import { requireSession } from '../../auth/guard.server.ts';
import { can, ROLE_LABELS, type Permission } from '../../auth/permissions.ts';
import { temporalWebUrl } from '../../temporal.server.ts';
import type { Route } from './+types/layout.ts';

const SECTIONS: { to: string; label: string; permission?: Permission }[] = [
  { to: '/organizations', label: 'Organizations' },
  { to: '/nodes', label: 'Nodes' },
  { to: '/instances', label: 'Instances' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/capabilities', label: 'Capabilities' },
  { to: '/connections', label: 'Connections' },
  { to: '/workflows', label: 'Workflows' },
  { to: '/audit', label: 'Audit', permission: 'audit.view' },
  { to: '/system', label: 'System', permission: 'system.view' },
];

export async function loader({ request }: Route.LoaderArgs) {
  const { user } = await requireSession(request);
  return {
    user: { email: user.email, name: user.name, role: ROLE_LABELS[user.role] },
    sections: SECTIONS.filter((s) => !s.permission || can(user.role, s.permission)).map(({ to, label }) => ({ to, label })),
    temporalWeb: temporalWebUrl(),
  };
}

export default function ConsoleLayout({ loaderData }: Route.ComponentProps) {
  const { user, sections, temporalWeb } = loaderData;
  return (
    <div className="shell">
      <nav aria-label="Console">
        <NavLink to="/" className="brand" end>Anthropy Works</NavLink>
        {sections.map((s) => <NavLink key={s.to} to={s.to}>{s.label}</NavLink>)}
        <a href={temporalWeb} target="_blank" rel="noreferrer">Temporal Web ↗</a>
        <div className="who" data-testid="signed-in-user">
          <div>{user.email}</div>
          <div className="muted" data-testid="signed-in-role">{user.role}</div>
          <Form method="post" action="/logout"><button type="submit" className="link">Sign out</button></Form>
        </div>
      </nav>
      <main><Outlet /></main>
    </div>
  );
}
