// A node's identity: enrollment tokens (one-time, expiring, revocable, only a SHA-256 kept), the agent's
// enrollment with its own Ed25519 public key, agent-signed requests, and revocation.
//
// Re-enrollment: a node whose agent was revoked (or whose machine was reinstalled) can be enrolled again
// with a NEW token; a successful enrollment registers the new key and clears the revocation (the audit
// event says so). A token can never be reused, and a successful enrollment withdraws the node's other
// outstanding tokens, so a leaked spare cannot take the node's identity over later.
import crypto from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { and, count, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { keyFingerprint } from '../../protocol/envelope.ts';
import { verifySignedRequest, type SignedRequestVerdict } from '../../protocol/request-signing.ts';
import { withLocks } from '../../db/advisory-lock.ts';
import { recordAudit } from '../../db/audit.ts';
import type { Db, Executor } from '../../db/client.ts';
import { auditEvents, NODE_STATUSES, nodeEnrollmentTokens, nodes, users } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import { closeDoorOf } from '../../infra/agent-door/closing.ts';
import { doorServerCa } from '../../infra/agent-door/tls.ts';
import { controlPlanePublicKey } from '../../infra/control-plane-key.ts';
import { nodeTaskQueue } from '../../workflows/task-queues.ts';
import { hashToken } from '../auth/token-hash.ts';
import { auditActor, auditTarget, recordSuccess } from '../audit/record.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import type { AgentContext } from '../endpoint.ts';
import { displayName } from '../display-text.ts';
import { AppError, ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';

export const ENROLLMENT_TOKEN_PREFIX = 'awenr_';
/** The agent's credential for the agent door (infra/agent-door/), issued at each enrollment. */
export const AGENT_CREDENTIAL_PREFIX = 'awagt_';
export const ENROLL_WINDOW_MS = 15 * 60 * 1000;
/** Failed enrollments (bad tokens) per client address and window before further attempts are refused. */
export const MAX_ENROLL_FAILURES_PER_ADDRESS = 20;

// ------------------------------------------------------------------------------------------ schemas

export const CreateEnrollmentTokenInput = z.object({
  expiresInMinutes: z
    .number('expiresInMinutes must be a number of minutes')
    .int('expiresInMinutes must be a whole number of minutes')
    .min(5, 'expiresInMinutes must be at least 5')
    .max(1440, 'expiresInMinutes must be at most 1440 (one day)')
    .default(60),
});

export const ENROLLMENT_TOKEN_STATES = ['outstanding', 'used', 'expired', 'revoked'] as const;
export const EnrollmentTokenOutput = z.object({
  id: z.string().uuid(),
  nodeId: z.string().uuid(),
  state: z.enum(ENROLLMENT_TOKEN_STATES),
  createdBy: z.string().nullable().describe('email of the person who created it'),
  createdAt: z.string(),
  expiresAt: z.string(),
  usedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type EnrollmentTokenOutput = z.infer<typeof EnrollmentTokenOutput>;

export const CreatedEnrollmentToken = z.object({
  id: z.string().uuid(),
  token: z.string().describe('shown once: only its SHA-256 is kept'),
  expiresAt: z.string(),
  command: z.string().describe('what to run on the machine'),
  controlPlaneKeyFingerprint: z.string().describe("the fingerprint of the control plane's public key, which the command carries and the agent checks"),
});
export type CreatedEnrollmentToken = z.infer<typeof CreatedEnrollmentToken>;

export const EnrollInput = z.object({
  token: z.string('token is required').trim().min(1, 'token is required').max(200, 'token must be at most 200 characters'),
  publicKey: z.string('publicKey is required').trim().min(1, 'publicKey is required').max(200, 'publicKey must be at most 200 characters'),
  hostname: displayName('hostname', 255),
  agentVersion: z.string('agentVersion is required').trim().min(1, 'agentVersion is required').max(64, 'agentVersion must be at most 64 characters'),
});

export const EnrollOutput = z.object({
  nodeId: z.string().uuid(),
  nodeName: z.string(),
  organizationId: z.string().uuid(),
  taskQueue: z.string(),
  temporalAddress: z.string().describe('the agent door: agents reach Temporal only through it'),
  temporalNamespace: z.string(),
  temporalTls: z.boolean().describe('the agent door speaks TLS'),
  temporalTlsServerCa: z
    .string()
    .optional()
    .describe(
      "the CA certificate (PEM) that signed the agent door's certificate, when it is a private CA: the agent trusts that CA alone for the door; absent: the machine's roots",
    ),
  temporalCredential: z
    .string()
    .describe('shown once: the agent sends it to the agent door as a bearer token on every call; only its SHA-256 is kept, and the next enrollment replaces it'),
  controlPlanePublicKey: z.string().describe('Ed25519, SPKI DER base64: verifies job envelopes'),
});
export type EnrollOutput = z.infer<typeof EnrollOutput>;

export const NodeIdentityOutput = z.object({
  id: z.string().uuid(),
  name: z.string(),
  organizationId: z.string().uuid(),
  status: z.enum(NODE_STATUSES),
  enrolledAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  agentKeyFingerprint: z.string().nullable().describe('first 16 hex digits of the SHA-256 of the agent public key'),
});
export type NodeIdentityOutput = z.infer<typeof NodeIdentityOutput>;

export const WhoamiOutput = z.object({
  nodeId: z.string().uuid(),
  name: z.string(),
  organizationId: z.string().uuid(),
  status: z.enum(NODE_STATUSES),
  revoked: z.boolean(),
  enrolledAt: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
});
export type WhoamiOutput = z.infer<typeof WhoamiOutput>;

// ------------------------------------------------------------------------------------------ helpers

export type NodeRow = typeof nodes.$inferSelect;
type TokenRow = typeof nodeEnrollmentTokens.$inferSelect;

const iso = (d: Date | null) => d?.toISOString() ?? null;
export const nodeTarget = (n: Pick<NodeRow, 'id' | 'organizationId'>) => ({ organizationId: n.organizationId, type: 'node', id: n.id });

const fingerprintOf = (key: string | null) => {
  if (!key) return null;
  try {
    return keyFingerprint(key);
  } catch {
    return null;
  }
};

function tokenState(t: TokenRow, now = new Date()): EnrollmentTokenOutput['state'] {
  if (t.usedAt) return 'used';
  if (t.revokedAt) return 'revoked';
  return t.expiresAt <= now ? 'expired' : 'outstanding';
}

const tokenOutput = (t: TokenRow, createdBy: string | null): EnrollmentTokenOutput => ({
  id: t.id,
  nodeId: t.nodeId,
  state: tokenState(t),
  createdBy,
  createdAt: t.createdAt.toISOString(),
  expiresAt: t.expiresAt.toISOString(),
  usedAt: iso(t.usedAt),
  revokedAt: iso(t.revokedAt),
});

const identityOutput = (n: NodeRow): NodeIdentityOutput => ({
  id: n.id,
  name: n.name,
  organizationId: n.organizationId,
  status: n.status,
  enrolledAt: iso(n.enrolledAt),
  revokedAt: iso(n.revokedAt),
  lastSeenAt: iso(n.lastSeenAt),
  agentKeyFingerprint: fingerprintOf(n.agentPublicKey),
});

/** The node row, or NotFound; the caller authorizes (which hides other organizations' nodes as NotFound). */
export async function findNode(db: Executor, id: string): Promise<NodeRow> {
  if (!isUuid(id)) throw new NotFoundError('node');
  const [row] = await db.select().from(nodes).where(eq(nodes.id, id)).limit(1);
  if (!row) throw new NotFoundError('node');
  return row;
}

// ------------------------------------------------------------------------------ enrollment tokens

/**
 * The command an operator runs on the machine to enroll it. It carries the fingerprint of the control
 * plane's key, which the agent checks against the key the server answers with (agent-worker/enroll-checks.ts).
 */
export const enrollCommand = (publicUrl: string, token: string, controlPlaneKeyFingerprint: string) =>
  `agent-worker enroll --server ${publicUrl} --token ${token} --control-plane-key ${controlPlaneKeyFingerprint}`;

/** Creates a one-time enrollment token for the node (MSP staff); the token is returned once, never stored. */
export async function createEnrollmentToken(ctx: ServiceContext, nodeId: string, input: unknown = {}): Promise<CreatedEnrollmentToken> {
  const node = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'node.enroll', nodeTarget(node));
  const { expiresInMinutes } = parseInput(CreateEnrollmentTokenInput, input ?? {});
  const issued = await issueEnrollmentToken(ctx.db, node, { createdBy: ctx.actor.userId, auditActor: auditActor(ctx.actor), expiresInMinutes });
  const fingerprint = keyFingerprint(controlPlanePublicKey());
  return { ...issued, command: enrollCommand(loadConfig().publicUrl, issued.token, fingerprint), controlPlaneKeyFingerprint: fingerprint };
}

/**
 * Stores a new token's hash for the node and audits it, in one transaction; the token itself is returned
 * once. For callers that have authorized already: the service above, and `npm start` enrolling its local
 * agent (which knows the control plane's key itself, in a process whose environment may not hold it).
 */
export async function issueEnrollmentToken(
  db: Db,
  node: NodeRow,
  by: {
    createdBy: string | null;
    auditActor: { actorType: 'person' | 'api_token' | 'system'; actorId?: string | null; actorLabel: string };
    expiresInMinutes: number;
  },
): Promise<Pick<CreatedEnrollmentToken, 'id' | 'token' | 'expiresAt'>> {
  const token = ENROLLMENT_TOKEN_PREFIX + encodeBase32LowerCaseNoPadding(crypto.randomBytes(32));
  const expiresAt = new Date(Date.now() + by.expiresInMinutes * 60_000);
  const row = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(nodeEnrollmentTokens)
      .values({ nodeId: node.id, tokenHash: hashToken(token), createdBy: by.createdBy, expiresAt })
      .returning();
    await recordAudit(tx, {
      ...by.auditActor,
      organizationId: node.organizationId,
      action: 'node.enrollment_token.create',
      targetType: 'node',
      targetId: node.id,
      outcome: 'success',
      reason: node.revokedAt
        ? 'the node is revoked: enrolling with this token registers a new agent key and clears the revocation'
        : node.agentPublicKey
          ? 'the node has an agent: enrolling with this token replaces its key'
          : null,
      details: { nodeName: node.name, enrollmentId: created!.id, expiresAt: expiresAt.toISOString(), expiresInMinutes: by.expiresInMinutes },
    });
    return created!;
  });
  return { id: row.id, token, expiresAt: row.expiresAt.toISOString() };
}

/** Every enrollment token of the node, newest first (never their values). */
export async function listEnrollmentTokens(ctx: ServiceContext, nodeId: string): Promise<EnrollmentTokenOutput[]> {
  const node = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'node.enroll', nodeTarget(node));
  const rows = await ctx.db
    .select({ token: nodeEnrollmentTokens, createdBy: users.email })
    .from(nodeEnrollmentTokens)
    .leftJoin(users, eq(users.id, nodeEnrollmentTokens.createdBy))
    .where(eq(nodeEnrollmentTokens.nodeId, node.id))
    .orderBy(desc(nodeEnrollmentTokens.createdAt), desc(nodeEnrollmentTokens.id));
  return rows.map((r) => tokenOutput(r.token, r.createdBy));
}

/** Withdraws an unused token. */
export async function revokeEnrollmentToken(ctx: ServiceContext, tokenId: string): Promise<EnrollmentTokenOutput> {
  if (!isUuid(tokenId)) throw new NotFoundError('enrollment token');
  const [found] = await ctx.db
    .select({ token: nodeEnrollmentTokens, node: nodes })
    .from(nodeEnrollmentTokens)
    .innerJoin(nodes, eq(nodes.id, nodeEnrollmentTokens.nodeId))
    .where(eq(nodeEnrollmentTokens.id, tokenId))
    .limit(1);
  if (!found) throw new NotFoundError('enrollment token');
  await authorize(ctx, 'node.enroll', { ...nodeTarget(found.node), type: 'node_enrollment_token', id: tokenId });
  const row = await ctx.db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(nodeEnrollmentTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(nodeEnrollmentTokens.id, tokenId), isNull(nodeEnrollmentTokens.usedAt), isNull(nodeEnrollmentTokens.revokedAt)))
      .returning();
    if (!revoked) {
      const state = tokenState(found.token);
      throw new ConflictError(
        'id',
        state === 'used' ? 'This enrollment token was already used; revoke the node instead to cut its agent off.' : 'This enrollment token was already revoked.',
      );
    }
    await recordSuccess(tx, ctx.actor, 'node.enrollment_token.revoke', auditTarget('node', found.node), { nodeName: found.node.name, enrollmentId: tokenId });
    return revoked;
  });
  const [creator] = row.createdBy ? await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, row.createdBy)) : [];
  return tokenOutput(row, creator?.email ?? null);
}

// -------------------------------------------------------------------------------------- enrollment

export const ENROLL_REFUSALS = {
  unknown: 'This enrollment token is not valid (unknown or mistyped); create a new enrollment command in the console.',
  used: 'This enrollment token was already used; create a new enrollment command in the console.',
  revoked: 'This enrollment token was revoked; create a new enrollment command in the console.',
  expired: (at: Date) => `This enrollment token expired at ${at.toISOString()}; create a new enrollment command in the console.`,
  rateLimited: 'Too many failed enrollment attempts from this address; wait 15 minutes and try again.',
} as const;

async function enrollFailuresFrom(tx: Executor, ip: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, 'node.enroll'),
        eq(auditEvents.outcome, 'failure'),
        gt(auditEvents.at, new Date(Date.now() - ENROLL_WINDOW_MS)),
        sql`${auditEvents.details}->>'ip' = ${ip}`,
      ),
    );
  return row!.n;
}

/**
 * An agent enrolls (public: the one-time token is its credential). Refusals name the field (`token`,
 * `publicKey`) and are audited; failures from one address are throttled (counted from the audit trail).
 */
export async function enrollAgent(db: Db, input: unknown, client: { ip: string } = { ip: 'unknown' }): Promise<EnrollOutput> {
  const { token, publicKey, hostname, agentVersion } = parseInput(EnrollInput, input);
  let fingerprint: string;
  try {
    fingerprint = keyFingerprint(publicKey);
  } catch (err) {
    throw new InvalidInputError({ publicKey: `publicKey must be an Ed25519 public key, SPKI DER in base64 (${(err as Error).message})` });
  }
  const config = loadConfig();
  const serverKey = controlPlanePublicKey();
  const agentLabel = `agent on ${hostname}`;
  const credential = AGENT_CREDENTIAL_PREFIX + encodeBase32LowerCaseNoPadding(crypto.randomBytes(32));
  const details = { ip: client.ip, hostname, agentVersion, publicKeyFingerprint: fingerprint };

  const outcome = await withLocks(db, [`enroll:address:${client.ip}`], async (tx): Promise<{ refused: AppError } | { node: NodeRow; before: NodeRow }> => {
    if ((await enrollFailuresFrom(tx, client.ip)) >= MAX_ENROLL_FAILURES_PER_ADDRESS) {
      await recordAudit(tx, { actorType: 'agent', actorLabel: agentLabel, action: 'node.enroll', outcome: 'denied', reason: 'rate limited per address', details });
      return { refused: new AppError(429, 'Too Many Requests', ENROLL_REFUSALS.rateLimited) };
    }
    const refuse = async (why: keyof typeof ENROLL_REFUSALS, found?: { token: TokenRow; node: NodeRow }) => {
      await recordAudit(tx, {
        actorType: 'agent',
        actorId: found?.node.id ?? null,
        actorLabel: agentLabel,
        organizationId: found?.node.organizationId ?? null,
        action: 'node.enroll',
        targetType: found ? 'node' : null,
        targetId: found?.node.id ?? null,
        outcome: 'failure',
        reason: `enrollment token ${why}`,
        details: { ...details, enrollmentId: found?.token.id ?? null },
      });
      const message = why === 'expired' ? ENROLL_REFUSALS.expired(found!.token.expiresAt) : ENROLL_REFUSALS[why as 'unknown' | 'used' | 'revoked'];
      return { refused: new InvalidInputError({ token: message }) };
    };

    const [found] = await tx
      .select({ token: nodeEnrollmentTokens, node: nodes })
      .from(nodeEnrollmentTokens)
      .innerJoin(nodes, eq(nodes.id, nodeEnrollmentTokens.nodeId))
      .where(eq(nodeEnrollmentTokens.tokenHash, hashToken(token)))
      .limit(1);
    if (!found) return refuse('unknown');
    const now = new Date();
    const state = tokenState(found.token, now);
    if (state !== 'outstanding') return refuse(state, found);

    // The node first, then the token: the same order as revokeNode, so the two cannot deadlock.
    const [before] = await tx.select().from(nodes).where(eq(nodes.id, found.node.id)).for('update');
    // Conditional: of two enrollments with one token, only the first to commit claims it.
    const [claimed] = await tx
      .update(nodeEnrollmentTokens)
      .set({ usedAt: now })
      .where(and(eq(nodeEnrollmentTokens.id, found.token.id), isNull(nodeEnrollmentTokens.usedAt), isNull(nodeEnrollmentTokens.revokedAt), gt(nodeEnrollmentTokens.expiresAt, now)))
      .returning();
    if (!claimed || !before) {
      // Another enrollment (or a revocation) got there first: say which.
      const [current] = await tx.select().from(nodeEnrollmentTokens).where(eq(nodeEnrollmentTokens.id, found.token.id));
      const latest = current ? tokenState(current, now) : 'revoked';
      return refuse(latest === 'outstanding' ? 'used' : latest, { token: current ?? found.token, node: found.node });
    }

    const [node] = await tx
      .update(nodes)
      .set({
        agentPublicKey: publicKey,
        agentCredentialHash: hashToken(credential),
        enrolledAt: now,
        revokedAt: null,
        updatedAt: now,
        // Still 'pending' until its first heartbeat; a revoked node comes back as pending.
        ...(before.status === 'revoked' ? { status: 'pending' as const } : {}),
      })
      .where(eq(nodes.id, before.id))
      .returning();
    const withdrawn = await tx
      .update(nodeEnrollmentTokens)
      .set({ revokedAt: now })
      .where(and(eq(nodeEnrollmentTokens.nodeId, before.id), ne(nodeEnrollmentTokens.id, claimed.id), isNull(nodeEnrollmentTokens.usedAt), isNull(nodeEnrollmentTokens.revokedAt)))
      .returning({ id: nodeEnrollmentTokens.id });
    if (before.agentCredentialHash) await closeDoorOf(tx, before.id); // the previous agent's credential
    await recordAudit(tx, {
      actorType: 'agent',
      actorId: before.id,
      actorLabel: agentLabel,
      organizationId: before.organizationId,
      action: 'node.enroll',
      targetType: 'node',
      targetId: before.id,
      outcome: 'success',
      reason: before.revokedAt
        ? 're-enrolled with a new token after revocation: the revocation is cleared'
        : before.agentPublicKey
          ? 're-enrolled: the previous agent key is replaced'
          : null,
      details: {
        ...details,
        nodeName: before.name,
        enrollmentId: claimed.id,
        withdrawnEnrollments: withdrawn.length,
        previousKeyFingerprint: fingerprintOf(before.agentPublicKey),
        wasRevoked: Boolean(before.revokedAt),
      },
    });
    return { node: node!, before };
  });
  if ('refused' in outcome) throw outcome.refused;
  const { node } = outcome;
  const serverCa = doorServerCa(config);
  return {
    nodeId: node.id,
    nodeName: node.name,
    organizationId: node.organizationId,
    taskQueue: nodeTaskQueue(node.id),
    temporalAddress: config.agentDoorAddress,
    temporalNamespace: config.TEMPORAL_NAMESPACE,
    temporalTls: Boolean(config.AGENT_DOOR_TLS_CERT_FILE),
    // Public data, and this answer comes over the https the agent already checked (agent-worker enroll).
    ...(serverCa ? { temporalTlsServerCa: serverCa } : {}),
    temporalCredential: credential,
    controlPlanePublicKey: serverKey,
  };
}

// ------------------------------------------------------------------------------------- revocation

/**
 * Cuts the node's agent off (MSP staff): its signed requests, jobs and heartbeats are refused from now on,
 * and the agent door refuses its credential, its polls in flight included, as soon as this commits.
 */
export async function revokeNode(ctx: ServiceContext, nodeId: string): Promise<NodeIdentityOutput> {
  const found = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'node.revoke', nodeTarget(found));
  const node = await ctx.db.transaction(async (tx) => {
    const now = new Date();
    const [revoked] = await tx
      .update(nodes)
      .set({ revokedAt: now, status: 'revoked', updatedAt: now })
      .where(and(eq(nodes.id, found.id), isNull(nodes.revokedAt)))
      .returning();
    if (!revoked) throw new ConflictError('id', `Node ${found.name} is already revoked; create an enrollment command to enroll it again.`);
    await closeDoorOf(tx, found.id);
    const withdrawn = await tx
      .update(nodeEnrollmentTokens)
      .set({ revokedAt: now })
      .where(and(eq(nodeEnrollmentTokens.nodeId, found.id), isNull(nodeEnrollmentTokens.usedAt), isNull(nodeEnrollmentTokens.revokedAt)))
      .returning({ id: nodeEnrollmentTokens.id });
    await recordSuccess(tx, ctx.actor, 'node.revoke', auditTarget('node', found), {
      nodeName: found.name,
      previousStatus: found.status,
      hadAgent: Boolean(found.agentPublicKey),
      agentKeyFingerprint: fingerprintOf(found.agentPublicKey),
      withdrawnEnrollments: withdrawn.length,
    });
    return revoked;
  });
  return identityOutput(node);
}

/** The node's identity as the console shows it (anyone who may see the node). */
export async function getNodeIdentity(ctx: ServiceContext, nodeId: string): Promise<NodeIdentityOutput> {
  const node = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'node.view', nodeTarget(node));
  return identityOutput(node);
}

// ------------------------------------------------------------------------------- agent requests

/** Verifies an agent-signed request against the node's registered key (used by api/router.ts). */
export function authenticateAgent(
  db: Db,
  request: { headers: Record<string, string | string[] | undefined>; method: string; path: string; body: Uint8Array | undefined },
): Promise<SignedRequestVerdict> {
  return verifySignedRequest(request.headers, {
    method: request.method,
    path: request.path,
    body: request.body,
    publicKeyOf: async (nodeId) => {
      if (!isUuid(nodeId)) return null;
      const [row] = await db.select({ publicKey: nodes.agentPublicKey, revokedAt: nodes.revokedAt }).from(nodes).where(eq(nodes.id, nodeId)).limit(1);
      return row ? { publicKey: row.publicKey, revoked: row.revokedAt !== null } : null;
    },
  });
}

/** Who the calling agent is, as the control plane sees it. */
export async function whoami(ctx: AgentContext): Promise<WhoamiOutput> {
  const [n] = await ctx.db.select().from(nodes).where(eq(nodes.id, ctx.agent.nodeId)).limit(1);
  if (!n) throw new NotFoundError('node');
  return {
    nodeId: n.id,
    name: n.name,
    organizationId: n.organizationId,
    status: n.status,
    revoked: n.revokedAt !== null,
    enrolledAt: iso(n.enrolledAt),
    lastSeenAt: iso(n.lastSeenAt),
  };
}
