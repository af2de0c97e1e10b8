// The jobs that act on OpenClaw instances, declared once for the job kernel (api/jobs/registry.ts):
// their workflow, label, approval, whether a failed one may be tried again, and how a result is told.
import { adoptOpenClaw } from '../../workflows/adopt-openclaw.ts';
import { applyCapabilities } from '../../workflows/apply-capabilities.ts';
import type { ToolPolicy } from '../../protocol/tool-policy.ts';
import { deployOpenClaw } from '../../workflows/deploy-openclaw.ts';
import { changeInstance, checkInstanceHealth, restartGateway } from '../../workflows/instance-actions.ts';
import { readInstanceLogs } from '../../workflows/read-instance-logs.ts';
import { upgradeOpenclaw } from '../../workflows/upgrade-openclaw.ts';
import { defineJobType, type JobTypeDefinition, type JobWorkflow } from '../jobs/job-type.ts';
import { requestCapabilityApply } from './capabilities.ts';
import { requestUpgrade } from './upgrade.ts';
import { requestAdoption, requestDeployment, requestHealthCheck, requestInstanceChange } from './service.ts';

const instanceName = (params: Record<string, unknown>) => String(params.instanceName);
const names = (list: unknown) => ((list as { id: string; name?: string }[] | undefined) ?? []).map((c) => c.name ?? c.id.slice(0, 12)).join(', ');

/**
 * Every job here runs on the instance's node, waits for a typed approval unless it says otherwise, and is
 * the `action` of the OpenClaw lifecycle capability (api/capabilities/catalogue.ts) for the policy engine.
 */
const instanceJobType = <W extends JobWorkflow>(action: string, definition: Omit<JobTypeDefinition<W>, 'runsOn' | 'approval' | 'capability'> & { approval?: 'none' }) =>
  defineJobType<W>({ runsOn: 'node', approval: 'required', capability: { key: 'openclaw.lifecycle', action }, ...definition });

export const deployJob = instanceJobType('deploy', {
  type: 'deploy_openclaw',
  nodeActions: ['openclaw.preflight', 'openclaw.deploy', 'openclaw.wait-healthy'],
  label: 'Deploy OpenClaw',
  workflow: deployOpenClaw,
  // Idempotent: a new deployment finds what an earlier one left by its labels, and asks for its approval again.
  retry: {
    safe: true,
    again: (ctx, job, origin) =>
      requestDeployment(
        ctx,
        { nodeId: job.nodeId, organizationId: job.organizationId, instanceName: instanceName(job.params), port: job.params.port, bundleVersion: job.params.bundleVersion },
        origin,
      ),
  },
  result: { summary: (r) => `OpenClaw ${String(r.version)} on port ${String(r.port)}, healthy ${String(r.secondsToHealthy)} s after the deployment started.` },
});

export const adoptJob = instanceJobType('adopt', {
  type: 'adopt_openclaw',
  nodeActions: ['openclaw.describe', 'openclaw.health'],
  label: 'Adopt OpenClaw',
  workflow: adoptOpenClaw,
  retry: { safe: true, again: (ctx, job, origin) => requestAdoption(ctx, job.instanceId ?? '', origin) },
  result: { summary: (r) => `Now managed, exactly as it runs: ${names(r.containers)} (nothing on the machine was changed).`, health: 'health' },
});

export const healthCheckJob = instanceJobType('health', {
  type: 'health_check',
  nodeActions: ['openclaw.health'],
  label: 'Health check',
  workflow: checkInstanceHealth,
  approval: 'none',
  retry: { safe: true, again: (ctx, job, origin) => requestHealthCheck(ctx, job.instanceId ?? '', origin) },
  result: { health: 'health' },
});

export const restartJob = instanceJobType('restart', {
  type: 'restart_gateway',
  nodeActions: ['openclaw.health', 'openclaw.restart'],
  label: 'Restart gateway',
  workflow: restartGateway,
  retry: { safe: false, why: "A restart runs at most once and is never repeated by a retry: check the instance's health, then request a new restart from its page." },
  result: { summary: (r) => `The gateway was restarted and answered again after ${String(r.downtimeSeconds)} s of downtime.`, health: 'after' },
});

const changeJob = (change: 'stop' | 'start') =>
  instanceJobType(change, {
    type: `${change}_instance`,
    nodeActions: ['openclaw.health', `openclaw.${change}`],
    label: `${change === 'stop' ? 'Stop' : 'Start'} OpenClaw`,
    workflow: changeInstance,
    // Stopping a stopped container, or starting a running one, changes nothing: safe to ask again.
    retry: { safe: true, again: (ctx, job, origin) => requestInstanceChange(ctx, job.instanceId ?? '', change, {}, origin) },
    result: { summary: () => `The instance's containers were ${change === 'stop' ? 'stopped' : 'started'}.`, health: 'after' },
  });

export const changeJobs = {
  stop: changeJob('stop'),
  start: changeJob('start'),
  remove: instanceJobType('remove', {
    type: 'remove_instance',
    nodeActions: ['openclaw.health', 'openclaw.remove'],
    label: 'Remove OpenClaw',
    workflow: changeInstance,
    retry: { safe: false, why: 'A removal deletes containers (and its data, when asked): request it again from the node page, so that what it removes is chosen again.' },
    result: {
      summary: (r) => {
        const volumes = (r.volumesRemoved as string[] | undefined) ?? [];
        return `Removed ${((r.removed as string[] | undefined) ?? []).length} container(s); ${volumes.length ? `removed the volumes ${volumes.join(', ')}` : 'its volumes were kept'}.`;
      },
    },
  }),
};

export const readLogsJob = instanceJobType('logs', {
  type: 'read_logs',
  nodeActions: ['openclaw.logs'],
  label: 'Read logs',
  workflow: readInstanceLogs,
  approval: 'none',
  retry: { safe: false, why: "Logs are read again from the instance's Logs page, with the lines you want." },
  result: { summary: (r) => `${String(r.lines)} line(s) read${r.truncated ? ' (older lines may exist)' : ''}; the lines went to the page that asked, not into this record.` },
});

export const applyCapabilitiesJob = instanceJobType('apply_capabilities', {
  type: 'apply_capabilities',
  nodeActions: ['openclaw.read_tool_policy', 'openclaw.apply_tool_policy'],
  label: 'Apply capabilities',
  workflow: applyCapabilities,
  // Idempotent: the same policy written again changes nothing; the retry asks for its approval again.
  retry: {
    safe: true,
    again: (ctx, job, origin) => requestCapabilityApply(ctx, job.instanceId ?? '', job.params.toolPolicy as ToolPolicy, String(job.params.summary), origin),
  },
  result: {
    summary: (r) => {
      const allowed = (r.allowed as string[] | undefined) ?? [];
      const denied = (r.denied as string[] | undefined) ?? [];
      const how = r.changed ? `written, ${r.reload === 'restart' ? 'gateway restarted' : 'reloaded by the gateway'}` : 'it was already so';
      return `The gateway's tool policy is applied (${how}). The running gateway offers: ${allowed.join(', ') || 'nothing'}; it denies ${denied.length} tool(s)${denied.includes('exec') ? ', exec among them' : ''}.`;
    },
  },
});

export const upgradeJob = instanceJobType('upgrade', {
  type: 'upgrade_openclaw',
  nodeActions: [
    'openclaw.upgrade-preflight',
    'openclaw.read_tool_policy',
    'openclaw.snapshot-state',
    'openclaw.start',
    'openclaw.switch-version',
    'openclaw.wait-healthy',
    'openclaw.rollback-version',
    'openclaw.finish-upgrade',
  ],
  label: 'Upgrade OpenClaw',
  workflow: upgradeOpenclaw,
  // A failed upgrade was rolled back (or says why not): asking again checks everything and asks for its approval again.
  retry: {
    safe: true,
    again: (ctx, job, origin) =>
      requestUpgrade(
        ctx,
        job.instanceId ?? '',
        { toVersion: job.params.toVersion, keepSnapshots: job.params.keepSnapshots, healthTimeoutSeconds: job.params.healthTimeoutSeconds },
        origin,
      ),
  },
  result: {
    summary: (r) => {
      const snapshot = r.snapshot as { volume?: string; sizeBytes?: number } | undefined;
      return `OpenClaw ${String(r.fromVersion)} → ${String(r.version)}, healthy ${String(r.secondsToHealthy)} s after the switch, with its state and token; state snapshot ${snapshot?.volume ?? '?'} (${snapshot?.sizeBytes ?? '?'} bytes) kept on the node.`;
    },
  },
});

export const instanceJobTypes = [
  deployJob,
  adoptJob,
  healthCheckJob,
  restartJob,
  changeJobs.stop,
  changeJobs.start,
  changeJobs.remove,
  readLogsJob,
  applyCapabilitiesJob,
  upgradeJob,
];
