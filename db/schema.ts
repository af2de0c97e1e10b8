// The records the product keeps in PostgreSQL. Execution state lives in Temporal; these tables hold what
// people and the console need to see, plus who did what (audit_events).
import { bigserial, boolean, index, jsonb, pgTable, text, timestamp, uuid, customType } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => 'bytea',
  toDriver: (v) => Buffer.from(v),
  fromDriver: (v) => new Uint8Array(v),
});

export const ORGANIZATION_KINDS = ['msp', 'customer'] as const;
export const ROLES = ['msp_admin', 'msp_operator', 'company_admin', 'company_user'] as const;
export type Role = (typeof ROLES)[number];

export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  kind: text('kind', { enum: ORGANIZATION_KINDS }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ROLES }).notNull(),
  organizationId: uuid('organization_id').notNull().references(() => organizations.id),
  active: boolean('active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

// Sessions follow the Lucia project's guidance: the cookie holds `<id>.<secret>`, we keep only a hash.
export const sessions = pgTable('sessions', {
  id: text('id').primaryKey(),
  secretHash: bytea('secret_hash').notNull(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastVerifiedAt: timestamp('last_verified_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('sessions_user_idx').on(t.userId)]);

export const signInAttempts = pgTable('sign_in_attempts', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  email: text('email').notNull(),
  ip: text('ip').notNull(),
  succeeded: boolean('succeeded').notNull(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('sign_in_attempts_email_at_idx').on(t.email, t.at), index('sign_in_attempts_ip_at_idx').on(t.ip, t.at)]);

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export const ACTOR_TYPES = ['person', 'api_token', 'agent', 'workflow', 'system'] as const;

// Append-only (a trigger refuses UPDATE and DELETE); each row carries the hash of the one before it.
export const auditEvents = pgTable('audit_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull(),
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
}, (t) => [index('audit_events_org_idx').on(t.organizationId, t.id), index('audit_events_action_idx').on(t.action)]);

export const READINESS_STATUSES = ['running', 'passed', 'failed'] as const;
export type ReadinessCheckResult = { name: string; ok: boolean; detail: string; durationMs: number };

export const readinessChecks = pgTable('readiness_checks', {
  id: uuid('id').primaryKey().defaultRandom(),
  workflowId: text('workflow_id').notNull().unique(),
  runId: text('run_id'),
  requestedBy: uuid('requested_by').references(() => users.id),
  requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
  completedAt: timestamp('completed_at', { withTimezone: true }),
  status: text('status', { enum: READINESS_STATUSES }).notNull().default('running'),
  results: jsonb('results').$type<ReadinessCheckResult[]>().notNull().default([]),
});
