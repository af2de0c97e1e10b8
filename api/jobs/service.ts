// Jobs: deployments (and later lifecycle actions) as the console and the API see them. Requesting one
// starts its workflow; approving, rejecting and cancelling are Temporal Updates on that run, whose
// validators have the last word (phrase, role, expiry, self-approval). The job's record in Postgres is
// kept by the workflow's own activities (activities/jobs.ts); these functions only read it.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { OPENCLAW_BUNDLE } from '../../agent-worker/openclaw/bundle.ts';
import { recordAudit } from '../../db/audit.ts';
import { instances, JOB_STATES, jobs, nodes, organizations, users, type JobState } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import type { AdoptOpenClawInput, adoptOpenClaw } from '../../workflows/adopt-openclaw.ts';
import type { checkBundle, CheckBundleInput } from '../../workflows/check-bundle.ts';
import type { DeployOpenClawInput, deployOpenClaw } from '../../workflows/deploy-openclaw.ts';
import type { changeInstance, ChangeInstanceInput, checkInstanceHealth, InstanceTarget, restartGateway, RestartGatewayInput } from '../../workflows/instance-actions.ts';
import { findNode, nodeTarget } from '../agents/service.ts';
import { auditActor, authorize, isMspStaff, type ServiceContext } from '../authz.ts';
import { ConflictError, InvalidInputError, NotFoundError, parseInput, UnavailableError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { afterCursor, PageQuery, toPage } from '../pagination.ts';
import { runActivities, type ActivitySummary } from './run-history.ts';
import { controlPlaneTaskQueue, getTemporalClient, workflowRunUrl } from '../temporal-client.ts';

export const APPROVER_ROLES = ['msp_admin', 'msp_operator'];
const ACTIVE: JobState[] = ['preflight', 'waiting_for_approval', 'running'];
export const deployPhrase = (nodeName: string) => `deploy openclaw to ${nodeName}`;

export const InstanceName = z.string('instanceName is required').trim()
  .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'instanceName must be 1-40 lower-case letters, digits or hyphens, starting and ending with a letter or digit');
export const RequestDeploymentInput = z.object({
  nodeId: z.string('nodeId is required').uuid('nodeId must be a UUID'),
  /** Whose instance it is: the node's organization by default; a shared-infrastructure node may host a customer's. */
  organizationId: z.string('organizationId must be the id of an organization').uuid('organizationId must be a UUID').optional(),
  instanceName: InstanceName,
  port: z.coerce.number('port must be a number').int('port must be a whole number').min(1024, 'port must be 1024-65535').max(65535, 'port must be 1024-65535')
    .default(OPENCLAW_BUNDLE.gatewayPort),
});
export const ListJobsQuery = PageQuery.extend({
  state: z.enum(JOB_STATES, `state must be one of: ${JOB_STATES.join(', ')}`).optional(),
  organizationId: z.string().uuid('organizationId must be a UUID').optional(),
  nodeId: z.string().uuid('nodeId must be a UUID').optional(),
});
export const DecisionInput = z.object({ reason: z.string().trim().max(500, 'reason must be at most 500 characters').optional() });
export const ApproveInput = z.object({ phrase: z.string('phrase is required').min(1, 'phrase is required').max(200, 'phrase is too long') });

export const JobOutput = z.object({
  id: z.string(), type: z.string(), state: z.enum(JOB_STATES), step: z.string().nullable(),
  organizationId: z.string(), organizationName: z.string(), nodeId: z.string(), nodeName: z.string(), instanceId: z.string().nullable(),
  params: z.record(z.string(), z.unknown()), requestedBy: z.string().nullable(),
  approvalPhrase: z.string().nullable(), approvalExpiresAt: z.string().nullable(),
  approvals: z.array(z.object({ at: z.string(), by: z.string(), role: z.string(), via: z.string(), outcome: z.string(), reason: z.string().optional() })),
  failureReason: z.string().nullable(), result: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(), updatedAt: z.string(), completedAt: z.string().nullable(), durationSeconds: z.number().nullable(),
  workflowId: z.string(), temporalUrl: z.string(),
});
export type JobOutput = z.infer<typeof JobOutput>;

function selectJobs(ctx: ServiceContext) {
  return ctx.db.select({ job: jobs, organizationName: organizations.name, nodeName: nodes.name, requester: users.email }).from(jobs)
    .innerJoin(organizations, eq(organizations.id, jobs.organizationId))
    .innerJoin(nodes, eq(nodes.id, jobs.nodeId))
    .leftJoin(users, eq(users.id, jobs.requestedBy));
}
type JobRow = Awaited<ReturnType<ReturnType<typeof selectJobs>['execute']>>[number];
const iso = (d: Date | null) => d?.toISOString() ?? null;
const toOutput = ({ job: j, organizationName, nodeName, requester }: JobRow): JobOutput => ({
  id: j.id, type: j.type, state: j.state, step: j.step, organizationId: j.organizationId, organizationName, nodeId: j.nodeId, nodeName,
  instanceId: j.instanceId, params: j.params, requestedBy: requester, approvalPhrase: j.approvalPhrase, approvalExpiresAt: iso(j.approvalExpiresAt),
  approvals: j.approvals, failureReason: j.failureReason, result: j.result, createdAt: j.createdAt.toISOString(), updatedAt: j.updatedAt.toISOString(),
  completedAt: iso(j.completedAt), durationSeconds: j.completedAt ? Math.round((j.completedAt.getTime() - j.createdAt.getTime()) / 100) / 10 : null,
  workflowId: j.workflowId, temporalUrl: workflowRunUrl(j.workflowId, j.runId),
});
const jobTarget = (j: { id: string; organizationId: string }) => ({ organizationId: j.organizationId, type: 'job', id: j.id });

async function findVisible(ctx: ServiceContext, id: string): Promise<JobRow> {
  if (!isUuid(id)) throw new NotFoundError('job');
  const [row] = await selectJobs(ctx).where(eq(jobs.id, id)).limit(1);
  if (!row) throw new NotFoundError('job');
  await authorize(ctx, 'job.view', jobTarget(row.job));
  return row;
}

export async function getJob(ctx: ServiceContext, id: string): Promise<JobOutput> {
  return toOutput(await findVisible(ctx, id));
}

/** What the job's run did, activity by activity (attempts, timeouts, last outcome), from its Temporal history. */
export async function getJobActivities(ctx: ServiceContext, id: string): Promise<{ history: 'available' | 'gone'; activities: ActivitySummary[] }> {
  const { job } = await findVisible(ctx, id);
  const client = await getTemporalClient().catch(() => null);
  const activities = client && await runActivities(client, job.workflowId, job.runId);
  if (!activities) throw new UnavailableError('Temporal is not reachable: the run\'s attempts and timeouts cannot be read right now.');
  return activities === 'gone' ? { history: 'gone', activities: [] } : { history: 'available', activities };
}

export async function listJobs(ctx: ServiceContext, query: unknown) {
  const q = parseInput(ListJobsQuery, query ?? {});
  const organizationId = q.organizationId ?? (isMspStaff(ctx.actor) ? undefined : ctx.actor.organizationId);
  await authorize(ctx, 'job.view', { organizationId: organizationId ?? ctx.actor.organizationId, type: 'organization', id: organizationId });
  const rows = await selectJobs(ctx).where(and(
    organizationId ? eq(jobs.organizationId, organizationId) : undefined,
    q.nodeId ? eq(jobs.nodeId, q.nodeId) : undefined,
    q.state ? eq(jobs.state, q.state) : undefined,
    afterCursor(q.cursor, jobs.createdAt, jobs.id, 'desc'),
  )).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(q.limit + 1);
  const page = toPage(rows, q.limit, (r) => ({ at: r.job.createdAt.toISOString(), id: r.job.id }));
  return { items: page.items.map(toOutput), nextCursor: page.nextCursor };
}

/** Starts an approval-gated deployment of the OpenClaw bundle to a node. */
export async function requestDeployment(ctx: ServiceContext, input: unknown): Promise<JobOutput> {
  const raw = (input ?? {}) as { nodeId?: unknown };
  if (typeof raw.nodeId === 'string' && isUuid(raw.nodeId)) {
    // Authorize before validating the rest: another organization's node must look like a missing one.
    await authorize(ctx, 'instance.deploy', nodeTarget(await findNode(ctx.db, raw.nodeId)));
  }
  const { nodeId, instanceName, port, organizationId } = parseInput(RequestDeploymentInput, input ?? {});
  const node = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'instance.deploy', nodeTarget(node));
  const owner = await instanceOwner(ctx, node, organizationId);
  if (node.revokedAt) throw new ConflictError('nodeId', `Node ${node.name} is revoked: it takes no jobs until its agent is enrolled again.`);
  if (!node.agentPublicKey) throw new ConflictError('nodeId', `Node ${node.name} has no enrolled agent yet: enroll it first.`);
  const [sameName] = await ctx.db.select({ id: instances.id }).from(instances).where(and(eq(instances.nodeId, node.id), eq(instances.name, instanceName)));
  const active = await ctx.db.select({ params: jobs.params }).from(jobs).where(and(eq(jobs.nodeId, node.id), inArray(jobs.state, ACTIVE)));
  if (sameName || active.some((j) => j.params.instanceName === instanceName)) {
    throw new ConflictError('instanceName', `An instance named "${instanceName}" already exists on ${node.name} (or is being deployed).`);
  }
  const [samePort] = await ctx.db.select({ name: instances.name }).from(instances)
    .where(and(eq(instances.nodeId, node.id), eq(instances.state, 'managed'), eq(instances.port, port)));
  if (samePort || active.some((j) => j.params.port === port)) {
    throw new ConflictError('port', `Port ${port} is already taken on ${node.name} by ${samePort ? `instance ${samePort.name}` : 'another deployment'}; choose another.`);
  }

  const config = loadConfig();
  const jobId = crypto.randomUUID();
  const instanceId = crypto.randomUUID();
  const phrase = deployPhrase(node.name);
  const args: DeployOpenClawInput = {
    jobId, nodeId: node.id, instanceId, instanceName, port, ...(await approvalTerms(ctx, owner.id, phrase, config)),
    nodeWaitSeconds: config.NODE_WAIT_SECONDS, healthTimeoutSeconds: 180,
  };
  return startJob<typeof deployOpenClaw>(ctx, {
    id: jobId, type: 'deploy_openclaw', node, organizationId: owner.id, instanceId, params: { instanceName, port, ...(owner.id !== node.organizationId ? { organizationName: owner.name } : {}) }, phrase, workflowType: 'deployOpenClaw', args,
  });
}

/**
 * The organization a new instance on `node` belongs to: the node's own, or, on the MSP's shared
 * infrastructure, the customer it is hosted for. A customer's machine hosts only that customer's.
 */
async function instanceOwner(ctx: ServiceContext, node: { name: string; organizationId: string }, organizationId: string | undefined) {
  const [nodeOrg] = await ctx.db.select().from(organizations).where(eq(organizations.id, node.organizationId));
  if (!organizationId || organizationId === node.organizationId) return nodeOrg!;
  const [chosen] = await ctx.db.select().from(organizations).where(eq(organizations.id, organizationId));
  if (!chosen) throw new InvalidInputError({ organizationId: 'organizationId is not an organization' });
  await authorize(ctx, 'instance.deploy', { organizationId: chosen.id, type: 'organization', id: chosen.id });
  if (chosen.archivedAt) throw new ConflictError('organizationId', `${chosen.name} is archived: it gets no new instances.`);
  if (nodeOrg!.kind !== 'msp') {
    throw new ConflictError('organizationId', `Node ${node.name} is ${nodeOrg!.name}'s machine: it hosts only ${nodeOrg!.name}'s instances.`);
  }
  return chosen;
}

/** Starts an approval-gated takeover of a discovered instance: it becomes managed, exactly as it runs. */
export async function requestTakeover(ctx: ServiceContext, instanceId: string): Promise<JobOutput> {
  if (!isUuid(instanceId)) throw new NotFoundError('instance');
  const [instance] = await ctx.db.select().from(instances).where(eq(instances.id, instanceId));
  if (!instance) throw new NotFoundError('instance');
  await authorize(ctx, 'instance.adopt', { organizationId: instance.organizationId, type: 'instance', id: instance.id });
  if (instance.state !== 'discovered') throw new ConflictError('id', `Instance ${instance.name} is already managed.`);
  const node = await findNode(ctx.db, instance.nodeId);
  if (node.revokedAt || !node.agentPublicKey) throw new ConflictError('id', `Node ${node.name} has no working agent: it cannot read the instance's containers.`);
  const [active] = await ctx.db.select({ id: jobs.id }).from(jobs).where(and(eq(jobs.instanceId, instance.id), inArray(jobs.state, ACTIVE)));
  if (active) throw new ConflictError('id', `A takeover of ${instance.name} is already under way (job ${active.id}).`);
  const config = loadConfig();
  const jobId = crypto.randomUUID();
  const phrase = `adopt ${instance.name} on ${node.name}`;
  const args: AdoptOpenClawInput = {
    jobId, nodeId: node.id, instanceId: instance.id, instanceName: instance.name, containerIds: instance.containerIds,
    ...(await approvalTerms(ctx, instance.organizationId, phrase, config)), nodeWaitSeconds: config.NODE_WAIT_SECONDS,
  };
  return startJob<typeof adoptOpenClaw>(ctx, {
    id: jobId, type: 'adopt_openclaw', node, organizationId: instance.organizationId, instanceId: instance.id, params: { instanceName: instance.name }, phrase, workflowType: 'adoptOpenClaw', args,
  });
}

/** A managed instance the actor may act on, with what the node needs to find its containers. */
async function managedTarget(ctx: ServiceContext, instanceId: string, permission: 'instance.restart' | 'instance.check' | 'instance.change') {
  if (!isUuid(instanceId)) throw new NotFoundError('instance');
  const [instance] = await ctx.db.select().from(instances).where(eq(instances.id, instanceId));
  if (!instance) throw new NotFoundError('instance');
  await authorize(ctx, permission, { organizationId: instance.organizationId, type: 'instance', id: instance.id });
  if (instance.state !== 'managed') throw new ConflictError('id', `Instance ${instance.name} is not managed yet: take it over first.`);
  if (!instance.port || !instance.containerIds[0]) throw new ConflictError('id', `Instance ${instance.name} has no known gateway container or port.`);
  const node = await findNode(ctx.db, instance.nodeId);
  if (node.revokedAt || !node.agentPublicKey) throw new ConflictError('id', `Node ${node.name} has no working agent.`);
  const [active] = await ctx.db.select({ id: jobs.id, type: jobs.type }).from(jobs).where(and(eq(jobs.instanceId, instance.id), inArray(jobs.state, ACTIVE)));
  if (active && active.type !== 'health_check') throw new ConflictError('id', `Another job on ${instance.name} is under way (job ${active.id}); wait for it to end.`);
  return { instance, node };
}

const targetOf = (jobId: string, instance: typeof instances.$inferSelect, nodeWaitSeconds: number): InstanceTarget => ({
  jobId, nodeId: instance.nodeId, instanceId: instance.id, gatewayId: instance.containerIds[0]!,
  ...(instance.containerIds[1] ? { cliId: instance.containerIds[1] } : {}), port: instance.port!, nodeWaitSeconds,
});

/** Checks a managed instance's health now (no approval: it only reads). */
export async function requestHealthCheck(ctx: ServiceContext, instanceId: string): Promise<JobOutput> {
  const { instance, node } = await managedTarget(ctx, instanceId, 'instance.check');
  const jobId = crypto.randomUUID();
  return startJob<typeof checkInstanceHealth>(ctx, {
    id: jobId, type: 'health_check', node, organizationId: instance.organizationId, instanceId: instance.id, params: { instanceName: instance.name }, phrase: null,
    workflowType: 'checkInstanceHealth', args: targetOf(jobId, instance, loadConfig().NODE_WAIT_SECONDS),
  });
}

/** Restarts a managed instance's gateway after a typed approval; the job reports the downtime. */
export async function requestRestart(ctx: ServiceContext, instanceId: string): Promise<JobOutput> {
  const { instance, node } = await managedTarget(ctx, instanceId, 'instance.restart');
  const config = loadConfig();
  const jobId = crypto.randomUUID();
  const phrase = `restart ${instance.name} on ${node.name}`;
  const args: RestartGatewayInput = { ...targetOf(jobId, instance, config.NODE_WAIT_SECONDS), ...(await approvalTerms(ctx, instance.organizationId, phrase, config)), healthTimeoutSeconds: 180 };
  return startJob<typeof restartGateway>(ctx, {
    id: jobId, type: 'restart_gateway', node, organizationId: instance.organizationId, instanceId: instance.id, params: { instanceName: instance.name }, phrase, workflowType: 'restartGateway', args,
  });
}

export const ChangeInstanceBody = z.object({ removeVolumes: z.boolean('removeVolumes must be true or false').default(false) });
const CHANGE_JOB = { stop: 'stop_instance', start: 'start_instance', remove: 'remove_instance' } as const;

/** Stops, starts or removes a managed instance after its typed approval (remove keeps the data unless asked). */
export async function requestInstanceChange(ctx: ServiceContext, instanceId: string, change: 'stop' | 'start' | 'remove', input: unknown = {}): Promise<JobOutput> {
  const { instance, node } = await managedTarget(ctx, instanceId, 'instance.change');
  const { removeVolumes } = parseInput(ChangeInstanceBody, input ?? {});
  const config = loadConfig();
  const jobId = crypto.randomUUID();
  const phrase = change === 'remove' && removeVolumes ? `remove ${instance.name} and its data on ${node.name}` : `${change} ${instance.name} on ${node.name}`;
  const args: ChangeInstanceInput = {
    ...targetOf(jobId, instance, config.NODE_WAIT_SECONDS), ...(await approvalTerms(ctx, instance.organizationId, phrase, config)), change, removeVolumes: change === 'remove' && removeVolumes, healthTimeoutSeconds: 180,
  };
  return startJob<typeof changeInstance>(ctx, {
    id: jobId, type: CHANGE_JOB[change], node, organizationId: instance.organizationId, instanceId: instance.id, params: { instanceName: instance.name, ...(change === 'remove' ? { removeVolumes } : {}) },
    phrase, workflowType: 'changeInstance', args,
  });
}

/** Checks the OpenClaw bundle on a node: image present or built, version, size, a throw-away gateway answering. */
export async function requestBundleCheck(ctx: ServiceContext, nodeId: unknown): Promise<JobOutput> {
  if (typeof nodeId !== 'string' || !isUuid(nodeId)) throw new InvalidInputError({ nodeId: 'nodeId must be the id of a node' });
  const node = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'system.readiness_check.start', nodeTarget(node));
  if (node.revokedAt || !node.agentPublicKey) throw new ConflictError('nodeId', `Node ${node.name} has no working agent to check the bundle with.`);
  const jobId = crypto.randomUUID();
  const args: CheckBundleInput = { jobId, nodeId: node.id, nodeWaitSeconds: loadConfig().NODE_WAIT_SECONDS };
  return startJob<typeof checkBundle>(ctx, {
    id: jobId, type: 'bundle_check', node, organizationId: node.organizationId, instanceId: null, params: { version: OPENCLAW_BUNDLE.version }, phrase: null, workflowType: 'checkBundle', args,
  });
}

/** The newest bundle check of each node that had one (for the System page). */
export async function latestBundleChecks(ctx: ServiceContext): Promise<JobOutput[]> {
  await authorize(ctx, 'system.view');
  const rows = await selectJobs(ctx).where(eq(jobs.type, 'bundle_check')).orderBy(desc(jobs.createdAt)).limit(50);
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.job.nodeId) && seen.add(r.job.nodeId)).map(toOutput);
}

/** Who may approve, by when, and what to type: the same terms for every approval-gated job. */
async function approvalTerms(ctx: ServiceContext, organizationId: string, phrase: string, config: ReturnType<typeof loadConfig>) {
  const [org] = await ctx.db.select({ forbidSelfApproval: organizations.forbidSelfApproval }).from(organizations).where(eq(organizations.id, organizationId));
  return {
    requestedBy: { userId: ctx.actor.userId, email: ctx.actor.email, role: ctx.actor.role },
    approvalPhrase: phrase, approverRoles: APPROVER_ROLES, forbidSelfApproval: org?.forbidSelfApproval ?? false,
    approvalTimeoutSeconds: Math.round(config.APPROVAL_TIMEOUT_HOURS * 3600),
  };
}

/** Records the job and its request (audited), then starts its run; a run Temporal refuses fails the job. */
async function startJob<W extends (...args: never[]) => Promise<unknown>>(ctx: ServiceContext, job: {
  id: string; type: (typeof jobs.$inferInsert)['type']; node: { id: string; name: string; organizationId: string }; instanceId: string | null;
  /** Whose job it is: the instance's organization (which may be a customer hosted on a shared-infrastructure node), else the node's. */
  organizationId: string;
  params: Record<string, unknown>; phrase: string | null; workflowType: string; args: Parameters<W>[0];
}): Promise<JobOutput> {
  const workflowId = `${job.type.replaceAll('_', '-')}-${job.id}`;
  await ctx.db.transaction(async (tx) => {
    await tx.insert(jobs).values({
      id: job.id, type: job.type, organizationId: job.organizationId, nodeId: job.node.id, instanceId: job.instanceId, params: job.params,
      workflowId, requestedBy: ctx.actor.userId, state: 'preflight', step: 'starting', approvalPhrase: job.phrase,
    });
    await recordAudit(tx, {
      ...auditActor(ctx.actor), organizationId: job.organizationId, action: 'job.request', targetType: 'job', targetId: job.id, outcome: 'success',
      details: { type: job.type, nodeId: job.node.id, nodeName: job.node.name, ...job.params },
    });
  });
  try {
    const handle = await (await getTemporalClient()).workflow.start(job.workflowType, {
      taskQueue: controlPlaneTaskQueue(), workflowId, args: [job.args],
    });
    await ctx.db.update(jobs).set({ runId: handle.firstExecutionRunId }).where(eq(jobs.id, job.id));
  } catch (err) {
    await ctx.db.update(jobs).set({ state: 'failed', step: null, failureReason: `Temporal did not accept the run: ${(err as Error).message}`, completedAt: new Date() })
      .where(eq(jobs.id, job.id));
    throw new UnavailableError('The job could not be started: Temporal is not reachable. Try again shortly.');
  }
  return getJob(ctx, job.id);
}

type Decision = 'approve' | 'reject' | 'cancel';

async function decide(ctx: ServiceContext, id: string, decision: Decision, args: Record<string, unknown>): Promise<JobOutput> {
  const row = await findVisible(ctx, id);
  await authorize(ctx, decision === 'cancel' ? 'job.cancel' : 'job.approve', jobTarget(row.job));
  if (!ACTIVE.includes(row.job.state)) throw new ConflictError('id', `This job is ${row.job.state.replaceAll('_', ' ')}: there is nothing to ${decision}.`);
  if (decision !== 'cancel' && row.job.state !== 'waiting_for_approval') throw new ConflictError('id', 'This job is not waiting for an approval.');
  if (row.job.state === 'running') throw new ConflictError('id', 'This job is already changing the machine: it cannot be cancelled halfway. Wait for it to finish.');
  const person = { userId: ctx.actor.userId, email: ctx.actor.email, role: ctx.actor.role };
  const client = await getTemporalClient().catch(() => { throw new UnavailableError('Temporal is not reachable. Try again shortly.'); });
  if (row.job.state === 'preflight') {
    // Before the approval wait there is no handler yet: cancel the run itself (it records 'cancelled').
    await client.workflow.getHandle(row.job.workflowId).cancel();
    await recordAudit(ctx.db, { ...auditActor(ctx.actor), organizationId: row.job.organizationId, action: 'job.cancel', targetType: 'job', targetId: row.job.id, outcome: 'success', reason: (args.reason as string | undefined) ?? null });
    return waitForState(ctx, id, (s) => !ACTIVE.includes(s));
  }
  try {
    await client.workflow.getHandle(row.job.workflowId).executeUpdate(decision, {
      args: [decision === 'approve' ? { phrase: args.phrase, approver: person } : { by: person, reason: args.reason }],
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const message = err.cause?.message ?? err.message;
      // The validator refused: nothing was recorded in the run. Say why, on the field it concerns.
      if (decision === 'approve' && /phrase/i.test(message)) throw new InvalidInputError({ phrase: message }, message);
      throw new ConflictError('id', message);
    }
    throw err;
  }
  return waitForState(ctx, id, (s) => s !== 'waiting_for_approval');
}

/** The workflow records a decision in its own step: wait briefly, so the answer already shows it. */
async function waitForState(ctx: ServiceContext, id: string, done: (state: JobState) => boolean): Promise<JobOutput> {
  for (let i = 0; i < 30; i++) {
    const now = await findVisible(ctx, id);
    if (done(now.job.state)) return toOutput(now);
    await new Promise((r) => setTimeout(r, 100));
  }
  return getJob(ctx, id);
}

export const approveJob = (ctx: ServiceContext, id: string, input: unknown) => decide(ctx, id, 'approve', parseInput(ApproveInput, input ?? {}));
export const rejectJob = (ctx: ServiceContext, id: string, input: unknown) => decide(ctx, id, 'reject', parseInput(DecisionInput, input ?? {}));
export const cancelJob = (ctx: ServiceContext, id: string, input: unknown) => decide(ctx, id, 'cancel', parseInput(DecisionInput, input ?? {}));

export const activeJobStates = ACTIVE;
