// Every workflow the control-plane worker runs. Workflow code is deterministic: no I/O, no Node built-ins
// (enforced by ESLint); it reaches the world only through activities.
export { readinessCheck } from './readiness-check.ts';
export { nodeMonitor } from './node-monitor.ts';
export { nodeStatusSweep } from './node-status-sweep.ts';
export { refreshNodeInventory } from './refresh-node-inventory.ts';
export { deployOpenClaw } from './deploy-openclaw.ts';
export { adoptOpenClaw } from './adopt-openclaw.ts';
export { changeInstance, checkInstanceHealth, restartGateway } from './instance-actions.ts';
export { readInstanceLogs } from './read-instance-logs.ts';
export { checkBundle } from './check-bundle.ts';
export { applyCapabilities } from './apply-capabilities.ts';
export { workflowRun } from './workflow-run.ts';
export { scheduledRun } from './scheduled-run.ts';
export { fleetRollout } from './fleet-rollout.ts';
export { upgradeOpenclaw } from './upgrade-openclaw.ts';
