// Reads a container's log lines on its node (the console's log view, and its follow mode): one signed,
// read-only step, redacted on the machine. Not a job: it changes nothing, and the console asks often.
import type { LogsOutput } from '../protocol/node-actions.ts';
import { runOnNode } from './node-job.ts';

export interface ReadInstanceLogsInput { nodeId: string; containerId: string; tail: number; since?: number; nodeWaitSeconds: number }

export async function readInstanceLogs(input: ReadInstanceLogsInput): Promise<LogsOutput> {
  return runOnNode({
    nodeId: input.nodeId, action: 'openclaw.logs', mode: 'at-most-once', waitForNodeSeconds: input.nodeWaitSeconds, runSeconds: 30,
    params: { containerId: input.containerId, tail: input.tail, ...(input.since ? { since: input.since } : {}) },
  });
}
