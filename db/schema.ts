// The records the product keeps in PostgreSQL. Execution state lives in Temporal; these tables hold what
// people and the console need to see, plus who did what (audit_events).
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => 'bytea',
  toDriver: (v) => Buffer.from(v),
  fromDriver: (v) => new Uint8Array(v),
});

export const ORGANIZATION_KINDS = ['msp', 'customer'] as const;
export const ROLES = ['msp_admin', 'msp_operator', 'company_admin', 'company_user'] as const;
export type Role = (typeof ROLES)[number];

// A customer company, or the MSP's own "shared infrastructure" (kind 'msp', exactly one).
export const organizations = pgTable(
  'organizations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    kind: text('kind', { enum: ORGANIZATION_KINDS }).notNull(),
    // Four eyes: the person who requested a job may not also approve it (jobs on this organization's nodes).
    forbidSelfApproval: boolean('forbid_self_approval').notNull().default(false),
    // Where its people are (IANA): schedules' times are shown, and new ones read, in it.
    timeZone: text('time_zone').notNull().default('UTC'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    archivedAt: timestamp('archived_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex('organizations_name_unique').on(sql`lower(${t.name})`),
    uniqueIndex('organizations_one_msp')
      .on(t.kind)
      .where(sql`${t.kind} = 'msp'`),
  ],
);

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ROLES }).notNull(),
  organizationId: uuid('organization_id')
    .notNull()
    .references(() => organizations.id),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  deactivatedAt: timestamp('deactivated_at', { withTimezone: true, precision: 3 }),
  // Two-factor sign-in (TOTP): the key is encrypted at rest (infra/secret-box.ts); the last accepted time
  // step is kept so a code cannot be used twice.
  totpKeyEncrypted: text('totp_key_encrypted'),
  totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true, precision: 3 }),
  totpLastStep: bigint('totp_last_step', { mode: 'number' }),
});

export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('recovery_codes_user_idx').on(t.userId)],
);

// An invitation link carries a one-time token; only its SHA-256 is stored.
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    email: text('email').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    invitedBy: uuid('invited_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true, precision: 3 }),
    acceptedUserId: uuid('accepted_user_id').references(() => users.id),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('invitations_org_idx').on(t.organizationId)],
);

export const NODE_STATUSES = ['pending', 'online', 'stale', 'offline', 'revoked'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

// A managed machine. Status stays 'pending' until an agent enrolls (the agent is another issue).
export const nodes = pgTable(
  'nodes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    name: text('name').notNull(),
    labels: jsonb('labels').$type<string[]>().notNull().default([]),
    notes: text('notes').notNull().default(''),
    status: text('status', { enum: NODE_STATUSES }).notNull().default('pending'),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    // The agent's identity: its Ed25519 public key (SPKI, base64), registered at enrollment.
    agentPublicKey: text('agent_public_key'),
    // The SHA-256 of the agent's credential for the agent door (infra/agent-door/), issued at enrollment and
    // replaced by the next one, so a replaced agent's door closes.
    agentCredentialHash: text('agent_credential_hash').unique(),
    enrolledAt: timestamp('enrolled_at', { withTimezone: true, precision: 3 }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, precision: 3 }),
    // The last report the agent sent (agent version, host, OS, CPU, memory, Docker version, inventory digest).
    lastReport: jsonb('last_report').$type<Record<string, unknown>>(),
  },
  (t) => [
    uniqueIndex('nodes_org_name_unique').on(t.organizationId, sql`lower(${t.name})`),
    // The nodes list's order (created_at, id), with and without the organization filter (its keyset cursor
    // starts a range scan here: api/pagination.ts).
    index('nodes_created_idx').on(t.createdAt, t.id),
    index('nodes_org_created_idx').on(t.organizationId, t.createdAt, t.id),
  ],
);

// One-time enrollment tokens for a node's agent: only a hash is stored; single use; expiring; revocable.
export const nodeEnrollmentTokens = pgTable(
  'node_enrollment_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    nodeId: uuid('node_id')
      .notNull()
      .references(() => nodes.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('node_enrollment_tokens_node_idx').on(t.nodeId)],
);

// What Docker runs on a node, as its agent last reported it (never environment values).
export const nodeContainers = pgTable(
  'node_containers',
  {
    nodeId: uuid('node_id')
      .notNull()
      .references(() => nodes.id, { onDelete: 'cascade' }),
    containerId: text('container_id').notNull(),
    name: text('name').notNull(),
    image: text('image').notNull(),
    state: text('state').notNull(),
    health: text('health'),
    status: text('status').notNull(),
    ports: jsonb('ports').$type<{ privatePort: number; publicPort?: number; type: string; ip?: string }[]>().notNull().default([]),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    // Docker's network mode (`host`: the machine's own network); null from agents that did not report it.
    networkMode: text('network_mode'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }),
    seenAt: timestamp('seen_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('node_containers_node_container').on(t.nodeId, t.containerId)],
);

export const INSTANCE_STATES = ['discovered', 'managed'] as const;

// An OpenClaw instance: seen on a node (discovered, never changed by us) or deployed/adopted (managed).
export const instances = pgTable(
  'instances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    nodeId: uuid('node_id')
      .notNull()
      .references(() => nodes.id),
    name: text('name').notNull(),
    state: text('state', { enum: INSTANCE_STATES }).notNull(),
    containerIds: jsonb('container_ids').$type<string[]>().notNull().default([]),
    // Why discovery thinks this is OpenClaw, and how sure it is (0..1).
    reasons: jsonb('reasons').$type<string[]>().notNull().default([]),
    confidence: text('confidence'),
    // Managed instances: what the bundle deployed (or what was adopted), and the last health check.
    bundleVersion: text('bundle_version'),
    port: integer('port'),
    health: jsonb('health').$type<Record<string, unknown>>(),
    managedSince: timestamp('managed_since', { withTimezone: true, precision: 3 }),
    // The gateway's tool policy (issue 12; protocol/tool-policy.ts): the `tools` section the last apply
    // job wrote and its hash (desired), when it was written by the node's clock; what the agent's
    // heartbeat last read from the file (actual; secret-looking values redacted); and since when the two
    // differ. An instance never applied is never drifted.
    appliedToolsHash: text('applied_tools_hash'),
    appliedTools: jsonb('applied_tools').$type<Record<string, unknown>>(),
    appliedToolsAt: timestamp('applied_tools_at', { withTimezone: true, precision: 3 }),
    reportedToolsHash: text('reported_tools_hash'),
    reportedTools: jsonb('reported_tools').$type<Record<string, unknown>>(),
    reportedToolsAt: timestamp('reported_tools_at', { withTimezone: true, precision: 3 }),
    driftedSince: timestamp('drifted_since', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  // The Instances page lists an organization's instances in creation order (api/instances/list.ts).
  (t) => [uniqueIndex('instances_node_name_unique').on(t.nodeId, t.name), index('instances_org_created_idx').on(t.organizationId, t.createdAt)],
);

// A job is one Temporal workflow run that changes something (a deployment, a restart, a takeover): the
// console's view of it. The run itself, with its history, is in Temporal (workflowId, runId).
export const JOB_STATES = ['preflight', 'waiting_for_approval', 'running', 'completed', 'failed', 'expired', 'cancelled', 'rejected'] as const;
export type JobState = (typeof JOB_STATES)[number];
export interface JobApproval {
  at: string;
  by: string;
  role: string;
  /**
   * `standing`: a standing approval of the run's schedule, used when the step opened (api/schedules/standing-approvals.ts).
   * `rollout`: the approval of the fleet rollout that started this job, copied when the rollout recorded it (api/fleet/, ADR 0030).
   */
  via: 'console' | 'signal' | 'standing' | 'rollout';
  /** For `rollout`: the rollout's job. */
  rolloutJobId?: string;
  outcome: 'approved' | 'rejected' | 'cancelled' | 'ignored';
  reason?: string;
  /** For a decision: the person's id and the grant's nonce, recorded only after the grant was checked against Postgres (ADR 0010). */
  userId?: string;
  nonce?: string;
  /** Which approval request of the job it decides (the job's step while it waited: one per gated step of a workflow run). */
  request?: string;
}

/** Who may decide a job's approval requests, as the job was asked (the permission's policy, ADR 0012): re-checked on each decision. */
export interface JobApprovalPolicy {
  approverRoles: Role[];
  forbidSelfApproval: boolean;
  /** Distinct people needed (1 when absent: jobs asked before N-of-M). */
  approvalsNeeded?: number;
  approverGroupIds?: string[];
}
export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** A type of api/jobs/registry.ts (not an enum here: a row of a type a later release dropped still reads). */
    type: text('type').notNull(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    /** The node its steps run on; null for a job that runs on the control plane only. */
    nodeId: uuid('node_id').references(() => nodes.id),
    instanceId: uuid('instance_id'),
    /** What the job acts on, e.g. the instance name and port of a deployment (never a secret). */
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    workflowId: text('workflow_id').notNull().unique(),
    runId: text('run_id'),
    requestedBy: uuid('requested_by').references(() => users.id),
    state: text('state', { enum: JOB_STATES }).notNull(),
    step: text('step'),
    approvalPhrase: text('approval_phrase'),
    approvalExpiresAt: timestamp('approval_expires_at', { withTimezone: true, precision: 3 }),
    /** When the job began waiting for its current approval (a workflow run: its current step's): the age /metrics reports. */
    approvalRequestedAt: timestamp('approval_requested_at', { withTimezone: true, precision: 3 }),
    approvals: jsonb('approvals').$type<JobApproval[]>().notNull().default([]),
    /** Who may approve and whether the requester may, as the job was asked (the permission's policy, ADR 0012): re-checked on each decision. */
    approvalPolicy: jsonb('approval_policy').$type<JobApprovalPolicy>(),
    failureReason: text('failure_reason'),
    result: jsonb('result').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true, precision: 3 }),
    /** The failed or expired job this one tries again (POST /jobs/{id}/retry). */
    retryOf: uuid('retry_of').references((): AnyPgColumn => jobs.id),
    /** A fleet rollout's child: the rollout's job, and the index of its target in the rollout's record (ADR 0030). */
    rolloutJobId: uuid('rollout_job_id').references((): AnyPgColumn => jobs.id),
    targetIndex: integer('target_index'),
  },
  // The jobs list is newest first, (created_at, id) descending, unfiltered or by organization, state or node:
  // each index ends in that order so a page (or a deep cursor's range) is read straight off it.
  (t) => [
    index('jobs_created_idx').on(t.createdAt, t.id),
    index('jobs_org_created_idx').on(t.organizationId, t.createdAt, t.id),
    index('jobs_node_created_idx').on(t.nodeId, t.createdAt, t.id),
    index('jobs_state_created_idx').on(t.state, t.createdAt, t.id),
    // One job per target of a rollout, whatever its run asks (a rogue worker included).
    uniqueIndex('jobs_rollout_target_unique').on(t.rolloutJobId, t.targetIndex),
  ],
);

// What people asked of a fleet rollout while it runs (ADR 0030): pause, resume (run) or cancel. The console
// writes the row, then nudges the run with an Update; the run believes only this row (read by its
// activity), so a Temporal client cannot resume a rollout nobody here asked to resume.
export const ROLLOUT_CONTROLS = ['run', 'pause', 'cancel'] as const;
export type RolloutControl = (typeof ROLLOUT_CONTROLS)[number];

export const rolloutControls = pgTable('rollout_controls', {
  jobId: uuid('job_id')
    .primaryKey()
    .references(() => jobs.id),
  control: text('control', { enum: ROLLOUT_CONTROLS }).notNull(),
  changedBy: uuid('changed_by').references(() => users.id),
  changedAt: timestamp('changed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

// Personal API tokens act as their creator (same role and organization). Only a hash is stored.
// What a personal API token may be used for (api/authz.ts says what each scope allows).
export const TOKEN_SCOPES = ['read', 'operate', 'approve'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    prefix: text('prefix').notNull(),
    scopes: text('scopes', { enum: TOKEN_SCOPES }).array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, precision: 3 }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    index('api_tokens_user_idx').on(t.userId),
    check('api_tokens_scopes_known', sql`cardinality(${t.scopes}) > 0 and ${t.scopes} <@ array[${sql.raw(TOKEN_SCOPES.map((s) => `'${s}'`).join(', '))}]::text[]`),
  ],
);

// Product-wide settings changed by MSP admins (e.g. whether MSP staff must use two-factor sign-in).
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  updatedBy: uuid('updated_by').references(() => users.id),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

// Sessions follow the Lucia project's guidance: the cookie holds `<id>.<secret>`, we keep only a hash.
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    secretHash: bytea('secret_hash').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastVerifiedAt: timestamp('last_verified_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    // False until the second factor is checked, for people who have two-factor sign-in on.
    twoFactorVerified: boolean('two_factor_verified').notNull().default(false),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const signInAttempts = pgTable(
  'sign_in_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    email: text('email').notNull(),
    ip: text('ip').notNull(),
    succeeded: boolean('succeeded').notNull(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('sign_in_attempts_email_at_idx').on(t.email, t.at), index('sign_in_attempts_ip_at_idx').on(t.ip, t.at)],
);

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export const ACTOR_TYPES = ['person', 'api_token', 'agent', 'workflow', 'system'] as const;

// Append-only (a trigger refuses UPDATE and DELETE); each row carries the hash of the one before it.
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    actorType: text('actor_type', { enum: ACTOR_TYPES }).notNull(),
    actorId: text('actor_id'),
    actorLabel: text('actor_label').notNull(),
    organizationId: uuid('organization_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    outcome: text('outcome', { enum: AUDIT_OUTCOMES }).notNull(),
    reason: text('reason'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_events_org_idx').on(t.organizationId, t.id),
    index('audit_events_action_idx').on(t.action),
    // A record's history (api/history/audited-history.ts): its own events, newest first.
    index('audit_events_target_idx').on(t.targetType, t.targetId, t.action, t.at),
  ],
);

// ------------------------------------------------------------------------- capabilities (ADR 0012)
export const CAPABILITY_KINDS = ['tool', 'skill', 'policy', 'pack'] as const;
export type CapabilityKind = (typeof CAPABILITY_KINDS)[number];
export const RISKS = ['low', 'medium', 'high', 'critical'] as const;
export type Risk = (typeof RISKS)[number];
export const CONFIRMATIONS = ['by_risk', 'always', 'never'] as const;
export type Confirmation = (typeof CONFIRMATIONS)[number];

export interface CapabilityAction {
  key: string;
  risk: Risk;
  description: string;
}
/** A pack's member: a capability (by key) and the subset of its actions the pack brings. */
export interface PackItem {
  capabilityKey: string;
  actions: string[];
}
export interface ApprovalPolicy {
  /** N distinct people must approve (N-of-M). */
  approvalsNeeded: number;
  /** MSP roles whose holders may approve. */
  approverRoles: Role[];
  /** Named approver groups whose members may approve too (company people approve only through a group). */
  approverGroupIds?: string[];
  forbidSelfApproval: boolean;
  expiresInHours: number;
}

// The catalogue: built-in entries (api/capabilities/catalogue.ts, written here at start-up) and the MSP's
// own. A built-in entry is disabled, never edited or deleted.
export const capabilities = pgTable(
  'capabilities',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    key: text('key').notNull(),
    kind: text('kind', { enum: CAPABILITY_KINDS }).notNull(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    version: text('version').notNull(),
    builtIn: boolean('built_in').notNull().default(false),
    /** The connection provider a tool needs (google_drive, quickbooks, servicetitan, composio). */
    provider: text('provider'),
    /** The OpenClaw tool group (or tool) this entry stands for in a gateway's tool policy. */
    openclawTool: text('openclaw_tool'),
    actions: jsonb('actions').$type<CapabilityAction[]>().notNull().default([]),
    packItems: jsonb('pack_items').$type<PackItem[]>().notNull().default([]),
    disabledAt: timestamp('disabled_at', { withTimezone: true, precision: 3 }),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('capabilities_key_unique').on(t.key)],
);

// What an organization may do with a capability. No row: the built-in default, if the entry has one.
export const permissions = pgTable(
  'permissions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    capabilityId: uuid('capability_id')
      .notNull()
      .references(() => capabilities.id),
    enabled: boolean('enabled').notNull(),
    allowedActions: text('allowed_actions').array().notNull(),
    confirmation: text('confirmation', { enum: CONFIRMATIONS }).notNull(),
    approval: jsonb('approval').$type<ApprovalPolicy>().notNull(),
    runsPerHour: integer('runs_per_hour'),
    runsPerDay: integer('runs_per_day'),
    /** Set by MSP staff: a company admin cannot change this permission, not even to narrow it. */
    enforced: boolean('enforced').notNull().default(false),
    updatedBy: uuid('updated_by').references(() => users.id),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('permissions_org_capability_unique').on(t.organizationId, t.capabilityId)],
);

// Capabilities or packs attached to an instance: it may use only what they list (inside its permissions).
export const capabilityAttachments = pgTable(
  'capability_attachments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    instanceId: uuid('instance_id')
      .notNull()
      .references(() => instances.id, { onDelete: 'cascade' }),
    capabilityId: uuid('capability_id')
      .notNull()
      .references(() => capabilities.id),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('capability_attachments_unique').on(t.instanceId, t.capabilityId)],
);

// One row per allowed run of a capability's action, counted against the permission's usage limits.
export const capabilityUsage = pgTable(
  'capability_usage',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    capabilityId: uuid('capability_id')
      .notNull()
      .references(() => capabilities.id, { onDelete: 'cascade' }),
    action: text('action').notNull(),
    jobId: uuid('job_id'),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('capability_usage_org_capability_at_idx').on(t.organizationId, t.capabilityId, t.at)],
);

// ------------------------------------------------------------------------- connections (ADR 0013)
// Each organization's own data key, wrapped by the key-encryption key (SECRETS_KEY, later a KMS):
// a stolen database opens nothing without the KEK, and one organization's key opens no other's secrets.
// During a rotation the previous wrapping stays beside the new one, so processes still running with the
// old KEK keep working until they restart with the new one (infra/secrets/rotate.ts).
export const organizationDataKeys = pgTable(
  'organization_data_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    wrappedKey: text('wrapped_key').notNull(),
    kekFingerprint: text('kek_fingerprint').notNull(),
    previousWrappedKey: text('previous_wrapped_key'),
    previousKekFingerprint: text('previous_kek_fingerprint'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    rewrappedAt: timestamp('rewrapped_at', { withTimezone: true, precision: 3 }),
  },
  // One data key per organization for now; the key id in every ciphertext leaves room for more.
  (t) => [uniqueIndex('organization_data_keys_org_unique').on(t.organizationId)],
);

export const CONNECTION_STATUSES = ['pending', 'connected', 'needs_reconnect', 'disabled'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];
export const CONNECTION_MODES = ['live', 'demo'] as const;
export type ConnectionMode = (typeof CONNECTION_MODES)[number];

// An organization's link to a SaaS provider. The credentials are sealed under the organization's data key
// and bound to this row (infra/secrets/sealed.ts); only a hint (last characters) is ever shown.
export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    provider: text('provider').notNull(),
    name: text('name').notNull(),
    status: text('status', { enum: CONNECTION_STATUSES }).notNull().default('pending'),
    statusReason: text('status_reason').notNull(),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    mode: text('mode', { enum: CONNECTION_MODES }).notNull(),
    lastTestedAt: timestamp('last_tested_at', { withTimezone: true, precision: 3 }),
    lastTestOk: boolean('last_test_ok'),
    lastTestMessage: text('last_test_message'),
    credentialsSealed: text('credentials_sealed'),
    credentialsHint: text('credentials_hint'),
    /** Non-secret facts about the account: QuickBooks realm id, ServiceTitan tenant id, Composio connected account. */
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('connections_org_name_unique').on(t.organizationId, sql`lower(${t.name})`), index('connections_org_provider_idx').on(t.organizationId, t.provider)],
);

// A consent flow under way (OAuth 2.0 with PKCE): the `state` sent to the provider, stored only hashed,
// bound to the person who started it and the connection, used once and only for minutes. The PKCE
// verifier is sealed like a credential (bound to this flow's connection), so the database alone cannot
// redeem an intercepted code.
export const connectionOauthStates = pgTable(
  'connection_oauth_states',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    stateHash: text('state_hash').notNull(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    verifierSealed: text('verifier_sealed').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('connection_oauth_states_hash_unique').on(t.stateHash)],
);

// ------------------------------------------------------------------- workflow definitions (issue 14)
// A definition is an organization's named, ordered steps (protocol/workflow-definition.ts). Each save is
// a new immutable version (no code path updates one, and a trigger refuses UPDATE), so a run pinned to a
// version never sees an edit. A definition is archived, never deleted: runs keep pointing at its versions.
export const workflowDefinitions = pgTable(
  'workflow_definitions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    archivedAt: timestamp('archived_at', { withTimezone: true, precision: 3 }),
    /** The latest version; null only inside the transaction that creates the definition. */
    currentVersionId: uuid('current_version_id').references((): AnyPgColumn => workflowVersions.id),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('workflow_definitions_org_name_unique').on(t.organizationId, sql`lower(${t.name})`)],
);

export const workflowVersions = pgTable(
  'workflow_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => workflowDefinitions.id),
    /** 1, 2, 3… per definition. */
    number: integer('number').notNull(),
    /** The content as saved: name and description travel with the steps, so a version tells all it ran. */
    name: text('name').notNull(),
    description: text('description').notNull(),
    steps: jsonb('steps').$type<unknown[]>().notNull(),
    /** SHA-256 (hex) of the canonical JSON of { name, description, steps }. */
    contentHash: text('content_hash').notNull(),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('workflow_versions_definition_number_unique').on(t.definitionId, t.number)],
);

// Who may run a definition besides its organization's company admins and MSP staff (issue 14): the
// organization's company users it is shared with. Sharing is not content: it changes no version.
export const workflowDefinitionShares = pgTable(
  'workflow_definition_shares',
  {
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => workflowDefinitions.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    sharedBy: uuid('shared_by').references(() => users.id),
    sharedAt: timestamp('shared_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('workflow_definition_shares_unique').on(t.definitionId, t.userId), index('workflow_definition_shares_user_idx').on(t.userId)],
);

// Approver groups (issue 14): named sets of people who may approve where an approval policy names the
// group. A customer's group holds its people and MSP staff; a group of the MSP's own organization is
// MSP-wide (MSP staff only) and may be named in any organization's policies.
export const approverGroups = pgTable(
  'approver_groups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('approver_groups_name_unique').on(t.organizationId, sql`lower(${t.name})`)],
);

export const approverGroupMembers = pgTable(
  'approver_group_members',
  {
    groupId: uuid('group_id')
      .notNull()
      .references(() => approverGroups.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    addedBy: uuid('added_by').references(() => users.id),
    addedAt: timestamp('added_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('approver_group_members_unique').on(t.groupId, t.userId), index('approver_group_members_user_idx').on(t.userId)],
);

// Schedules (issue 15): a workflow definition run for its organization on an interval or a cron calendar in
// a time zone, through one Temporal Schedule per row (api/schedules/). Postgres is the record: the worker
// reconciles Temporal's copy from it at start-up, and each scheduled run believes this row, not Temporal.
export const SCHEDULE_OVERLAPS = ['skip', 'buffer_one', 'buffer_all', 'allow_all'] as const;
export type ScheduleOverlap = (typeof SCHEDULE_OVERLAPS)[number];
/** When runs start: every N seconds (plus an offset), or a five-field cron expression read in the row's time zone. */
export type ScheduleSpec = { kind: 'interval'; everySeconds: number; offsetSeconds: number } | { kind: 'cron'; expression: string };
/** A range a person asked to backfill: runs scheduled in it are believed although they start late. */
export interface ScheduleBackfill {
  start: string;
  end: string;
  by: string;
  at: string;
}

export const schedules = pgTable(
  'schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    definitionId: uuid('definition_id')
      .notNull()
      .references(() => workflowDefinitions.id),
    /** The pinned version; null runs the definition's current version at each run ("latest"). */
    versionId: uuid('version_id').references(() => workflowVersions.id),
    name: text('name').notNull(),
    spec: jsonb('spec').$type<ScheduleSpec>().notNull(),
    /** IANA time zone the cron expression is read in (and upcoming times are shown in). */
    timeZone: text('time_zone').notNull().default('UTC'),
    overlap: text('overlap', { enum: SCHEDULE_OVERLAPS }).notNull().default('skip'),
    catchupWindowSeconds: integer('catchup_window_seconds').notNull().default(600),
    pauseOnFailure: boolean('pause_on_failure').notNull().default(false),
    jitterSeconds: integer('jitter_seconds').notNull().default(0),
    startAt: timestamp('start_at', { withTimezone: true, precision: 3 }),
    endAt: timestamp('end_at', { withTimezone: true, precision: 3 }),
    paused: boolean('paused').notNull().default(false),
    note: text('note').notNull().default(''),
    /** Trigger-now requests made through the product and not yet used by a run (a run started any other way off the calendar is refused). */
    pendingTriggers: integer('pending_triggers').notNull().default(0),
    lastTriggeredAt: timestamp('last_triggered_at', { withTimezone: true, precision: 3 }),
    backfills: jsonb('backfills').$type<ScheduleBackfill[]>().notNull().default([]),
    /** The owner: runs carry this person's authority, checked again at each run. */
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Deleted schedules are kept (their runs name them) and their Temporal Schedule removed. */
    deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('schedules_organization_idx').on(t.organizationId), index('schedules_definition_idx').on(t.definitionId)],
);

// Standing approvals (issue 15): a person allowed to approve a scheduled definition's confirmations says
// yes in advance, for up to N runs or until a date, so that a 3 a.m. run does not wait for anyone. Each use
// is recorded on the run as that person's approval of that step (activities/workflow-runs.ts); revocable.
export const standingApprovals = pgTable(
  'standing_approvals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    scheduleId: uuid('schedule_id')
      .notNull()
      .references(() => schedules.id),
    /** The step it approves; null: every step of the schedule's runs that asks for a confirmation. */
    stepId: text('step_id'),
    approverId: uuid('approver_id')
      .notNull()
      .references(() => users.id),
    /** How many runs it approves (null: until expiresAt). */
    maxRuns: integer('max_runs'),
    runsUsed: integer('runs_used').notNull().default(0),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }),
    note: text('note').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    revokedBy: uuid('revoked_by').references(() => users.id),
  },
  (t) => [index('standing_approvals_schedule_idx').on(t.scheduleId), check('standing_approvals_bounded', sql`${t.maxRuns} is not null or ${t.expiresAt} is not null`)],
);

// Customer report share links (issue 16, ADR 0021): a read-only link to one organization's report for a
// fixed period, opened without signing in. The link carries a random token; only its SHA-256 is stored
// (api/auth/token-hash.ts). It always expires and can be revoked.
export const reportShareLinks = pgTable(
  'report_share_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id),
    tokenHash: text('token_hash').notNull().unique(),
    /** The period the link shows: whole days (YYYY-MM-DD) in the organization's time zone, inclusive. */
    fromDate: text('from_date').notNull(),
    toDate: text('to_date').notNull(),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    revokedBy: uuid('revoked_by').references(() => users.id),
    lastOpenedAt: timestamp('last_opened_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('report_share_links_org_idx').on(t.organizationId, t.createdAt)],
);
