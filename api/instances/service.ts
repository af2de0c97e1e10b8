// OpenClaw instances: requests to deploy one, adopt a discovered one, check its health, restart its
// gateway, stop, start or remove it. Each request checks what it acts on here, then starts a job of its
// type (api/instances/job-types.ts) through the job kernel (api/jobs/service.ts), which approves,
// cancels and lists them like any other job.
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { DEFAULT_BUNDLE_VERSION, findBundleVersion, OPENCLAW_BUNDLE, offeredBundleVersions } from '../../agent-worker/openclaw/bundle.ts';
import { instances, jobs, organizations } from '../../db/schema.ts';
import { loadConfig } from '../../infra/config.ts';
import type { InstanceTarget } from '../../workflows/instance-actions.ts';
import { findNode, nodeTarget } from '../agents/service.ts';
import { authorize, type ServiceContext } from '../authz.ts';
import { ConflictError, InvalidInputError, NotFoundError, parseInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { ACTIVE_STATES, type JobOutput } from '../jobs/job-output.ts';
import type { JobOrigin } from '../jobs/job-type.ts';
import { approvalTerms, startJob } from '../jobs/service.ts';
import { adoptJob, changeJobs, deployJob, healthCheckJob, readLogsJob, restartJob } from './job-types.ts';
import { runSharedWith } from '../workflow-definitions/sharing.ts';

export const deployPhrase = (nodeName: string) => `deploy openclaw to ${nodeName}`;

export const InstanceName = z
  .string('instanceName is required')
  .trim()
  .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'instanceName must be 1-40 lower-case letters, digits or hyphens, starting and ending with a letter or digit');
export const RequestDeploymentInput = z.object({
  nodeId: z.string('nodeId is required').uuid('nodeId must be a UUID'),
  /** Whose instance it is: the node's organization by default; a shared-infrastructure node may host a customer's. */
  organizationId: z.string('organizationId must be the id of an organization').uuid('organizationId must be a UUID').optional(),
  instanceName: InstanceName,
  port: z.coerce
    .number('port must be a number')
    .int('port must be a whole number')
    .min(1024, 'port must be 1024-65535')
    .max(65535, 'port must be 1024-65535')
    .default(OPENCLAW_BUNDLE.gatewayPort),
  /** One of the bundle's versions (each pinned by its lock file); the newest by default. */
  bundleVersion: z
    .string('bundleVersion must be a bundle version')
    .trim()
    .refine((v) => Boolean(findBundleVersion(v)), {
      message: `bundleVersion must be one of the bundle's versions: ${offeredBundleVersions()
        .map((v) => v.version)
        .join(', ')}`,
    })
    .default(DEFAULT_BUNDLE_VERSION),
});
export const ChangeInstanceBody = z.object({ removeVolumes: z.boolean('removeVolumes must be true or false').default(false) });

const activeOn = (column: typeof jobs.nodeId | typeof jobs.instanceId, id: string) => and(eq(column, id), inArray(jobs.state, [...ACTIVE_STATES]));

/** Starts an approval-gated deployment of the OpenClaw bundle to a node. */
export async function requestDeployment(ctx: ServiceContext, input: unknown, origin: JobOrigin = {}): Promise<JobOutput> {
  const raw = (input ?? {}) as { nodeId?: unknown };
  if (typeof raw.nodeId === 'string' && isUuid(raw.nodeId)) {
    // Authorize before validating the rest: another organization's node must look like a missing one.
    await authorize(ctx, 'instance.deploy', nodeTarget(await findNode(ctx.db, raw.nodeId)));
  }
  const { nodeId, instanceName, port, organizationId, bundleVersion } = parseInput(RequestDeploymentInput, input ?? {});
  const node = await findNode(ctx.db, nodeId);
  await authorize(ctx, 'instance.deploy', nodeTarget(node));
  const owner = await instanceOwner(ctx, node, organizationId);
  if (node.revokedAt) throw new ConflictError('nodeId', `Node ${node.name} is revoked: it takes no jobs until its agent is enrolled again.`);
  if (!node.agentPublicKey) throw new ConflictError('nodeId', `Node ${node.name} has no enrolled agent yet: enroll it first.`);
  const [sameName] = await ctx.db
    .select({ id: instances.id })
    .from(instances)
    .where(and(eq(instances.nodeId, node.id), eq(instances.name, instanceName)));
  const active = await ctx.db.select({ params: jobs.params }).from(jobs).where(activeOn(jobs.nodeId, node.id));
  if (sameName || active.some((j) => j.params.instanceName === instanceName)) {
    throw new ConflictError('instanceName', `An instance named "${instanceName}" already exists on ${node.name} (or is being deployed).`);
  }
  const [samePort] = await ctx.db
    .select({ name: instances.name })
    .from(instances)
    .where(and(eq(instances.nodeId, node.id), eq(instances.state, 'managed'), eq(instances.port, port)));
  if (samePort || active.some((j) => j.params.port === port)) {
    throw new ConflictError('port', `Port ${port} is already taken on ${node.name} by ${samePort ? `instance ${samePort.name}` : 'another deployment'}; choose another.`);
  }

  const jobId = crypto.randomUUID();
  const instanceId = crypto.randomUUID();
  const phrase = deployPhrase(node.name);
  return startJob(ctx, deployJob, {
    id: jobId,
    node,
    organizationId: owner.id,
    instanceId,
    phrase,
    retryOf: origin.retryOf,
    params: { instanceName, port, bundleVersion, ...(owner.id !== node.organizationId ? { organizationName: owner.name } : {}) },
    args: {
      jobId,
      nodeId: node.id,
      instanceId,
      instanceName,
      port,
      bundleVersion,
      ...(await approvalTerms(ctx, owner.id, phrase)),
      nodeWaitSeconds: loadConfig().NODE_WAIT_SECONDS,
      healthTimeoutSeconds: 180,
    },
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

async function findInstance(ctx: ServiceContext, instanceId: string) {
  if (!isUuid(instanceId)) throw new NotFoundError('instance');
  const [instance] = await ctx.db.select().from(instances).where(eq(instances.id, instanceId));
  if (!instance) throw new NotFoundError('instance');
  return instance;
}

/** Starts an approval-gated adoption of a discovered instance: it becomes managed, exactly as it runs. */
export async function requestAdoption(ctx: ServiceContext, instanceId: string, origin: JobOrigin = {}): Promise<JobOutput> {
  const instance = await findInstance(ctx, instanceId);
  await authorize(ctx, 'instance.adopt', { organizationId: instance.organizationId, type: 'instance', id: instance.id });
  if (instance.state !== 'discovered') throw new ConflictError('id', `Instance ${instance.name} is already managed.`);
  const node = await findNode(ctx.db, instance.nodeId);
  if (node.revokedAt || !node.agentPublicKey) throw new ConflictError('id', `Node ${node.name} has no working agent: it cannot read the instance's containers.`);
  const [active] = await ctx.db.select({ id: jobs.id }).from(jobs).where(activeOn(jobs.instanceId, instance.id));
  if (active) throw new ConflictError('id', `An adoption of ${instance.name} is already under way (job ${active.id}).`);
  const jobId = crypto.randomUUID();
  const phrase = `adopt ${instance.name} on ${node.name}`;
  return startJob(ctx, adoptJob, {
    id: jobId,
    ...onInstance(instance, node),
    phrase,
    retryOf: origin.retryOf,
    args: {
      jobId,
      nodeId: node.id,
      instanceId: instance.id,
      instanceName: instance.name,
      containerIds: instance.containerIds,
      ...(await approvalTerms(ctx, instance.organizationId, phrase)),
      nodeWaitSeconds: loadConfig().NODE_WAIT_SECONDS,
    },
  });
}

/** A managed instance the actor may act on, with what the node needs to find its containers. */
export async function managedTarget(
  ctx: ServiceContext,
  instanceId: string,
  permission: 'instance.restart' | 'instance.check' | 'instance.change' | 'instance.apply_capabilities' | 'instance.upgrade',
  origin: JobOrigin = {},
) {
  const instance = await findInstance(ctx, instanceId);
  // A workflow run's step: whoever may run the run's definition; the policy engine decides the action.
  const target = { organizationId: instance.organizationId, type: 'instance', id: instance.id };
  if (origin.run) await authorize(ctx, 'workflow.run_step', { ...target, sharedWith: await runSharedWith(ctx.db, ctx.actor, origin.run.jobId) });
  else await authorize(ctx, permission, target);
  if (instance.state !== 'managed') throw new ConflictError('id', `Instance ${instance.name} is not managed yet: adopt it first.`);
  if (!instance.port || !instance.containerIds[0]) throw new ConflictError('id', `Instance ${instance.name} has no known gateway container or port.`);
  const node = await findNode(ctx.db, instance.nodeId);
  if (node.revokedAt || !node.agentPublicKey) throw new ConflictError('id', `Node ${node.name} has no working agent.`);
  const [active] = await ctx.db.select({ id: jobs.id, type: jobs.type }).from(jobs).where(activeOn(jobs.instanceId, instance.id));
  // Reads (a health check, a log read) may run beside a change; two changes may not.
  if (active && active.type !== healthCheckJob.type && active.type !== readLogsJob.type)
    throw new ConflictError('id', `Another job on ${instance.name} is under way (job ${active.id}); wait for it to end.`);
  return { instance, node };
}

/** The fields of a job on one instance: its node, its organization (the instance's), its name as the job's parameter. */
export const onInstance = (instance: typeof instances.$inferSelect, node: { id: string; name: string }, params: Record<string, unknown> = {}) => ({
  node,
  organizationId: instance.organizationId,
  instanceId: instance.id,
  params: { instanceName: instance.name, ...params },
});

export const targetOf = (jobId: string, instance: typeof instances.$inferSelect): InstanceTarget => ({
  jobId,
  nodeId: instance.nodeId,
  instanceId: instance.id,
  gatewayId: instance.containerIds[0]!,
  ...(instance.containerIds[1] ? { cliId: instance.containerIds[1] } : {}),
  port: instance.port!,
  nodeWaitSeconds: loadConfig().NODE_WAIT_SECONDS,
});

/** Checks a managed instance's health now (no approval: it only reads). */
export async function requestHealthCheck(ctx: ServiceContext, instanceId: string, origin: JobOrigin = {}): Promise<JobOutput> {
  const { instance, node } = await managedTarget(ctx, instanceId, 'instance.check', origin);
  const jobId = origin.run?.childJobId ?? crypto.randomUUID();
  return startJob(ctx, healthCheckJob, {
    id: jobId,
    ...onInstance(instance, node, origin.run ? { workflowRunJobId: origin.run.jobId } : {}),
    retryOf: origin.retryOf,
    args: targetOf(jobId, instance),
  });
}

/** Restarts a managed instance's gateway after a typed approval; the job reports the downtime. */
export async function requestRestart(ctx: ServiceContext, instanceId: string, origin: JobOrigin = {}): Promise<JobOutput> {
  const { instance, node } = await managedTarget(ctx, instanceId, 'instance.restart', origin);
  const jobId = origin.run?.childJobId ?? crypto.randomUUID();
  const phrase = `restart ${instance.name} on ${node.name}`;
  return startJob(ctx, restartJob, {
    id: jobId,
    ...onInstance(instance, node, origin.run ? { workflowRunJobId: origin.run.jobId } : {}),
    phrase,
    stricter: origin.run?.stricter,
    args: { ...targetOf(jobId, instance), ...(await approvalTerms(ctx, instance.organizationId, phrase)), healthTimeoutSeconds: 180 },
  });
}

/** Stops, starts or removes a managed instance after its typed approval (remove keeps the data unless asked). */
export async function requestInstanceChange(
  ctx: ServiceContext,
  instanceId: string,
  change: 'stop' | 'start' | 'remove',
  input: unknown = {},
  origin: JobOrigin = {},
): Promise<JobOutput> {
  const { instance, node } = await managedTarget(ctx, instanceId, 'instance.change');
  const { removeVolumes } = parseInput(ChangeInstanceBody, input ?? {});
  const jobId = crypto.randomUUID();
  const phrase = change === 'remove' && removeVolumes ? `remove ${instance.name} and its data on ${node.name}` : `${change} ${instance.name} on ${node.name}`;
  return startJob(ctx, changeJobs[change], {
    id: jobId,
    ...onInstance(instance, node, change === 'remove' ? { removeVolumes } : {}),
    phrase,
    retryOf: origin.retryOf,
    args: {
      ...targetOf(jobId, instance),
      ...(await approvalTerms(ctx, instance.organizationId, phrase)),
      change,
      removeVolumes: change === 'remove' && removeVolumes,
      healthTimeoutSeconds: 180,
    },
  });
}
