// The node-action catalogue: every action a node's agent runs, declared once (node-action-registry.ts).
// Shared by the three sides of a node job:
//   workflows      `runOnNode({ action, params })` is checked against it at compile time (types only:
//                  `import type`, so no zod in the workflow bundle);
//   control plane  checks the parameters before signing, and the output after the agent's signature;
//   agent          checks the parameters before dispatching, and its handler table is typed from it.
// Parameters and outputs are stored in Temporal's history: never a secret here (see envelope.ts).
import { z } from 'zod';
import { ContainerRecords } from './heartbeat.ts';
import { canonicalJson } from './canonical-json.ts';
import { defineNodeAction, nodeActionCatalogue, parseWith, type JobFacts, type Parsed } from './node-action-registry.ts';
import { EffectiveTools, ToolPolicy } from './tool-policy.ts';

// ------------------------------------------------------------------------------------- parameters

const containerId = z.string().regex(/^[0-9a-f]{12,64}$/, 'must be a Docker container id (hex)');

/** A bundle version's name (bundle.ts): the agent deploys only the versions it offers, each pinned by its lock file. */
const BundleVersionName = z.string().regex(/^[0-9][0-9A-Za-z.-]{0,39}$/, 'must be a bundle version such as 2026.9.6');

const InstanceParams = z.strictObject({
  instanceId: z.string().uuid(),
  instanceName: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, 'must be lower-case letters, digits and hyphens (at most 40)'),
  port: z.number().int().min(1024).max(65535),
  /** The bundle version to deploy (default: the newest the agent offers). */
  bundleVersion: BundleVersionName.optional(),
});

/** Which containers make an instance (by id: adopted instances carry none of our labels) and its gateway port. */
const InstanceRef = z.strictObject({ gatewayId: containerId, cliId: containerId.optional(), port: z.number().int().min(1).max(65535) });
export type InstanceRef = z.infer<typeof InstanceRef>;

const WithHealthTimeout = InstanceRef.extend({ timeoutSeconds: z.number().int().min(5).max(900) });

// ----------------------------------------------------------------------------------------- outputs

const ContainerHealth = z.object({ id: z.string().nullable(), state: z.string(), health: z.string().nullable() });
export type ContainerHealth = z.infer<typeof ContainerHealth>;

const Probe = z.object({ ok: z.boolean(), body: z.unknown() }).nullable();

/** Each container's state and Docker health, the gateway's /healthz and /readyz, and `openclaw gateway health`. */
const InstanceHealth = z.object({
  gateway: ContainerHealth,
  cli: ContainerHealth,
  healthz: Probe,
  readyz: Probe,
  cliCheck: z.object({ ok: z.boolean(), output: z.string() }).nullable(),
  healthy: z.boolean(),
});
export type InstanceHealth = z.infer<typeof InstanceHealth>;

/** Where the wait got to, in seconds after it began (agent-worker/openclaw/health.ts): what the step's time went on. */
const HealthWaitTimings = z
  .object({ restarted: z.number(), helperRejoined: z.number(), healthz: z.number(), readyz: z.number(), cliStarted: z.number(), cliSeconds: z.number() })
  .partial();

// Timings are optional: an agent of an earlier release reports none.
const HealthAfterWait = InstanceHealth.extend({ seconds: z.number(), timings: HealthWaitTimings.optional() });

const PreflightCheck = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });
export type PreflightCheck = z.infer<typeof PreflightCheck>;

const DeployOutput = z.object({
  containers: z.array(z.object({ id: z.string(), name: z.string(), role: z.enum(['gateway', 'cli']) })).min(1),
  image: z.string(),
  version: z.string(),
  port: z.number().int(),
  /** Which containers this deploy created (a retry finds the earlier ones). */
  created: z.array(z.string()),
});
export type DeployOutput = z.infer<typeof DeployOutput>;

const DescribedContainer = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  startedAt: z.string().nullable(),
  created: z.string(),
  bundleVersion: z.string().nullable(),
  /** The gateway port from `--port N` (or the bundle's default when the command names none). */
  port: z.number().int().nullable(),
  /** Docker's network mode: `host` (the node's own network), `none`, a network's name, or `container:<id>`. */
  networkMode: z.string(),
});
export type DescribedContainer = z.infer<typeof DescribedContainer>;

const LogLine = z.object({ at: z.string(), stream: z.enum(['stdout', 'stderr']), text: z.string() });
export type LogLine = z.infer<typeof LogLine>;
/** `truncated`: the limit was reached, so older lines may exist (Docker returns at most `tail` lines). */
const LogsOutput = z.object({ lines: z.array(LogLine), truncated: z.boolean() });
export type LogsOutput = z.infer<typeof LogsOutput>;

const BundleCheck = z.object({
  image: z.string(),
  version: z.string(),
  wasPresent: z.boolean(),
  sizeBytes: z.number(),
  gatewayAnswered: z.boolean(),
  secondsToHealthz: z.number().nullable(),
  detail: z.string(),
});
export type BundleCheck = z.infer<typeof BundleCheck>;

/** An instance's tool policy as its gateway has it: the file, its managed part and hash, and what the running gateway offers. */
const ToolPolicyState = z.object({
  /** Where the gateway reads its configuration (inside its containers). */
  configPath: z.string(),
  /** protocol/tool-policy.ts toolsConfigHash: of the whole `tools` section. */
  hash: z.string(),
  policy: ToolPolicy,
  /** The file's `tools` section (never the rest of the file, which may hold secrets). */
  tools: z.record(z.string(), z.unknown()),
  effective: EffectiveTools,
});
export type ToolPolicyState = z.infer<typeof ToolPolicyState>;

const AppliedToolPolicy = ToolPolicyState.extend({
  /** Whether the file had to change (an apply of the policy it already has writes nothing). */
  changed: z.boolean(),
  /** How the gateway took it: its own hot reload, or a restart when it did not reload in time. */
  reload: z.enum(['none', 'hot', 'restart']),
  /** When the file was written (or found as wanted), by the node's clock: heartbeats read before it are out of date. */
  writtenAt: z.string(),
});
export type AppliedToolPolicy = z.infer<typeof AppliedToolPolicy>;

/** A copy of an instance's state volume kept beside it on the node (a Docker volume), by an upgrade. */
const StateSnapshot = z.object({ volume: z.string(), of: z.string(), sizeBytes: z.number().int().min(0), files: z.number().int().min(0), takenAt: z.string() });
export type StateSnapshot = z.infer<typeof StateSnapshot>;

/** The instance's two containers an upgrade replaces, kept stopped under another name until it ends. */
const PreviousContainers = z.strictObject({ gatewayId: containerId, cliId: containerId.optional() });

const UpgradeTarget = InstanceParams.omit({ bundleVersion: true }).extend({ jobId: z.string().uuid() });

/** An instance's state volume, and the snapshot of it an upgrade job takes (agent-worker/openclaw/upgrade.ts). */
export const stateVolumeOf = (instanceId: string) => `aw-${instanceId}-state`;
export const snapshotVolumeOf = (instanceId: string, jobId: string) => `${stateVolumeOf(instanceId)}-snap-${jobId}`;

// ---------------------------------------------------------------------------------------- bindings
// What ties each action's parameters to the job that asks (`binds`, checked by the control plane before
// it signs): a run can only have its own job's instance, containers, version and volumes acted on.

const instanceContainer = (job: JobFacts, id: string | undefined) => id === undefined || Boolean(job.instance?.containerIds.includes(id));
/** The containers are the job's instance's, as recorded. */
const itsContainers = (p: { gatewayId: string; cliId?: string | undefined }, job: JobFacts, prefix = '') => ({
  [`${prefix}gatewayId`]: instanceContainer(job, p.gatewayId),
  [`${prefix}cliId`]: instanceContainer(job, p.cliId),
});
/** The containers and port are the job's instance's, as recorded. */
const itsInstanceRef = (p: InstanceRef, job: JobFacts) => ({ ...itsContainers(p, job), port: p.port === job.instance?.port });
const itsJob = (p: { instanceId: string; jobId?: string }, job: JobFacts) => ({
  instanceId: p.instanceId === job.instanceId,
  ...(p.jobId === undefined ? {} : { jobId: p.jobId === job.jobId }),
});
/** A deployment's instance as the console asked for it. */
const asAsked = (p: z.output<typeof InstanceParams> & { jobId?: string }, job: JobFacts) => ({
  ...itsJob(p, job),
  instanceName: p.instanceName === job.params.instanceName,
  port: p.port === job.params.port,
  bundleVersion: (p.bundleVersion ?? null) === (job.params.bundleVersion ?? null),
});

// --------------------------------------------------------------------------------------- catalogue

export const NODE_ACTIONS = nodeActionCatalogue([
  defineNodeAction({
    name: 'inventory.list',
    effect: 'reads',
    description: "Lists every container of the node's Docker engine (never environment values or commands).",
    params: z.strictObject({}),
    output: z.object({ containers: ContainerRecords }),
  }),
  defineNodeAction({
    name: 'openclaw.preflight',
    effect: 'reads',
    description: 'Checks the machine before a deployment is approved: Docker, the port, disk space, the image.',
    params: InstanceParams,
    output: z.object({ checks: z.array(PreflightCheck) }),
    binds: asAsked,
  }),
  defineNodeAction({
    name: 'openclaw.deploy',
    effect: 'changes',
    description: "Brings the instance's two containers to running (builds the image if needed); running it again changes nothing.",
    params: InstanceParams.extend({ jobId: z.string().uuid() }),
    output: DeployOutput,
    binds: asAsked,
  }),
  defineNodeAction({
    name: 'openclaw.wait-healthy',
    effect: 'reads',
    description: 'Waits until the gateway answers /healthz, /readyz and `openclaw gateway health`.',
    params: WithHealthTimeout,
    output: HealthAfterWait,
    // New containers (a deployment's, or an upgrade's after its switch) are not on record yet: the agent holds them to its labels.
    binds: (p, job) => ({ port: p.port === (job.params.port ?? job.instance?.port) }),
  }),
  defineNodeAction({
    name: 'openclaw.health',
    effect: 'reads',
    description: "Reads the instance's health now; changes nothing.",
    params: InstanceRef,
    output: InstanceHealth,
    binds: itsContainers,
  }),
  defineNodeAction({
    name: 'openclaw.restart',
    effect: 'changes',
    description: 'Restarts the gateway container, waits until healthy again and reports the downtime.',
    params: WithHealthTimeout,
    output: HealthAfterWait.extend({ downtimeSeconds: z.number() }),
    binds: itsInstanceRef,
  }),
  defineNodeAction({
    name: 'openclaw.stop',
    effect: 'changes',
    description: 'Stops both containers (the helper first).',
    params: InstanceRef,
    output: InstanceHealth,
    binds: itsInstanceRef,
  }),
  defineNodeAction({
    name: 'openclaw.start',
    effect: 'changes',
    description: 'Starts both containers (the gateway first) and waits until healthy.',
    params: WithHealthTimeout,
    output: HealthAfterWait,
    binds: itsInstanceRef,
  }),
  defineNodeAction({
    name: 'openclaw.remove',
    effect: 'changes',
    description: "Removes both containers and the instance's own network, and its volumes only when asked.",
    params: InstanceRef.extend({ removeVolumes: z.boolean() }),
    output: z.object({ removed: z.array(z.string()), volumesRemoved: z.array(z.string()), networksRemoved: z.array(z.string()) }),
    binds: itsInstanceRef,
  }),
  defineNodeAction({
    name: 'openclaw.describe',
    effect: 'reads',
    description: 'Describes containers we did not create (for a takeover); reads only, never environment values.',
    params: z.strictObject({ containerIds: z.array(containerId).min(1).max(10) }),
    output: z.object({ containers: z.array(DescribedContainer) }),
    binds: (p, job) => ({ containerIds: p.containerIds.every((id) => instanceContainer(job, id)) }),
  }),
  defineNodeAction({
    name: 'openclaw.logs',
    effect: 'reads',
    description: "A container's last log lines (or those since a time), with secrets removed on the machine.",
    params: z.strictObject({ containerId, tail: z.number().int().min(1).max(2000), since: z.number().int().positive().optional() }),
    output: LogsOutput,
    binds: (p, job) => ({ containerId: instanceContainer(job, p.containerId) }),
  }),
  defineNodeAction({
    name: 'openclaw.read_tool_policy',
    effect: 'reads',
    description: "Reads the managed part of the gateway's configuration (its tool policy), its hash, and the running gateway's effective tool list.",
    params: InstanceRef,
    output: ToolPolicyState,
    // An upgrade reads the new version's policy before its containers are on record.
    binds: (p, job) => ({ port: p.port === job.instance?.port }),
  }),
  defineNodeAction({
    name: 'openclaw.apply_tool_policy',
    effect: 'changes',
    description:
      "Merges a tool policy into the gateway's configuration, validated first with the gateway's own `openclaw config validate`, writes it, waits for the gateway to reload (or restarts it) and reads back the effective tool list.",
    params: InstanceRef.extend({ policy: ToolPolicy, timeoutSeconds: z.number().int().min(30).max(900) }),
    output: AppliedToolPolicy,
    binds: (p, job) => ({ ...itsInstanceRef(p, job), policy: canonicalJson(p.policy) === canonicalJson(job.params.toolPolicy ?? null) }),
  }),
  defineNodeAction({
    name: 'openclaw.upgrade-preflight',
    effect: 'reads',
    description: "Checks an instance before an upgrade (or downgrade): Docker, disk, the new version's image (present or buildable), the version it runs, and its health now.",
    params: InstanceRef.extend({ instanceId: z.string().uuid(), toVersion: BundleVersionName }),
    output: z.object({ checks: z.array(PreflightCheck), fromVersion: z.string().nullable(), health: InstanceHealth }),
    binds: (p, job) => ({ ...itsJob(p, job), toVersion: p.toVersion === job.params.toVersion, ...itsInstanceRef(p, job) }),
  }),
  defineNodeAction({
    name: 'openclaw.snapshot-state',
    effect: 'changes',
    description: "Stops the instance's containers and copies its state volume into a snapshot volume beside it (with a container of the bundle image itself); its size and time.",
    params: UpgradeTarget.pick({ instanceId: true, jobId: true }).extend(PreviousContainers.shape),
    output: StateSnapshot,
    binds: (p, job) => ({ ...itsJob(p, job), ...itsContainers(p, job) }),
  }),
  defineNodeAction({
    name: 'openclaw.switch-version',
    effect: 'changes',
    description:
      "Replaces the instance's containers by ones of another bundle version, with the same state volumes, network and gateway token; the previous ones are kept, stopped, until the upgrade ends.",
    params: UpgradeTarget.extend({ toVersion: BundleVersionName, previous: PreviousContainers }),
    output: DeployOutput,
    binds: (p, job) => ({
      ...itsJob(p, job),
      instanceName: p.instanceName === job.instance?.name,
      port: p.port === job.instance?.port,
      toVersion: p.toVersion === job.params.toVersion,
      ...itsContainers(p.previous, job, 'previous.'),
    }),
  }),
  defineNodeAction({
    name: 'openclaw.rollback-version',
    effect: 'changes',
    description:
      "Undoes a switch: removes the upgrade's containers, restores the state volume from the snapshot, and starts the previous containers (previous image, same token) again.",
    params: UpgradeTarget.pick({ instanceId: true, instanceName: true, jobId: true }).extend({
      previous: PreviousContainers,
      snapshotVolume: z.string().regex(/^aw-[0-9a-f-]{36}-state-snap-[0-9a-z-]+$/),
    }),
    output: z.object({ removed: z.array(z.string()), restoredFrom: z.string() }),
    binds: (p, job) => ({
      ...itsJob(p, job),
      instanceName: p.instanceName === job.instance?.name,
      ...itsContainers(p.previous, job, 'previous.'),
      snapshotVolume: p.snapshotVolume === snapshotVolumeOf(p.instanceId, p.jobId),
    }),
  }),
  defineNodeAction({
    name: 'openclaw.finish-upgrade',
    effect: 'changes',
    description: "Removes the previous containers of a successful upgrade and prunes the instance's state snapshots to the last N.",
    params: z.strictObject({ instanceId: z.string().uuid(), previous: PreviousContainers, keepSnapshots: z.number().int().min(1).max(50) }),
    output: z.object({ removed: z.array(z.string()), snapshotsPruned: z.array(z.string()), snapshotsKept: z.array(StateSnapshot.pick({ volume: true, takenAt: true })) }),
    // Once the instance is recorded upgraded its previous containers are no longer on record: the agent holds them to its label and an upgrade's name.
    binds: (p, job) => ({ instanceId: p.instanceId === job.instanceId }),
  }),
  defineNodeAction({
    name: 'openclaw.bundle-check',
    effect: 'reads',
    description: 'Checks the bundle on the node: the image (built if missing), its size, and a throw-away gateway answering /healthz.',
    params: z.strictObject({ timeoutSeconds: z.number().int().min(10).max(600), version: BundleVersionName.optional() }),
    output: BundleCheck,
  }),
]);

export type NodeActions = typeof NODE_ACTIONS;
export type NodeActionName = keyof NodeActions;
/** What a caller passes for the action. */
export type NodeActionParams<A extends NodeActionName> = z.input<NodeActions[A]['params']>;
/** What the action's handler receives, once checked. */
export type CheckedNodeActionParams<A extends NodeActionName> = z.output<NodeActions[A]['params']>;
/** What the action's handler returns (before the control plane checks it). */
export type NodeActionResult<A extends NodeActionName> = z.input<NodeActions[A]['output']>;
/** What the workflow gets, once the output is checked. */
export type NodeActionOutput<A extends NodeActionName> = z.output<NodeActions[A]['output']>;

export const isNodeActionName = (name: string): name is NodeActionName => Object.hasOwn(NODE_ACTIONS, name);

// The schema is picked by a name known at run time, so its type is the union of all: the result is the
// named action's own type by construction.

/** Checks an action's parameters; the reason names the action and each bad field. */
export function checkNodeActionParams<A extends NodeActionName>(action: A, params: unknown): Parsed<CheckedNodeActionParams<A>> {
  const schema: z.ZodType = NODE_ACTIONS[action].params;
  return parseWith(schema, params, `bad parameters for ${action}:`) as Parsed<CheckedNodeActionParams<A>>;
}

/** Checks what an agent returned for the action; the reason names the action and each bad field. */
export function checkNodeActionOutput<A extends NodeActionName>(action: A, output: unknown): Parsed<NodeActionOutput<A>> {
  const schema: z.ZodType = NODE_ACTIONS[action].output;
  return parseWith(schema, output, `the output of ${action} is malformed:`) as Parsed<NodeActionOutput<A>>;
}
