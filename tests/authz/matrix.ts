// The expected outcome of every console route and API endpoint, per role, against a record of the
// role's own organization ("own": customer A, where the company people work; MSP staff see all) and of
// another organization ("other": customer B). Values are exact HTTP statuses: [own, other].
// tests/integration/authorization-matrix.test.ts runs them and fails on a route or endpoint missing here.
import crypto from 'node:crypto';
import { generateKeyPair } from '../../protocol/envelope.ts';
import { eq } from 'drizzle-orm';
import {
  approverGroupMembers,
  approverGroups,
  capabilities,
  capabilityAttachments,
  connections,
  instances,
  jobs,
  nodeEnrollmentTokens,
  nodes,
  permissions,
  reportShareLinks,
  schedules,
  standingApprovals,
  workflowDefinitions,
  workflowVersions,
} from '../../db/schema.ts';
import type { RoleUnderTest, Seed } from './seed.ts';

export type Which = 'own' | 'other';
export interface MatrixRequest {
  /** The concrete path; defaults to the pattern itself (for paths without parameters). */
  path?: string;
  body?: Record<string, unknown>;
  /** Use a session of its own (for requests that end the session, like sign-out). */
  freshSession?: boolean;
}
export interface MatrixEntry {
  request(seed: Seed, role: RoleUnderTest, which: Which): MatrixRequest | Promise<MatrixRequest>;
  expect: Record<RoleUnderTest, [number, number]>;
}
type Outcomes = Partial<Record<RoleUnderTest, number | [number, number]>>;

const orgOf = (s: Seed, which: Which) => (which === 'own' ? s.orgA : s.orgB);
const nodeOf = (s: Seed, which: Which) => (which === 'own' ? s.nodeA : s.nodeB);
/** A request for the list at `path` in the own or the other organization. */
const inOrganization = (path: string) => (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `${path}?organizationId=${orgOf(s, w)}` });
const atOrganization = () => (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/organizations/${orgOf(s, w)}` });
const atNode = () => (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/nodes/${nodeOf(s, w)}` });
const isMsp = (role: RoleUnderTest) => role === 'msp_admin' || role === 'msp_operator';

/** Expected statuses; a single number means the same for own and other. */
function outcomes(spec: Outcomes & { default?: number | [number, number] }): Record<RoleUnderTest, [number, number]> {
  const pick = (r: RoleUnderTest): [number, number] => {
    const v = spec[r] ?? spec.default;
    if (v === undefined) throw new Error(`matrix: no expectation for ${r}`);
    return typeof v === 'number' ? [v, v] : v;
  };
  return {
    anonymous: pick('anonymous'),
    msp_admin: pick('msp_admin'),
    msp_operator: pick('msp_operator'),
    company_admin: pick('company_admin'),
    company_user: pick('company_user'),
  };
}

/**
 * How access to an organization's records goes, given the status for someone signed out (401 from the
 * API, 302 to sign-in from the console) and for an allowed request. A company person whose role does not
 * allow the action is refused (403) on their own organization's record, and told that another
 * organization's does not exist (404).
 */
const access = (anonymous: number) => ({
  /** MSP staff only. */
  mspStaff: (ok: number) => outcomes({ anonymous, msp_admin: ok, msp_operator: ok, company_admin: [403, 404], company_user: [403, 404] }),
  /** MSP staff only, and company people are refused before any record is looked up. */
  mspStaffOutright: (ok: number) => outcomes({ anonymous, msp_admin: ok, msp_operator: ok, company_admin: 403, company_user: 403 }),
  /** MSP staff, and a company admin in their own organization. */
  companyAdmins: (ok: number) => outcomes({ anonymous, msp_admin: ok, msp_operator: ok, company_admin: [ok, 404], company_user: [403, 404] }),
  /** MSP staff, and every company person in their own organization. */
  companyPeople: (ok: number) => outcomes({ anonymous, msp_admin: ok, msp_operator: ok, company_admin: [ok, 404], company_user: [ok, 404] }),
});
const api = access(401);
const pages = access(302);

const fixed = (path?: string, body?: Record<string, unknown>) => () => ({ path, body });

/** A well-formed agent public key (the matrix never enrolls with it: its token was never issued). */
const MATRIX_AGENT_KEY = generateKeyPair().publicKey;

/** An outstanding enrollment token of a node, for cases that revoke one. */
async function freshEnrollmentToken(s: Seed, nodeId: string): Promise<string> {
  const [row] = await s.db
    .insert(nodeEnrollmentTokens)
    .values({ nodeId, tokenHash: crypto.randomBytes(32).toString('hex'), expiresAt: new Date(Date.now() + 3_600_000) })
    .returning();
  return row!.id;
}

/** A node whose agent has enrolled (with a key no agent holds), for cases that send it a job. */
async function freshEnrolledNode(s: Seed, organizationId: string): Promise<string> {
  const id = await s.freshNode(organizationId);
  await s.db.update(nodes).set({ agentPublicKey: MATRIX_AGENT_KEY, enrolledAt: new Date() }).where(eq(nodes.id, id));
  return id;
}

/** A rollout that has ended (so pausing, resuming or cancelling it is a 409 for those allowed to). */
async function freshEndedRollout(s: Seed, organizationId: string): Promise<string> {
  const [job] = await s.db
    .insert(jobs)
    .values({ type: 'fleet_rollout', organizationId, workflowId: `matrix-${crypto.randomUUID()}`, state: 'completed', params: { action: 'restart', targets: [], count: 0 } })
    .returning();
  return job!.id;
}

/** A job that has ended (so a decision on it is a 409 for those allowed to make one). */
export async function freshEndedJob(s: Seed, organizationId: string): Promise<string> {
  const nodeId = await s.freshNode(organizationId);
  const [job] = await s.db
    .insert(jobs)
    .values({
      type: 'deploy_openclaw',
      organizationId,
      nodeId,
      workflowId: `matrix-${crypto.randomUUID()}`,
      state: 'completed',
      params: { instanceName: 'matrix', port: 18789 },
    })
    .returning();
  return job!.id;
}

/** An active share link of the organization's report (its token is never needed: revoking names the link). */
async function freshShareLink(s: Seed, organizationId: string): Promise<string> {
  const [link] = await s.db
    .insert(reportShareLinks)
    .values({ organizationId, tokenHash: crypto.randomBytes(32).toString('hex'), fromDate: '2026-11-01', toDate: '2026-11-30', expiresAt: new Date(Date.now() + 86_400_000) })
    .returning();
  return link!.id;
}

/** A failed health check of a managed instance on an enrolled node: a job that may be retried. */
async function freshFailedHealthCheck(s: Seed, organizationId: string): Promise<string> {
  const instanceId = await freshManagedInstance(s, organizationId);
  const [instance] = await s.db.select().from(instances).where(eq(instances.id, instanceId));
  const [job] = await s.db
    .insert(jobs)
    .values({
      type: 'health_check',
      organizationId,
      nodeId: instance!.nodeId,
      instanceId,
      workflowId: `matrix-${crypto.randomUUID()}`,
      state: 'failed',
      failureReason: 'node offline',
      params: { instanceName: instance!.name },
    })
    .returning();
  return job!.id;
}

/** An instance on an enrolled node; `fields` make it discovered or managed. */
async function freshInstance(s: Seed, organizationId: string, fields: Omit<typeof instances.$inferInsert, 'organizationId' | 'nodeId'>): Promise<string> {
  const nodeId = await freshEnrolledNode(s, organizationId);
  const [row] = await s.db
    .insert(instances)
    .values({ organizationId, nodeId, ...fields })
    .returning();
  return row!.id;
}

/** A discovered OpenClaw instance on an enrolled node, for adoption cases. */
function freshDiscoveredInstance(s: Seed, organizationId: string): Promise<string> {
  return freshInstance(s, organizationId, { name: 'matrix-claw', state: 'discovered', containerIds: ['a'.repeat(64)], reasons: ['matrix'] });
}

/** A managed instance on an enrolled node, for lifecycle cases. */
function freshManagedInstance(s: Seed, organizationId: string): Promise<string> {
  return freshInstance(s, organizationId, { name: 'matrix-managed', state: 'managed', containerIds: ['b'.repeat(64), 'c'.repeat(64)], port: 18789, bundleVersion: '2026.9.6' });
}

/** The id of a catalogue entry by key. */
async function capabilityId(s: Seed, key: string): Promise<string> {
  const [row] = await s.db.select({ id: capabilities.id }).from(capabilities).where(eq(capabilities.key, key));
  return row!.id;
}

/** A custom catalogue entry no other case uses, optionally with a permission of an organization. */
async function freshCapability(s: Seed, permittedTo?: string): Promise<string> {
  const [row] = await s.db
    .insert(capabilities)
    .values({
      key: `matrix.${crypto.randomUUID().slice(0, 8)}`,
      kind: 'tool',
      name: s.unique('Matrix tool'),
      description: '',
      version: '1.0.0',
      actions: [{ key: 'a', risk: 'low', description: 'A' }],
    })
    .returning();
  if (permittedTo) {
    await s.db.insert(permissions).values({
      organizationId: permittedTo,
      capabilityId: row!.id,
      enabled: true,
      allowedActions: ['a'],
      confirmation: 'by_risk',
      approval: { approvalsNeeded: 1, approverRoles: ['msp_admin'], forbidSelfApproval: false, expiresInHours: 24 },
    });
  }
  return row!.id;
}

/** A demo Composio connection of the organization, for cases that change or delete one (or a live Google Drive one, for its consent flow). */
async function freshConnection(s: Seed, organizationId: string, kind: 'demo' | 'live drive' = 'demo'): Promise<string> {
  const [provider, mode] = kind === 'demo' ? (['composio', 'demo'] as const) : (['google_drive', 'live'] as const);
  const [row] = await s.db
    .insert(connections)
    .values({ organizationId, provider, name: s.unique('Matrix connection'), mode, statusReason: 'matrix' })
    .returning();
  return row!.id;
}
const atConnection =
  (suffix = '', body?: Record<string, unknown>) =>
  async (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/connections/${await freshConnection(s, orgOf(s, w))}${suffix}`, body });

/** An approver group of the organization (for cases that change, fill or delete one). */
async function freshApproverGroup(s: Seed, organizationId: string): Promise<string> {
  const [row] = await s.db
    .insert(approverGroups)
    .values({ organizationId, name: s.unique('Matrix approvers') })
    .returning();
  return row!.id;
}
const atApproverGroup =
  (suffix = '', body?: Record<string, unknown>) =>
  async (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/approver-groups/${await freshApproverGroup(s, orgOf(s, w))}${suffix}`, body });
/** A group with a fresh company user of its organization to add or remove. */
const atGroupMember = (member: boolean) => async (s: Seed, _r: RoleUnderTest, w: Which) => {
  const organizationId = orgOf(s, w);
  const groupId = await freshApproverGroup(s, organizationId);
  const userId = await s.freshPerson(organizationId, 'company_user');
  if (member) await s.db.insert(approverGroupMembers).values({ groupId, userId });
  return { path: `/approver-groups/${groupId}/members/${userId}` };
};
const notifyStep = (message: string) => ({ id: 'tell', name: 'Tell', kind: 'notify', message });

/** A workflow definition of the organization with its version 1 (one notify step), for cases that read or change one. */
async function freshDefinition(s: Seed, organizationId: string): Promise<string> {
  const steps = [notifyStep('matrix')];
  const [d] = await s.db
    .insert(workflowDefinitions)
    .values({ organizationId, name: s.unique('Matrix workflow') })
    .returning();
  const [v] = await s.db
    .insert(workflowVersions)
    .values({ definitionId: d!.id, number: 1, name: d!.name, description: '', steps, contentHash: crypto.randomBytes(32).toString('hex') })
    .returning();
  await s.db.update(workflowDefinitions).set({ currentVersionId: v!.id }).where(eq(workflowDefinitions.id, d!.id));
  return d!.id;
}
/** What the console's workflow editor posts (web/app/routes/workflows/editor.server.ts): the definition as one JSON field. */
const editorForm = (intent: 'save' | 'preview', organizationId: string, content: Record<string, unknown>) => ({
  intent,
  organizationId,
  definition: JSON.stringify(content),
  stepKeys: JSON.stringify(['k1']),
});
/** The editor's page of a fresh definition, and the form it posts. */
const atDefinitionEditor = (intent: 'save' | 'preview') => async (s: Seed, _r: RoleUnderTest, w: Which) => ({
  path: `/workflows/${await freshDefinition(s, orgOf(s, w))}/edit`,
  body: editorForm(intent, orgOf(s, w), { steps: [notifyStep('edited')] }),
});
const atDefinition =
  (suffix = '', body?: (s: Seed) => Record<string, unknown>) =>
  async (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/workflow-definitions/${await freshDefinition(s, orgOf(s, w))}${suffix}`, body: body?.(s) });

/** A daily schedule of a fresh definition of the organization, owned by a fresh company admin (its Temporal Schedule is made on first change). */
async function freshSchedule(s: Seed, organizationId: string): Promise<string> {
  const definitionId = await freshDefinition(s, organizationId);
  const createdBy = await s.freshPerson(organizationId, 'company_admin');
  const [row] = await s.db
    .insert(schedules)
    .values({ organizationId, definitionId, name: s.unique('Matrix schedule'), spec: { kind: 'interval', everySeconds: 86_400, offsetSeconds: 0 }, createdBy })
    .returning();
  return row!.id;
}
/** A schedule whose runs wait for a person (MSP staff by default), for standing approvals; with one by a fresh MSP operator when asked. */
async function freshGatedSchedule(s: Seed, organizationId: string, withStanding: boolean): Promise<{ scheduleId: string; standingId?: string }> {
  const scheduleId = await freshSchedule(s, organizationId);
  const [row] = await s.db.select().from(schedules).where(eq(schedules.id, scheduleId));
  const [d] = await s.db.select().from(workflowDefinitions).where(eq(workflowDefinitions.id, row!.definitionId));
  const steps = [{ id: 'look', name: 'Look', kind: 'wait_for_person', message: 'look' }];
  const [v] = await s.db
    .insert(workflowVersions)
    .values({ definitionId: d!.id, number: 2, name: d!.name, description: '', steps, contentHash: crypto.randomBytes(32).toString('hex') })
    .returning();
  await s.db.update(workflowDefinitions).set({ currentVersionId: v!.id }).where(eq(workflowDefinitions.id, d!.id));
  if (!withStanding) return { scheduleId };
  const approverId = await s.freshPerson(s.msp, 'msp_operator');
  const [standing] = await s.db.insert(standingApprovals).values({ scheduleId, approverId, maxRuns: 3 }).returning();
  return { scheduleId, standingId: standing!.id };
}
const atSchedule =
  (suffix = '', body?: () => Record<string, unknown>) =>
  async (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/schedules/${await freshSchedule(s, orgOf(s, w))}${suffix}`, body: body?.() });

// ---------------------------------------------------------------------------------------------- API
export const API_MATRIX: Record<string, MatrixEntry> = {
  'GET /organizations': { request: fixed(), expect: outcomes({ anonymous: 401, default: 200 }) },
  'GET /capabilities': { request: fixed(), expect: outcomes({ anonymous: 401, default: 200 }) },
  'POST /capabilities': {
    request: () => ({ body: { key: `matrix.${crypto.randomUUID().slice(0, 8)}`, kind: 'tool', name: 'Matrix', actions: [{ key: 'a', risk: 'low', description: 'A' }] } }),
    expect: outcomes({ anonymous: 401, msp_admin: 201, msp_operator: 403, company_admin: 403, company_user: 403 }),
  },
  'GET /capabilities/:id': {
    request: async (s) => ({ path: `/capabilities/${await capabilityId(s, 'openclaw.lifecycle')}` }),
    expect: outcomes({ anonymous: 401, default: 200 }),
  },
  'PATCH /capabilities/:id': {
    request: async (s) => ({ path: `/capabilities/${await freshCapability(s)}`, body: { name: 'Renamed', actions: [{ key: 'a', risk: 'low', description: 'A' }] } }),
    expect: outcomes({ anonymous: 401, msp_admin: 200, msp_operator: 403, company_admin: 403, company_user: 403 }),
  },
  ...Object.fromEntries(
    (['disable', 'enable', 'delete'] as const).map((change) => [
      change === 'delete' ? 'DELETE /capabilities/:id' : `POST /capabilities/:id/${change}`,
      {
        request: async (s: Seed) => ({ path: `/capabilities/${await freshCapability(s)}${change === 'delete' ? '' : `/${change}`}` }),
        expect: outcomes({ anonymous: 401, msp_admin: 200, msp_operator: 403, company_admin: 403, company_user: 403 }),
      },
    ]),
  ),
  'GET /instances/:id/capabilities': {
    request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/capabilities` }),
    expect: outcomes({ anonymous: 401, msp_admin: 200, msp_operator: 200, company_admin: [200, 404], company_user: [403, 404] }),
  },
  'POST /instances/:id/capabilities': {
    request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/capabilities`, body: { capabilityId: await capabilityId(s, 'openclaw.fs') } }),
    expect: outcomes({ anonymous: 401, msp_admin: 200, msp_operator: 200, company_admin: [403, 404], company_user: [403, 404] }),
  },
  // An allowed request starts a run that no agent works on here (it waits for its node).
  'POST /instances/:id/apply-capabilities': {
    request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/apply-capabilities` }),
    expect: outcomes({ anonymous: 401, msp_admin: 201, msp_operator: 201, company_admin: [403, 404], company_user: [403, 404] }),
  },
  'DELETE /instances/:id/capabilities/:capabilityId': {
    request: async (s, _r, w) => {
      const instanceId = await freshManagedInstance(s, orgOf(s, w));
      const capability = await capabilityId(s, 'openclaw.fs');
      await s.db.insert(capabilityAttachments).values({ instanceId, capabilityId: capability });
      return { path: `/instances/${instanceId}/capabilities/${capability}` };
    },
    expect: outcomes({ anonymous: 401, msp_admin: 200, msp_operator: 200, company_admin: [403, 404], company_user: [403, 404] }),
  },
  'GET /organizations/:id/permissions': {
    request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/permissions` }),
    expect: outcomes({ anonymous: 401, msp_admin: 200, msp_operator: 200, company_admin: [200, 404], company_user: [403, 404] }),
  },
  // A custom tool of its own per case, permitted to the organization: a company admin may keep (narrow) it.
  'PUT /organizations/:id/permissions/:capabilityId': {
    request: async (s, _r, w) => ({
      path: `/organizations/${orgOf(s, w)}/permissions/${await freshCapability(s, orgOf(s, w))}`,
      body: { enabled: true, allowedActions: ['a'], approval: { approverRoles: ['msp_admin'] } },
    }),
    expect: outcomes({ anonymous: 401, msp_admin: 200, msp_operator: 200, company_admin: [200, 404], company_user: [403, 404] }),
  },
  'DELETE /organizations/:id/permissions/:capabilityId': {
    request: async (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/permissions/${await freshCapability(s, orgOf(s, w))}` }),
    expect: outcomes({ anonymous: 401, msp_admin: 200, msp_operator: 200, company_admin: [403, 404], company_user: [403, 404] }),
  },
  'POST /policy/check': {
    request: (s, _r, w) => ({ body: { organizationId: orgOf(s, w), capabilityKey: 'openclaw.lifecycle', action: 'health' } }),
    expect: outcomes({ anonymous: 401, msp_admin: 200, msp_operator: 200, company_admin: [200, 404], company_user: [403, 404] }),
  },
  // Connections: everyone in the organization sees them; its company admin and MSP staff change them.
  'GET /connections': { request: inOrganization('/connections'), expect: api.companyPeople(200) },
  'POST /connections': {
    request: (s, _r, w) => ({ body: { organizationId: orgOf(s, w), provider: 'composio', name: s.unique('Matrix connection'), mode: 'demo' } }),
    expect: api.companyAdmins(201),
  },
  'GET /connections/:id': { request: atConnection(), expect: api.companyPeople(200) },
  'GET /approver-groups': { request: inOrganization('/approver-groups'), expect: api.companyPeople(200) },
  'POST /approver-groups': {
    request: async (s, _r, w) => ({ path: '/approver-groups', body: { organizationId: orgOf(s, w), name: s.unique('Matrix approvers') } }),
    expect: api.companyAdmins(201),
  },
  'GET /approver-groups/:id': { request: atApproverGroup(), expect: api.companyPeople(200) },
  'PATCH /approver-groups/:id': {
    request: async (s, r, w) => ({ ...(await atApproverGroup()(s, r, w)), body: { description: s.unique('changed by the matrix') } }),
    expect: api.companyAdmins(200),
  },
  'DELETE /approver-groups/:id': { request: atApproverGroup(), expect: api.companyAdmins(200) },
  'PUT /approver-groups/:id/members/:userId': { request: atGroupMember(false), expect: api.companyAdmins(200) },
  'DELETE /approver-groups/:id/members/:userId': { request: atGroupMember(true), expect: api.companyAdmins(200) },
  // The inbox is everyone's own (a company person may be in an approver group).
  'GET /approvals': { request: fixed('/approvals'), expect: outcomes({ anonymous: 401, default: 200 }) },
  'PATCH /connections/:id': {
    request: async (s, r, w) => ({ ...(await atConnection()(s, r, w)), body: { name: s.unique('Renamed by the matrix') } }),
    expect: api.companyAdmins(200),
  },
  // Past authorization, an action the provider does not have is a conflict naming it (running one is the policy engine's to decide).
  'POST /connections/:id/actions/:action': { request: atConnection('/actions/matrix.unknown', { input: {} }), expect: api.companyAdmins(409) },
  'PUT /connections/:id/credentials': { request: atConnection('/credentials', { credentials: { apiKey: 'matrix-api-key-0000' } }), expect: api.companyAdmins(200) },
  'POST /connections/:id/test': { request: atConnection('/test'), expect: api.companyAdmins(200) },
  // Past authorization, the consent flow stops at the unconfigured OAuth client (409 naming its variables).
  'POST /connections/:id/oauth/start': {
    request: async (s, _r, w) => ({ path: `/connections/${await freshConnection(s, orgOf(s, w), 'live drive')}/oauth/start` }),
    expect: api.companyAdmins(409),
  },
  'POST /connections/:id/disable': { request: atConnection('/disable'), expect: api.companyAdmins(200) },
  'POST /connections/:id/enable': { request: atConnection('/enable'), expect: api.companyAdmins(200) },
  'DELETE /connections/:id': { request: atConnection(), expect: api.companyAdmins(200) },
  // Workflow definitions: everyone in the organization sees them; its company admin and MSP staff build them.
  'GET /workflow-definitions': { request: inOrganization('/workflow-definitions'), expect: api.companyPeople(200) },
  'POST /workflow-definitions': {
    request: (s, _r, w) => ({ body: { organizationId: orgOf(s, w), name: s.unique('Matrix workflow'), steps: [notifyStep('created')] } }),
    expect: api.companyAdmins(201),
  },
  'POST /workflow-definitions/import': {
    request: (s, _r, w) => ({
      body: {
        organizationId: orgOf(s, w),
        definition: { format: 'anthropy-works.workflow-definition', formatVersion: 1, name: s.unique('Imported'), steps: [notifyStep('imported')] },
      },
    }),
    expect: api.companyAdmins(201),
  },
  'POST /workflow-definitions/policy-preview': {
    request: (s, _r, w) => ({ body: { organizationId: orgOf(s, w), steps: [notifyStep('preview')] } }),
    expect: api.companyAdmins(200),
  },
  'GET /workflow-definitions/:id': { request: atDefinition(), expect: api.companyPeople(200) },
  'POST /workflow-definitions/:id/versions': { request: atDefinition('/versions', () => ({ steps: [notifyStep('saved')] })), expect: api.companyAdmins(200) },
  'GET /workflow-definitions/:id/versions/:number': { request: atDefinition('/versions/1'), expect: api.companyPeople(200) },
  'POST /workflow-definitions/:id/duplicate': { request: atDefinition('/duplicate', (s) => ({ name: s.unique('Copy') })), expect: api.companyAdmins(201) },
  // A simulated run of a one-note definition: a job on the control plane.
  'POST /workflow-definitions/:id/runs': { request: atDefinition('/runs', () => ({ simulate: true })), expect: api.companyAdmins(201) },
  'POST /workflow-definitions/:id/archive': { request: atDefinition('/archive'), expect: api.companyAdmins(200) },
  'POST /workflow-definitions/:id/unarchive': { request: atDefinition('/unarchive'), expect: api.companyAdmins(200) },
  'GET /workflow-definitions/:id/export': { request: atDefinition('/export'), expect: api.companyPeople(200) },
  'GET /workflow-definitions/:id/shares': { request: atDefinition('/shares'), expect: api.companyAdmins(200) },
  'PUT /workflow-definitions/:id/shares': { request: atDefinition('/shares', () => ({ userIds: [] })), expect: api.companyAdmins(200) },
  'POST /workflow-definitions/:id/policy-preview': { request: atDefinition('/policy-preview', () => ({})), expect: api.companyAdmins(200) },
  // Schedules: its company admin and MSP staff see and manage an organization's.
  'GET /schedules': { request: inOrganization('/schedules'), expect: api.companyPeople(200) },
  'POST /schedules': {
    request: async (s, _r, w) => ({
      body: { definitionId: await freshDefinition(s, orgOf(s, w)), name: s.unique('Matrix schedule'), spec: { kind: 'interval', everySeconds: 86_400 }, paused: true },
    }),
    expect: api.companyAdmins(201),
  },
  'GET /schedules/:id': { request: atSchedule(), expect: api.companyPeople(200) },
  'PATCH /schedules/:id': { request: atSchedule('', () => ({ jitterSeconds: 5 })), expect: api.companyAdmins(200) },
  'POST /schedules/:id/pause': { request: atSchedule('/pause', () => ({ note: 'matrix' })), expect: api.companyAdmins(200) },
  'POST /schedules/:id/resume': { request: atSchedule('/resume', () => ({})), expect: api.companyAdmins(200) },
  'POST /schedules/:id/trigger': { request: atSchedule('/trigger'), expect: api.companyAdmins(200) },
  'POST /schedules/:id/backfill': {
    request: atSchedule('/backfill', () => ({ start: new Date(Date.now() - 2 * 86_400_000).toISOString(), end: new Date(Date.now() - 86_400_000).toISOString() })),
    expect: api.companyAdmins(200),
  },
  'DELETE /schedules/:id': { request: atSchedule(), expect: api.companyAdmins(200) },
  // Standing approvals: whoever may approve the runs' steps (here MSP staff: the step names no group) grants one; the schedule's managers revoke it.
  'GET /schedules/:id/standing-approvals': { request: atSchedule('/standing-approvals'), expect: api.companyPeople(200) },
  'POST /schedules/:id/standing-approvals': {
    request: async (s, _r, w) => ({ path: `/schedules/${(await freshGatedSchedule(s, orgOf(s, w), false)).scheduleId}/standing-approvals`, body: { maxRuns: 2 } }),
    expect: api.mspStaff(201),
  },
  'POST /schedules/:id/standing-approvals/:approvalId/revoke': {
    request: async (s, _r, w) => {
      const { scheduleId, standingId } = await freshGatedSchedule(s, orgOf(s, w), true);
      return { path: `/schedules/${scheduleId}/standing-approvals/${standingId}/revoke` };
    },
    expect: api.companyAdmins(200),
  },
  'POST /organizations': { request: (s) => ({ body: { name: s.unique('Org') } }), expect: api.mspStaffOutright(201) },
  'GET /organizations/:id': { request: atOrganization(), expect: api.companyPeople(200) },
  'PATCH /organizations/:id': { request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}`, body: { name: s.unique('Renamed') } }), expect: api.mspStaff(200) },
  // MSP staff set them on fresh organizations, so the other cases' organizations keep theirs.
  'PATCH /organizations/:id/time-zone': {
    request: async (s, r, w) => ({ path: `/organizations/${isMsp(r) ? await s.freshOrganization() : orgOf(s, w)}/time-zone`, body: { timeZone: 'Europe/Berlin' } }),
    expect: api.mspStaff(200),
  },
  'PATCH /organizations/:id/approval-policy': {
    request: async (s, r, w) => ({ path: `/organizations/${isMsp(r) ? await s.freshOrganization() : orgOf(s, w)}/approval-policy`, body: { forbidSelfApproval: true } }),
    expect: api.mspStaff(200),
  },
  'POST /organizations/:id/archive': {
    // MSP staff archive fresh organizations, so customer A and B stay for the other cases.
    request: async (s, r, w) => ({ path: `/organizations/${isMsp(r) ? await s.freshOrganization() : orgOf(s, w)}/archive` }),
    expect: api.mspStaff(200),
  },
  'GET /people': { request: inOrganization('/people'), expect: api.companyPeople(200) },
  'GET /people/:id': { request: (s, _r, w) => ({ path: `/people/${(w === 'own' ? s.people.company_user : s.people.userB).actor.userId}` }), expect: api.companyPeople(200) },
  'POST /people/:id/deactivate': {
    request: async (s, _r, w) => ({ path: `/people/${await s.freshPerson(orgOf(s, w), 'company_user')}/deactivate` }),
    expect: api.companyAdmins(200),
  },
  'GET /invitations': { request: inOrganization('/invitations'), expect: api.companyAdmins(200) },
  'POST /invitations': {
    request: (s, _r, w) => ({ body: { organizationId: orgOf(s, w), email: `${s.unique('invite')}@matrix.test`, role: 'company_user' } }),
    expect: api.companyAdmins(201),
  },
  'POST /invitations/:id/revoke': { request: async (s, _r, w) => ({ path: `/invitations/${await s.freshInvitation(orgOf(s, w))}/revoke` }), expect: api.companyAdmins(200) },
  'GET /nodes': { request: inOrganization('/nodes'), expect: api.companyAdmins(200) },
  // Company people may not create nodes at all: refused before the organization is even looked up.
  'POST /nodes': { request: (s, _r, w) => ({ body: { organizationId: orgOf(s, w), name: s.unique('node') } }), expect: api.mspStaffOutright(201) },
  'GET /nodes/:id': { request: atNode(), expect: api.companyAdmins(200) },
  'PATCH /nodes/:id': { request: (s, _r, w) => ({ path: `/nodes/${nodeOf(s, w)}`, body: { notes: s.unique('note') } }), expect: api.mspStaff(200) },
  // Node identity (api/agents): enrollment tokens and revocation are MSP staff's.
  'POST /nodes/:id/enrollment-tokens': { request: (s, _r, w) => ({ path: `/nodes/${nodeOf(s, w)}/enrollment-tokens`, body: { expiresInMinutes: 30 } }), expect: api.mspStaff(201) },
  'GET /nodes/:id/enrollment-tokens': { request: (s, _r, w) => ({ path: `/nodes/${nodeOf(s, w)}/enrollment-tokens` }), expect: api.mspStaff(200) },
  'POST /enrollment-tokens/:id/revoke': {
    request: async (s, _r, w) => ({ path: `/enrollment-tokens/${await freshEnrollmentToken(s, nodeOf(s, w))}/revoke` }),
    expect: api.mspStaff(200),
  },
  'POST /nodes/:id/inventory-refresh': {
    // An allowed request starts a run that no agent works on here (it ends by its own timeouts).
    request: async (s, _r, w) => ({ path: `/nodes/${await freshEnrolledNode(s, orgOf(s, w))}/inventory-refresh` }),
    expect: api.mspStaff(202),
  },
  'GET /dashboard': { request: inOrganization('/dashboard'), expect: api.companyPeople(200) },
  // A company user gets 200 with every chart null (api/dashboard/charts.ts), like the dashboard's counts.
  'GET /dashboard/charts': { request: inOrganization('/dashboard/charts'), expect: api.companyPeople(200) },
  // The customer report (ADR 0021): MSP staff and the organization's company admin read it; share links are MSP staff's.
  'GET /organizations/:id/report': { request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/report` }), expect: api.companyAdmins(200) },
  'GET /organizations/:id/report-share-links': { request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/report-share-links` }), expect: api.mspStaff(200) },
  'POST /organizations/:id/report-share-links': {
    request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/report-share-links`, body: { expiresInDays: 7 } }),
    expect: api.mspStaff(201),
  },
  'POST /report-share-links/:id/revoke': {
    request: async (s, _r, w) => ({ path: `/report-share-links/${await freshShareLink(s, orgOf(s, w))}/revoke` }),
    expect: api.mspStaff(200),
  },
  // Public (the token in the path is the credential): a token never issued is "not found" alike for everyone.
  'GET /shared-reports/:token': { request: () => ({ path: '/shared-reports/awrep_never-issued' }), expect: outcomes({ default: 404 }) },
  'GET /nodes/:id/inventory': { request: (s, _r, w) => ({ path: `/nodes/${nodeOf(s, w)}/inventory` }), expect: api.companyAdmins(200) },
  'GET /nodes/:id/status-history': { request: (s, _r, w) => ({ path: `/nodes/${nodeOf(s, w)}/status-history` }), expect: api.companyAdmins(200) },
  'GET /instances': { request: inOrganization('/instances'), expect: api.companyAdmins(200) },
  'GET /instances/:id': { request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}` }), expect: api.companyAdmins(200) },
  'GET /instances/:id/health-history': {
    request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/health-history` }),
    expect: api.companyAdmins(200),
  },
  // An allowed request starts a health check that no agent works on here (it waits for its node).
  'POST /instances/health-checks': {
    request: async (s, _r, w) => ({ body: { instanceIds: [await freshManagedInstance(s, orgOf(s, w))] } }),
    expect: api.mspStaff(200),
  },
  // A bulk health check of one instance: its run starts and waits for a node no agent works on here.
  'POST /rollouts': {
    request: async (s, _r, w) => ({ body: { action: 'health', instanceIds: [await freshManagedInstance(s, orgOf(s, w))] } }),
    expect: api.mspStaffOutright(201),
  },
  ...Object.fromEntries(
    (['pause', 'resume', 'cancel'] as const).map((what) => [
      `POST /rollouts/:id/${what}`,
      { request: async (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/rollouts/${await freshEndedRollout(s, orgOf(s, w))}/${what}` }), expect: api.mspStaff(409) },
    ]),
  ),
  'GET /jobs': { request: inOrganization('/jobs'), expect: api.companyPeople(200) },
  'GET /jobs/:id': { request: async (s, _r, w) => ({ path: `/jobs/${await freshEndedJob(s, orgOf(s, w))}` }), expect: api.companyAdmins(200) },
  'GET /jobs/:id/activities': {
    // The matrix's jobs have no run in Temporal: those who may see the job are told its history is gone.
    request: async (s, _r, w) => ({ path: `/jobs/${await freshEndedJob(s, orgOf(s, w))}/activities` }),
    expect: api.companyAdmins(200),
  },
  'POST /nodes/:id/deployments': {
    // An allowed request starts a run that no agent works on here (it waits for its node).
    request: async (s, _r, w) => ({ path: `/nodes/${await freshEnrolledNode(s, orgOf(s, w))}/deployments`, body: { instanceName: 'matrix-claw' } }),
    expect: api.mspStaff(201),
  },
  'POST /instances/:id/adopt': {
    // An allowed request starts a run that no agent works on here (it waits for its node).
    request: async (s, _r, w) => ({ path: `/instances/${await freshDiscoveredInstance(s, orgOf(s, w))}/adopt` }),
    expect: api.mspStaff(201),
  },
  'GET /system/bundle-versions': { request: fixed(), expect: api.mspStaffOutright(200) },
  // An allowed request starts a run that no agent works on here (it waits for its node).
  'POST /instances/:id/upgrade': {
    request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/upgrade`, body: { toVersion: '2026.9.5' } }),
    expect: api.mspStaff(201),
  },
  // The node is not online here: MSP staff are told so (409) once the authorization passed.
  'GET /instances/:id/logs': { request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/logs?tail=5` }), expect: api.mspStaff(409) },
  ...Object.fromEntries(
    (['health-check', 'restart', 'stop', 'start', 'remove'] as const).map((action) => [
      `POST /instances/:id/${action}`,
      {
        // An allowed request starts a run that no agent works on here (it waits for its node).
        request: async (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/${action}` }),
        expect: api.mspStaff(201),
      } satisfies MatrixEntry,
    ]),
  ),
  ...Object.fromEntries(
    (['approve', 'reject', 'cancel'] as const).map((decision) => [
      `POST /jobs/:id/${decision}`,
      {
        request: async (s: Seed, _r: RoleUnderTest, w: Which) => ({
          path: `/jobs/${await freshEndedJob(s, orgOf(s, w))}/${decision}`,
          body: decision === 'approve' ? { phrase: 'deploy openclaw to matrix' } : {},
        }),
        expect: api.mspStaff(409),
      } satisfies MatrixEntry,
    ]),
  ),
  // A grant for the temporal CLI: allowed people are told the ended job waits for nothing (409).
  'POST /jobs/:id/approval-grant': {
    request: async (s, _r, w) => ({ path: `/jobs/${await freshEndedJob(s, orgOf(s, w))}/approval-grant`, body: { phrase: 'deploy openclaw to matrix' } }),
    expect: api.mspStaff(409),
  },
  // A retry is a new job (its run waits for its node here).
  'POST /jobs/:id/retry': { request: async (s, _r, w) => ({ path: `/jobs/${await freshFailedHealthCheck(s, orgOf(s, w))}/retry` }), expect: api.mspStaff(201) },
  'POST /nodes/:id/revoke': { request: async (s, _r, w) => ({ path: `/nodes/${await s.freshNode(orgOf(s, w))}/revoke` }), expect: api.mspStaff(200) },
  // Public (the token in the body is the credential): a token that was never issued is refused alike for everyone.
  'POST /agent/enroll': {
    request: () => ({ body: { token: 'awenr_never-issued', publicKey: MATRIX_AGENT_KEY, hostname: 'matrix-host', agentVersion: '0.0.0' } }),
    expect: outcomes({ default: 400 }),
  },
  // Agents only: a person's token or session is not an agent's signature.
  'GET /agent/whoami': { request: fixed(), expect: outcomes({ default: 401 }) },
  'POST /agent/heartbeat': { request: fixed(undefined, { agentVersion: 'x' }), expect: outcomes({ default: 401 }) },
  'GET /audit-events': { request: inOrganization('/audit-events'), expect: api.companyAdmins(200) },
  'GET /tokens': { request: fixed(), expect: outcomes({ anonymous: 401, default: 200 }) },
  // The API is called with a token here, and a token may not mint tokens (a leaked one could outlive
  // its revocation); tokens are created from a console session (POST /account/tokens below).
  'POST /tokens': { request: (s) => ({ body: { name: s.unique('token') } }), expect: outcomes({ anonymous: 401, default: 403 }) },
  'DELETE /tokens/:id': {
    // "own" is a token of the caller; "other" a token of a person in customer B.
    request: async (s, r, w) => ({ path: `/tokens/${await s.freshToken(w === 'own' && r !== 'anonymous' ? s.people[r] : s.people.userB)}` }),
    expect: outcomes({ anonymous: 401, default: [200, 404] }),
  },
};

// ------------------------------------------------------------------------------------------ console
const page = (path?: string) => ({ request: fixed(path), expect: outcomes({ anonymous: 302, default: 200 }) });

export const CONSOLE_MATRIX: Record<string, MatrixEntry> = {
  'GET /login': { request: fixed(), expect: outcomes({ anonymous: 200, default: 302 }) },
  // Wrong credentials: 401 with the form; a signed-in person is sent home by the page's loader.
  'POST /login': { request: fixed(undefined, { email: 'nobody@matrix.test', password: 'wrong password' }), expect: outcomes({ anonymous: 401, default: 302 }) },
  // The seeded sessions owe no second factor, so the two-factor sign-in step sends them on.
  'GET /login/two-factor': { request: fixed(), expect: outcomes({ default: 302 }) },
  'POST /login/two-factor': { request: fixed(undefined, { code: '000000' }), expect: outcomes({ default: 302 }) },
  'POST /logout': { request: () => ({ freshSession: true }), expect: outcomes({ default: 302 }) },
  'GET /logout': { request: fixed(), expect: outcomes({ default: 302 }) },
  'GET /': page(),
  // The invitation page is public; a token that was never issued is refused for everyone alike.
  'GET /invite/:token': { request: () => ({ path: '/invite/never-issued-token' }), expect: outcomes({ default: 400 }) },
  'POST /invite/:token': {
    request: () => ({ path: '/invite/never-issued-token', body: { name: 'X', password: 'a-long-password', passwordConfirm: 'a-long-password' } }),
    expect: outcomes({ default: 400 }),
  },
  'GET /people': { request: inOrganization('/people'), expect: pages.companyPeople(200) },
  'POST /people': {
    request: (s, _r, w) => ({
      path: `/people?organizationId=${orgOf(s, w)}`,
      body: { intent: 'invite', organizationId: orgOf(s, w), email: `${s.unique('invite')}@matrix.test`, role: 'company_user' },
    }),
    expect: pages.companyAdmins(200),
  },
  'GET /organizations': page(),
  'POST /organizations': { request: (s) => ({ body: { name: s.unique('Console org') } }), expect: pages.mspStaffOutright(200) },
  'GET /organizations/:organizationId': { request: atOrganization(), expect: pages.companyPeople(200) },
  'POST /organizations/:organizationId': {
    request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}`, body: { intent: 'rename', name: s.unique('Console rename') } }),
    expect: pages.mspStaff(200),
  },
  'GET /organizations/:organizationId/report': { request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/report` }), expect: pages.companyAdmins(200) },
  // The page's default form creates a share link: MSP staff.
  'POST /organizations/:organizationId/report': {
    request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/report`, body: { intent: 'create-link', expiresInDays: '7' } }),
    expect: pages.mspStaff(200),
  },
  // A share link's public page: a token never issued is "not found" for everyone, signed in or not.
  'GET /reports/shared/:token': { request: () => ({ path: '/reports/shared/awrep_never-issued' }), expect: outcomes({ default: 404 }) },
  'GET /system': { request: fixed(), expect: pages.mspStaffOutright(200) },
  'POST /system': { request: fixed(), expect: pages.mspStaffOutright(200) },
  'GET /audit': { request: fixed(), expect: outcomes({ anonymous: 302, msp_admin: 200, msp_operator: 200, company_admin: 200, company_user: 403 }) },
  'GET /nodes': { request: inOrganization('/nodes'), expect: pages.companyAdmins(200) },
  'POST /nodes': { request: (s, _r, w) => ({ body: { organizationId: orgOf(s, w), name: s.unique('node') } }), expect: pages.mspStaffOutright(200) },
  'GET /nodes/:nodeId': { request: atNode(), expect: pages.companyAdmins(200) },
  'POST /nodes/:nodeId': { request: (s, _r, w) => ({ path: `/nodes/${nodeOf(s, w)}`, body: { notes: s.unique('note') } }), expect: pages.mspStaff(200) },
  'GET /account/tokens': page(),
  'POST /account/tokens': {
    // "own" revokes a token of the caller; "other" tries to revoke a token of a person in customer B.
    request: async (s, r, w) => ({ body: { intent: 'revoke', id: await s.freshToken(w === 'own' && r !== 'anonymous' ? s.people[r] : s.people.userB) } }),
    expect: outcomes({ anonymous: 302, default: [200, 404] }),
  },
  'GET /account': page(),
  'GET /account/two-factor': page(),
  // Two-factor is off for the seeded people: the form answers with an error and writes nothing.
  'POST /account/two-factor': { request: fixed(undefined, { intent: 'regenerate', code: '000000' }), expect: outcomes({ anonymous: 302, default: 200 }) },
  'GET /settings/security': { request: fixed(), expect: outcomes({ anonymous: 302, msp_admin: 200, default: 403 }) },
  // Posting the form without the box ticked keeps the setting off (turning it on would send every
  // seeded MSP session to two-factor enrolment and change the later cases).
  'POST /settings/security': { request: fixed(undefined, {}), expect: outcomes({ anonymous: 302, msp_admin: 200, default: 403 }) },
  'GET /instances': { request: inOrganization('/instances'), expect: pages.companyAdmins(200) },
  // The bulk "Check health": MSP staff get the page telling what started.
  'POST /instances': {
    request: async (s, _r, w) => ({ body: { intent: 'health-check', instanceId: await freshManagedInstance(s, orgOf(s, w)) } }),
    expect: pages.mspStaff(200),
  },
  // Rollouts (ADR 0030): MSP staff's page; a selection that matches nothing answers on the form.
  'GET /rollouts': { request: fixed(), expect: pages.mspStaffOutright(200) },
  'POST /rollouts': { request: fixed(undefined, { action: 'health', version: 'matrix-no-such-version' }), expect: pages.mspStaffOutright(200) },
  'GET /rollouts/:jobId': { request: async (s, _r, w) => ({ path: `/rollouts/${await freshEndedRollout(s, orgOf(s, w))}` }), expect: pages.companyAdmins(200) },
  // Cancelling an ended rollout: MSP staff get the page saying there is nothing to cancel.
  'POST /rollouts/:jobId': {
    request: async (s, _r, w) => ({ path: `/rollouts/${await freshEndedRollout(s, orgOf(s, w))}`, body: { intent: 'cancel' } }),
    expect: pages.mspStaff(200),
  },
  'GET /jobs': { request: inOrganization('/jobs'), expect: pages.companyPeople(200) },
  // The node is not online here: MSP staff get the page saying so.
  'GET /instances/:instanceId/logs': {
    request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/logs?tail=5` }),
    expect: pages.mspStaff(200),
  },
  'GET /approvals': { request: fixed('/approvals'), expect: outcomes({ anonymous: 302, default: 200 }) },
  'GET /approver-groups': { request: inOrganization('/approver-groups'), expect: pages.companyPeople(200) },
  'POST /approver-groups': {
    request: (s, _r, w) => ({ path: '/approver-groups', body: { organizationId: orgOf(s, w), name: s.unique('Console approvers') } }),
    expect: pages.companyAdmins(200),
  },
  'GET /jobs/:jobId': { request: async (s, _r, w) => ({ path: `/jobs/${await freshEndedJob(s, orgOf(s, w))}` }), expect: pages.companyAdmins(200) },
  // Cancelling an ended job: MSP staff get the page with the reason it cannot be done.
  'POST /jobs/:jobId': { request: async (s, _r, w) => ({ path: `/jobs/${await freshEndedJob(s, orgOf(s, w))}`, body: { intent: 'cancel' } }), expect: pages.mspStaff(200) },
  'GET /capabilities': page(),
  'POST /capabilities': {
    request: () => ({ body: { intent: 'create', key: `matrix.${crypto.randomUUID().slice(0, 8)}`, kind: 'tool', name: 'Matrix', actions: 'a low A' } }),
    expect: outcomes({ anonymous: 302, msp_admin: 200, msp_operator: 403, company_admin: 403, company_user: 403 }),
  },
  'GET /organizations/:organizationId/permissions': {
    request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/permissions` }),
    expect: outcomes({ anonymous: 302, msp_admin: 200, msp_operator: 200, company_admin: [200, 404], company_user: [403, 404] }),
  },
  'POST /organizations/:organizationId/permissions': {
    request: (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/permissions`, body: { intent: 'check', capabilityKey: 'openclaw.lifecycle', action: 'health' } }),
    expect: outcomes({ anonymous: 302, msp_admin: 200, msp_operator: 200, company_admin: [200, 404], company_user: [403, 404] }),
  },
  'GET /instances/:instanceId/capabilities': {
    request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/capabilities` }),
    expect: outcomes({ anonymous: 302, msp_admin: 200, msp_operator: 200, company_admin: [200, 404], company_user: [403, 404] }),
  },
  'POST /instances/:instanceId/capabilities': {
    request: async (s, _r, w) => ({ path: `/instances/${await freshManagedInstance(s, orgOf(s, w))}/capabilities`, body: { capabilityId: await capabilityId(s, 'openclaw.fs') } }),
    expect: outcomes({ anonymous: 302, msp_admin: 200, msp_operator: 200, company_admin: [403, 404], company_user: [403, 404] }),
  },
  'GET /connections': { request: inOrganization('/connections'), expect: pages.companyPeople(200) },
  'POST /connections': {
    request: (s, _r, w) => ({
      path: `/connections?organizationId=${orgOf(s, w)}`,
      body: { organizationId: orgOf(s, w), provider: 'composio', name: s.unique('Console connection'), mode: 'demo' },
    }),
    expect: pages.companyAdmins(200),
  },
  'GET /connections/:connectionId': { request: atConnection(), expect: pages.companyPeople(200) },
  // The provider sends anyone back here; a state that redeems nothing is said on the page (a signed-in person only).
  'GET /connections/oauth/callback': page('/connections/oauth/callback?state=matrix-unknown-state&code=x'),
  // The page's default form sets credentials (write-only).
  'POST /connections/:connectionId': { request: atConnection('', { intent: 'credentials', 'credentials.apiKey': 'matrix-api-key-0000' }), expect: pages.companyAdmins(200) },
  'GET /workflows': { request: inOrganization('/workflows'), expect: pages.companyPeople(200) },
  // Importing a document: its company admin and MSP staff land on the new definition's page.
  'POST /workflows': {
    request: (s, _r, w) => ({
      path: `/workflows?organizationId=${orgOf(s, w)}`,
      body: {
        organizationId: orgOf(s, w),
        definition: JSON.stringify({ format: 'anthropy-works.workflow-definition', formatVersion: 1, name: s.unique('Console import'), steps: [notifyStep('imported')] }),
      },
    }),
    expect: pages.companyAdmins(302),
  },
  'GET /workflows/:definitionId': { request: async (s, _r, w) => ({ path: `/workflows/${await freshDefinition(s, orgOf(s, w))}` }), expect: pages.companyPeople(200) },
  'POST /workflows/:definitionId': {
    request: async (s, _r, w) => ({ path: `/workflows/${await freshDefinition(s, orgOf(s, w))}`, body: { intent: 'archive' } }),
    expect: pages.companyAdmins(200),
  },
  // The editor: its company admin and MSP staff; a save opens the definition's page.
  'GET /workflows/new': { request: inOrganization('/workflows/new'), expect: pages.companyAdmins(200) },
  'POST /workflows/new': {
    request: (s, _r, w) => ({
      path: `/workflows/new?organizationId=${orgOf(s, w)}`,
      body: editorForm('save', orgOf(s, w), { name: s.unique('Console editor'), steps: [notifyStep('built')] }),
    }),
    expect: pages.companyAdmins(302),
  },
  'GET /workflows/:definitionId/edit': { request: async (s, _r, w) => ({ path: `/workflows/${await freshDefinition(s, orgOf(s, w))}/edit` }), expect: pages.companyAdmins(200) },
  'POST /workflows/:definitionId/edit': { request: atDefinitionEditor('save'), expect: pages.companyAdmins(302) },
  // Schedules: its company admin and MSP staff; a new schedule opens its page; the page's default form pauses it.
  'GET /schedules': { request: inOrganization('/schedules'), expect: pages.companyPeople(200) },
  'POST /schedules': {
    request: async (s, _r, w) => ({
      path: `/schedules?organizationId=${orgOf(s, w)}`,
      body: { definitionId: await freshDefinition(s, orgOf(s, w)), name: s.unique('Console schedule'), kind: 'cron', expression: '0 3 1 1 *', timeZone: 'UTC', paused: 'on' },
    }),
    expect: pages.companyAdmins(302),
  },
  'GET /schedules/:scheduleId': { request: async (s, _r, w) => ({ path: `/schedules/${await freshSchedule(s, orgOf(s, w))}` }), expect: pages.companyPeople(200) },
  'POST /schedules/:scheduleId': {
    request: async (s, _r, w) => ({ path: `/schedules/${await freshSchedule(s, orgOf(s, w))}`, body: { intent: 'pause' } }),
    expect: pages.companyAdmins(200),
  },
  'GET /tools': page(),
};

// Console actions with several intents, one entry per intent (the key's third word names it). The
// matrix above holds each route's default intent under its plain key.
export const CONSOLE_INTENT_MATRIX: Record<string, MatrixEntry> = {
  ...Object.fromEntries(
    (['pause', 'resume'] as const).map((intent) => [
      `POST /rollouts/:jobId intent=${intent}`,
      {
        request: async (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/rollouts/${await freshEndedRollout(s, orgOf(s, w))}`, body: { intent } }),
        expect: pages.mspStaff(200),
      },
    ]),
  ),
  // Every node of an organization that has none: MSP staff get the page saying no node matches.
  'POST /nodes intent=refresh-all': {
    request: () => ({ path: '/nodes', body: { intent: 'refresh-all', organizationId: crypto.randomUUID() } }),
    expect: pages.mspStaffOutright(200),
  },
  // A restart rollout of the selection: MSP staff are sent to its page (it waits for its approval).
  'POST /instances intent=rollout-restart': {
    request: async (s, _r, w) => ({ path: '/instances', body: { rollout: 'restart', instanceId: await freshManagedInstance(s, orgOf(s, w)) } }),
    expect: pages.mspStaffOutright(302),
  },
  'POST /organizations/:organizationId/report intent=revoke-link': {
    request: async (s, _r, w) => ({ path: `/organizations/${orgOf(s, w)}/report`, body: { intent: 'revoke-link', id: await freshShareLink(s, orgOf(s, w)) } }),
    expect: pages.mspStaff(200),
  },
  'POST /approver-groups intent=add-member': {
    request: async (s, r, w) => {
      const { path } = await atGroupMember(false)(s, r, w);
      const [, , id, , userId] = path.split('/');
      return { path: '/approver-groups', body: { intent: 'add-member', id, userId } };
    },
    expect: pages.companyAdmins(200),
  },
  'POST /approver-groups intent=remove-member': {
    request: async (s, r, w) => {
      const { path } = await atGroupMember(true)(s, r, w);
      const [, , id, , userId] = path.split('/');
      return { path: '/approver-groups', body: { intent: 'remove-member', id, userId } };
    },
    expect: pages.companyAdmins(200),
  },
  'POST /approver-groups intent=delete': {
    request: async (s, _r, w) => ({ path: '/approver-groups', body: { intent: 'delete', id: await freshApproverGroup(s, orgOf(s, w)) } }),
    expect: pages.companyAdmins(200),
  },
  // The node page's enrollment and revocation forms: MSP staff only.
  'POST /nodes/:nodeId intent=create-enrollment': {
    request: (s, _r, w) => ({ path: `/nodes/${nodeOf(s, w)}`, body: { intent: 'create-enrollment', expiresInMinutes: '30' } }),
    expect: pages.mspStaff(200),
  },
  'POST /nodes/:nodeId intent=revoke-token': {
    request: async (s, _r, w) => {
      const nodeId = nodeOf(s, w);
      return { path: `/nodes/${nodeId}`, body: { intent: 'revoke-token', id: await freshEnrollmentToken(s, nodeId) } };
    },
    expect: pages.mspStaff(200),
  },
  'POST /nodes/:nodeId intent=refresh-inventory': {
    request: async (s, _r, w) => ({ path: `/nodes/${await freshEnrolledNode(s, orgOf(s, w))}`, body: { intent: 'refresh-inventory' } }),
    expect: pages.mspStaff(200),
  },
  // A deployment request that passes starts its job and is sent to the job's page.
  'POST /nodes/:nodeId intent=deploy': {
    request: async (s, _r, w) => ({ path: `/nodes/${await freshEnrolledNode(s, orgOf(s, w))}`, body: { intent: 'deploy', instanceName: 'matrix-claw' } }),
    expect: pages.mspStaff(302),
  },
  'POST /nodes/:nodeId intent=adopt': {
    request: async (s, _r, w) => {
      const id = await freshDiscoveredInstance(s, orgOf(s, w));
      const [row] = await s.db.select({ nodeId: instances.nodeId }).from(instances).where(eq(instances.id, id));
      return { path: `/nodes/${row!.nodeId}`, body: { intent: 'adopt', id } };
    },
    expect: pages.mspStaff(302),
  },
  ...Object.fromEntries(
    (['health-check', 'restart', 'stop', 'start', 'remove', 'upgrade'] as const).map((intent) => [
      `POST /nodes/:nodeId intent=${intent}`,
      {
        request: async (s: Seed, _r: RoleUnderTest, w: Which) => {
          const id = await freshManagedInstance(s, orgOf(s, w));
          const [row] = await s.db.select({ nodeId: instances.nodeId }).from(instances).where(eq(instances.id, id));
          return { path: `/nodes/${row!.nodeId}`, body: { intent, id, ...(intent === 'upgrade' ? { toVersion: '2026.9.5' } : {}) } };
        },
        expect: pages.mspStaff(302),
      } satisfies MatrixEntry,
    ]),
  ),
  // A grant for the temporal CLI from the job's page: on an ended job, allowed people are told why not.
  'POST /jobs/:jobId intent=grant': {
    request: async (s, _r, w) => ({ path: `/jobs/${await freshEndedJob(s, orgOf(s, w))}`, body: { intent: 'grant', phrase: 'deploy openclaw to matrix' } }),
    expect: pages.mspStaff(200),
  },
  // A retry from the job's page: the new job's page.
  'POST /jobs/:jobId intent=retry': {
    request: async (s, _r, w) => ({ path: `/jobs/${await freshFailedHealthCheck(s, orgOf(s, w))}`, body: { intent: 'retry' } }),
    expect: pages.mspStaff(302),
  },
  // The bundle check on the System page: a job on an enrolled node, then its job page.
  'POST /system intent=bundle-check': {
    request: async (s, _r, w) => ({ path: '/system', body: { intent: 'bundle-check', nodeId: await freshEnrolledNode(s, orgOf(s, w)) } }),
    expect: pages.mspStaff(302),
  },
  // The connection page's buttons: its company admin and MSP staff; a deletion goes back to the list.
  ...Object.fromEntries(
    (['test', 'disable', 'enable', 'delete', 'connect'] as const).map((intent) => [
      `POST /connections/:connectionId intent=${intent}`,
      { request: atConnection('', { intent }), expect: pages.companyAdmins(intent === 'delete' ? 302 : 200) } satisfies MatrixEntry,
    ]),
  ),
  // Running an action: past authorization, the policy engine decides (its refusal is said on the form).
  'POST /connections/:connectionId intent=run': { request: atConnection('', { intent: 'run', action: 'tools.execute', input: '{}' }), expect: pages.companyAdmins(200) },
  // The workflow page's buttons: its company admin and MSP staff; a copy opens its own page.
  ...Object.fromEntries(
    // A run or a simulation opens its job's page.
    (['unarchive', 'share', 'duplicate', 'simulate', 'run'] as const).map((intent) => [
      `POST /workflows/:definitionId intent=${intent}`,
      {
        request: async (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/workflows/${await freshDefinition(s, orgOf(s, w))}`, body: { intent } }),
        expect: pages.companyAdmins(intent === 'unarchive' || intent === 'share' ? 200 : 302),
      } satisfies MatrixEntry,
    ]),
  ),
  // The editor's Check policy: the verdicts on the page, nothing saved.
  'POST /workflows/new intent=preview': {
    request: (s, _r, w) => ({ path: `/workflows/new?organizationId=${orgOf(s, w)}`, body: editorForm('preview', orgOf(s, w), { steps: [notifyStep('checked')] }) }),
    expect: pages.companyAdmins(200),
  },
  'POST /workflows/:definitionId/edit intent=preview': { request: atDefinitionEditor('preview'), expect: pages.companyAdmins(200) },
  // The schedule page's buttons: its company admin and MSP staff; a deletion goes back to the list.
  ...Object.fromEntries(
    (['trigger', 'resume', 'delete'] as const).map((intent) => [
      `POST /schedules/:scheduleId intent=${intent}`,
      {
        request: async (s: Seed, _r: RoleUnderTest, w: Which) => ({ path: `/schedules/${await freshSchedule(s, orgOf(s, w))}`, body: { intent } }),
        expect: pages.companyAdmins(intent === 'delete' ? 302 : 200),
      } satisfies MatrixEntry,
    ]),
  ),
  // Approving runs in advance from the schedule's page: only who may approve the step ("wait for a person": MSP staff).
  'POST /schedules/:scheduleId intent=pre-approve': {
    request: async (s, _r, w) => ({ path: `/schedules/${(await freshGatedSchedule(s, orgOf(s, w), false)).scheduleId}`, body: { intent: 'pre-approve', maxRuns: '2' } }),
    expect: pages.mspStaff(200),
  },
  'POST /schedules/:scheduleId intent=revoke-standing': {
    request: async (s, _r, w) => {
      const { scheduleId, standingId } = await freshGatedSchedule(s, orgOf(s, w), true);
      return { path: `/schedules/${scheduleId}`, body: { intent: 'revoke-standing', id: standingId! } };
    },
    expect: pages.companyAdmins(200),
  },
  'POST /nodes/:nodeId intent=revoke-node': {
    request: async (s, _r, w) => ({ path: `/nodes/${await s.freshNode(orgOf(s, w))}`, body: { intent: 'revoke-node' } }),
    expect: pages.mspStaff(200),
  },
};
