// The one place that says who may do what to which record. Every console loader and action and every
// API handler goes through `authorize` (via the services in api/), so reading this file tells the
// whole rule set. The UI only mirrors it (`can`), to hide what a role cannot use.
//
// Roles:
//   msp_admin      everything.
//   msp_operator   everything except managing MSP staff and product-wide security settings.
//   company_admin  their own organization: its people (company roles), its records, its audit trail.
//   company_user   their own account and work, and the tools their company approved.
// A record of an organization the actor may not see is "not found" (404), never "forbidden".
//
// A personal API token acts as its person, and only within its scopes (see "API token scopes" below).
import type { Db } from '../db/client.ts';
import type { Role, TokenScope } from '../db/schema.ts';
import { filedUnderActor, recordDenied } from './audit/record.ts';
import { ForbiddenError, NotFoundError } from './errors.ts';

export interface Actor {
  kind: 'person' | 'api_token';
  userId: string;
  email: string;
  name: string;
  role: Role;
  organizationId: string;
  /** The API token used, when kind is 'api_token'. */
  tokenId?: string;
  /** What that token may be used for, when kind is 'api_token' (a token without scopes may do nothing). */
  scopes?: readonly TokenScope[];
}

export interface ServiceContext {
  db: Db;
  actor: Actor;
}

export const MSP_ROLES: readonly Role[] = ['msp_admin', 'msp_operator'];
export const COMPANY_ROLES: readonly Role[] = ['company_admin', 'company_user'];
export const isMspStaff = (actor: Pick<Actor, 'role'>) => MSP_ROLES.includes(actor.role);
/** Who may give a job's typed approval (the run's validator checks it again). */
export const APPROVER_ROLES: readonly Role[] = MSP_ROLES;

export const ROLE_LABELS: Record<Role, string> = {
  msp_admin: 'MSP admin',
  msp_operator: 'MSP operator',
  company_admin: 'Company admin',
  company_user: 'Company user',
};

/** What an action is done to: the record's organization, and for people their role and id. */
export interface Target {
  organizationId: string;
  role?: Role;
  userId?: string;
  /** A job: whether an approver group its policy names holds the actor (api/jobs/approvers.ts says). */
  approver?: boolean;
  /** A job: whether the actor asked for it. */
  requester?: boolean;
  /** A workflow definition (or a run of one): whether it is shared with the actor (api/workflow-definitions/sharing.ts). */
  sharedWith?: boolean;
}

type Rule = (actor: Actor, target?: Target) => boolean;

const ownOrg = (actor: Actor, t?: Target) => t !== undefined && t.organizationId === actor.organizationId;
const mspStaff: Rule = (a) => isMspStaff(a);
const mspStaffOrOwnCompanyAdmin: Rule = (a, t) => isMspStaff(a) || (a.role === 'company_admin' && (t === undefined || ownOrg(a, t)));

const runsWorkflow: Rule = (a, t) => mspStaffOrOwnCompanyAdmin(a, t) || (a.role === 'company_user' && ownOrg(a, t) && t?.sharedWith === true);

// Managing a person (invite, deactivate) depends on the role they have or will have.
const managePerson: Rule = (a, t) => {
  if (!t?.role) return false;
  if (a.role === 'msp_admin') return true;
  if (a.role === 'msp_operator') return COMPANY_ROLES.includes(t.role);
  if (a.role === 'company_admin') return ownOrg(a, t) && COMPANY_ROLES.includes(t.role);
  return false;
};

const RULES = {
  'organization.view': (a, t) => isMspStaff(a) || ownOrg(a, t),
  'organization.list_all': mspStaff,
  'organization.create': mspStaff,
  'organization.update': mspStaff,
  'organization.archive': mspStaff,
  'person.view': (a, t) => isMspStaff(a) || (a.role === 'company_admin' && ownOrg(a, t)) || (t?.userId !== undefined && t.userId === a.userId),
  'person.list': mspStaffOrOwnCompanyAdmin,
  'person.invite': managePerson,
  'person.deactivate': (a, t) => managePerson(a, t) && t?.userId !== a.userId,
  'node.view': mspStaffOrOwnCompanyAdmin,
  'node.create': mspStaff,
  'node.update': mspStaff,
  // Enrollment tokens for a node's agent, and revoking a node's identity: MSP staff only.
  'node.enroll': mspStaff,
  'node.revoke': mspStaff,
  // Sending a job to a node's agent (it reads the machine; changing one needs an approval, issue 5).
  'node.refresh_inventory': mspStaff,
  // Jobs (deployments and lifecycle actions): MSP staff request, approve and cancel them; a company
  // admin sees their own organization's; a company person those they may approve or asked for.
  'job.view': (a, t) => mspStaffOrOwnCompanyAdmin(a, t) || (ownOrg(a, t) && (t?.approver === true || t?.requester === true)),
  // An instance is listed under its own organization (a customer's, even on the MSP's shared node).
  'instance.view': mspStaffOrOwnCompanyAdmin,
  'instance.deploy': mspStaff,
  'instance.adopt': mspStaff,
  'instance.restart': mspStaff,
  'instance.check': mspStaff,
  'instance.logs': mspStaff,
  'instance.change': mspStaff,
  // Moving an instance to another bundle version (an upgrade or a downgrade; ADR 0030).
  'instance.upgrade': mspStaff,
  // Writing a gateway's tool policy (its effective capabilities): MSP staff, like every change on a node.
  'instance.apply_capabilities': mspStaff,
  // Approving: MSP staff, and company people an approver group of the job's policy holds (issue 14); the
  // run's validator and the confirming activity check the policy's roles, groups and N-of-M again.
  // Workflow runs (issue 14): company admins run their own organization's workflows, MSP staff all, and
  // a company user the definitions shared with them. A run's steps act with the authority of who started
  // it, checked again at each step; the policy engine decides each action at that moment.
  'workflow.run': runsWorkflow,
  'workflow.run_step': runsWorkflow,
  'job.approve': (a, t) => isMspStaff(a) || (ownOrg(a, t) && t?.approver === true),
  // Cancelling: MSP staff, and a company person the job they asked for (a workflow run of theirs).
  'job.cancel': (a, t) => isMspStaff(a) || (ownOrg(a, t) && t?.requester === true),
  // Fleet rollouts and bulk actions (ADR 0030): MSP staff, who alone act on instances and nodes; pausing,
  // resuming and cancelling one too (its children are checked one by one as their own jobs).
  'fleet.rollout': mspStaff,
  'fleet.control': mspStaff,
  // A retry is a new request of the same job: whoever may request jobs.
  'job.retry': mspStaff,
  // Capabilities (ADR 0012): everyone reads the catalogue; MSP admins change it. MSP staff set an
  // organization's permissions; its company admin sees them and may only narrow them (never an enforced one).
  'capability.view': () => true,
  'capability.manage': (a) => a.role === 'msp_admin',
  'permission.view': mspStaffOrOwnCompanyAdmin,
  'permission.update': mspStaff,
  'permission.narrow': mspStaffOrOwnCompanyAdmin,
  'instance.view_capabilities': mspStaffOrOwnCompanyAdmin,
  'instance.attach_capabilities': mspStaff,
  'policy.check': mspStaffOrOwnCompanyAdmin,
  // Connections (ADR 0013): everyone in the organization sees that they exist (never their credentials);
  // its company admin and MSP staff create them, set credentials, test, disable and delete them.
  'connection.view': (a, t) => isMspStaff(a) || ownOrg(a, t),
  'connection.manage': mspStaffOrOwnCompanyAdmin,
  // Approver groups (issue 14): everyone in the organization sees its groups; its company admin and MSP
  // staff manage them (who joins is checked by the service: the organization's people or MSP staff).
  'approver_group.view': (a, t) => isMspStaff(a) || ownOrg(a, t),
  'approver_group.manage': mspStaffOrOwnCompanyAdmin,
  // Workflow definitions (issue 14): its company admin and MSP staff build an organization's (create,
  // save versions, duplicate, archive, import, preview their policy verdicts, share them with company
  // users); everyone in the organization sees them.
  'workflow_definition.view': (a, t) => isMspStaff(a) || ownOrg(a, t),
  'workflow_definition.build': mspStaffOrOwnCompanyAdmin,
  // Schedules (issue 15): its company admin and MSP staff manage an organization's (create, change, pause,
  // resume, trigger, backfill, delete); each run carries the owner's authority, checked again then.
  // Everyone in the organization sees them: a company user in an approver group pre-approves from the page.
  'schedule.view': (a, t) => isMspStaff(a) || ownOrg(a, t),
  'schedule.manage': mspStaffOrOwnCompanyAdmin,
  // A standing approval: anyone of the organization (or MSP staff) may ask; the service grants it only to
  // a person who may approve the steps it covers (api/jobs/approvers.ts), and checks that again at each use.
  'schedule.pre_approve': (a, t) => isMspStaff(a) || ownOrg(a, t),
  'audit.view': mspStaffOrOwnCompanyAdmin,
  // The customer report (issue 16, ADR 0021): an organization's report is for its MSP staff and its company
  // admin (what it shows, they see on their pages already). Share links, which open the report to anyone
  // holding the link without signing in, are the MSP's to hand out: MSP staff create, list and revoke them.
  'report.view': mspStaffOrOwnCompanyAdmin,
  'report.share': mspStaff,
  'settings.security.update': (a) => a.role === 'msp_admin',
  // Temporal's payloads through the codec server (ADR 0016): decoding shows every organization's data as
  // Temporal stores it, and encoding makes input a run believes came from us: MSP admins only.
  'temporal.payloads.decode': (a) => a.role === 'msp_admin',
  'temporal.payloads.encode': (a) => a.role === 'msp_admin',
  'system.view': mspStaff,
  'system.readiness_check.start': mspStaff,
  'account.manage_own': () => true,
} satisfies Record<string, Rule>;

export type Action = keyof typeof RULES;

/** Whether the actor may do this (for the UI to hide what a role cannot use; the server calls authorize). */
export const can = (actor: Actor, action: Action, target?: Target): boolean => RULES[action](actor, target);

/** Whether the actor may see records of this organization at all. */
export const canSeeOrganization = (actor: Actor, organizationId: string): boolean => isMspStaff(actor) || actor.organizationId === organizationId;

/**
 * Throws unless the actor may do `action` to `target`, and records the refusal in the audit trail.
 * A target in an organization the actor cannot see is NotFound; otherwise Forbidden.
 */
export async function authorize(ctx: ServiceContext, action: Action, target?: Target & { type?: string; id?: string }): Promise<void> {
  if (can(ctx.actor, action, target)) return;
  const hidden = target !== undefined && !canSeeOrganization(ctx.actor, target.organizationId);
  // A probe of another organization's record is filed without an organization: only MSP staff see it, so
  // a company admin cannot learn from their own audit page that the record exists.
  const filedUnder = { type: target?.type ?? null, id: target?.id ?? null, organizationId: hidden ? null : ctx.actor.organizationId };
  await recordDenied(ctx.db, ctx.actor, action, filedUnder, hidden ? 'record of another organization' : `role ${ctx.actor.role} may not ${action}`);
  throw hidden ? new NotFoundError(target?.type ?? 'record') : new ForbiddenError();
}

// ------------------------------------------------------------------------------------ API token scopes
// A token's scopes limit what its person's role allows, per request:
//   read     GET requests: nothing starts or changes.
//   operate  requests that start or change things, except decisions on a job.
//   approve  approving, rejecting and cancelling a job.
// Every endpoint needs exactly one scope, derived from its method unless it declares `approve`
// (api/endpoint.ts), so a new endpoint cannot go without one; the router checks it before the handler
// runs. A console session is the person themself and is not limited by scopes.

/** The scope an endpoint needs: GET reads, anything else operates, unless it is a decision on a job. */
export function endpointScope(method: string, declared?: 'approve'): TokenScope {
  if (declared === 'approve' && method !== 'get') return 'approve';
  if (declared) throw new Error(`an endpoint that answers ${method.toUpperCase()} cannot need the ${declared} scope`);
  return method === 'get' ? 'read' : 'operate';
}

export const lacksScopeMessage = (scope: TokenScope) => `This API token lacks the ${scope} scope.`;

/** Throws (403, audited) when the actor is an API token without `scope`; `endpoint` names the request. */
export async function authorizeScope(ctx: ServiceContext, scope: TokenScope, endpoint: string): Promise<void> {
  if (ctx.actor.kind !== 'api_token' || ctx.actor.scopes?.includes(scope)) return;
  const token = filedUnderActor(ctx.actor, 'api_token', ctx.actor.tokenId ?? null);
  await recordDenied(ctx.db, ctx.actor, 'api_token.use', token, `the token lacks the ${scope} scope`, { endpoint });
  throw new ForbiddenError(lacksScopeMessage(scope));
}
