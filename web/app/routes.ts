import { index, layout, route, type RouteConfig } from '@react-router/dev/routes';

export default [
  route('login', 'routes/auth/login.tsx'),
  route('logout', 'routes/auth/logout.tsx'),
  layout('routes/console/layout.tsx', [
    index('routes/console/home.tsx'),
    route('system', 'routes/system/system.tsx'),
    route('audit', 'routes/audit/audit.tsx'),
    // Sections whose issues have not landed yet show a "coming" page.
    ...['organizations', 'nodes', 'instances', 'jobs', 'capabilities', 'connections', 'workflows'].map((section) =>
      route(section, 'routes/console/coming.tsx', { id: `coming-${section}` })),
  ]),
] satisfies RouteConfig;
