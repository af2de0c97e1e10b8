import { index, layout, route, type RouteConfig } from '@react-router/dev/routes';

// Every console page. The authorization matrix test reads this list: a route added here without a
// matrix entry fails the tests.
export default [
  route('login', 'routes/auth/login.tsx'),
  route('login/two-factor', 'routes/auth/two-factor.tsx'),
  route('logout', 'routes/auth/logout.tsx'),
  route('invite/:token', 'routes/people/accept-invitation.tsx'),
  // A customer report's share link opens without signing in, outside the console (ADR 0021).
  route('reports/shared/:token', 'routes/reports/shared.tsx'),
  layout('routes/console/layout.tsx', [
    index('routes/console/home.tsx'),
    route('organizations', 'routes/organizations/list.tsx'),
    route('organizations/:organizationId', 'routes/organizations/detail.tsx'),
    route('organizations/:organizationId/permissions', 'routes/organizations/permissions.tsx'),
    route('organizations/:organizationId/report', 'routes/reports/report.tsx'),
    route('capabilities', 'routes/capabilities/catalogue.tsx'),
    route('instances', 'routes/instances/list.tsx'),
    route('instances/:instanceId/capabilities', 'routes/instances/capabilities.tsx'),
    route('people', 'routes/people/list.tsx'),
    route('nodes', 'routes/nodes/list.tsx'),
    route('nodes/:nodeId', 'routes/nodes/detail.tsx'),
    route('instances/:instanceId/logs', 'routes/instances/logs.tsx'),
    route('rollouts', 'routes/rollouts/list.tsx'),
    route('rollouts/:jobId', 'routes/rollouts/detail.tsx'),
    route('jobs', 'routes/jobs/list.tsx'),
    route('jobs/:jobId', 'routes/jobs/detail.tsx'),
    route('approvals', 'routes/approvals/inbox.tsx'),
    route('approver-groups', 'routes/approvals/groups.tsx'),
    route('audit', 'routes/audit/audit.tsx'),
    route('account', 'routes/account/account.tsx'),
    route('account/two-factor', 'routes/account/two-factor.tsx'),
    route('account/tokens', 'routes/account/tokens.tsx'),
    route('settings/security', 'routes/settings/security.tsx'),
    route('system', 'routes/system/system.tsx'),
    route('connections', 'routes/connections/list.tsx'),
    route('connections/oauth/callback', 'routes/connections/oauth-callback.tsx'),
    route('connections/:connectionId', 'routes/connections/detail.tsx'),
    route('workflows', 'routes/workflows/list.tsx'),
    route('workflows/new', 'routes/workflows/new.tsx'),
    route('workflows/:definitionId', 'routes/workflows/detail.tsx'),
    route('workflows/:definitionId/edit', 'routes/workflows/edit.tsx'),
    route('schedules', 'routes/schedules/list.tsx'),
    route('schedules/:scheduleId', 'routes/schedules/detail.tsx'),
    // Sections whose issues have not landed yet show a "coming" page.
    ...['tools'].map((section) => route(section, 'routes/console/coming.tsx', { id: `coming-${section}` })),
  ]),
] satisfies RouteConfig;
