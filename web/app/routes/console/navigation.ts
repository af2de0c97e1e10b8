// The console's navigation for a role: the MSP view (every organization), the company admin view (their
// organization) and the user view (their own work and approved tools). It mirrors api/authz.ts; the
// server enforces the rules whatever the navigation shows.
import { can, isMspStaff, type Actor } from '../../../../api/authz.ts';

export type ConsoleView = 'msp' | 'company_admin' | 'user';
export interface NavItem {
  to: string;
  label: string;
  /** A count shown beside the label (the Approvals inbox: requests waiting for the person). */
  count?: number;
}

export const viewOf = (actor: Actor): ConsoleView => (isMspStaff(actor) ? 'msp' : actor.role === 'company_admin' ? 'company_admin' : 'user');

export const VIEW_LABELS: Record<ConsoleView, string> = { msp: 'MSP view', company_admin: 'Company admin view', user: 'User view' };

export function navigationFor(actor: Actor, awaitingMe = 0): NavItem[] {
  const own = { organizationId: actor.organizationId };
  const items: (NavItem | false)[] = [
    can(actor, 'organization.list_all') && { to: '/organizations', label: 'Organizations' },
    !isMspStaff(actor) && actor.role === 'company_admin' && { to: `/organizations/${actor.organizationId}`, label: 'Organization' },
    can(actor, 'person.list', own) && { to: '/people', label: 'People' },
    can(actor, 'node.view', own) && { to: '/nodes', label: 'Nodes' },
    can(actor, 'instance.view', own) && { to: '/instances', label: 'Instances' },
    can(actor, 'fleet.rollout', own) && { to: '/rollouts', label: 'Rollouts' },
    // A company user's Jobs are their own runs (api/jobs/service.ts listJobs).
    { to: '/jobs', label: 'Jobs' },
    // Everyone: a company person may be in an approver group.
    { to: '/approvals', label: 'Approvals', count: awaitingMe },
    can(actor, 'approver_group.manage', own) && { to: '/approver-groups', label: 'Approver groups' },
    isMspStaff(actor) && { to: '/capabilities', label: 'Capabilities' },
    can(actor, 'connection.view', own) && { to: '/connections', label: 'Connections' },
    can(actor, 'workflow_definition.view', own) && { to: '/workflows', label: 'Workflows' },
    can(actor, 'schedule.view', own) && { to: '/schedules', label: 'Schedules' },
    !isMspStaff(actor) && { to: '/tools', label: 'Tools' },
    can(actor, 'audit.view', own) && { to: '/audit', label: 'Audit' },
    can(actor, 'system.view') && { to: '/system', label: 'System' },
    can(actor, 'settings.security.update') && { to: '/settings/security', label: 'Security settings' },
    { to: '/account', label: 'Account' },
  ];
  return items.filter((i): i is NavItem => i !== false);
}
