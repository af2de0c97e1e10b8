// Reads a container's log lines on its node (the console's log view, and its follow mode), as a job
// without approval: one signed, read-only step, redacted on the machine. The lines go back to the
// console as the run's result; the job's record keeps only how many there were (they are customer data).
import type { LogsOutput } from '../protocol/node-actions.ts';
import { asJob, jobRecorder } from './job-record.ts';
import { jobNode, runOnNode } from './node-job.ts';

export interface ReadInstanceLogsInput {
  jobId: string;
  nodeId: string;
  containerId: string;
  tail: number;
  since?: number;
  nodeWaitSeconds: number;
}

export async function readInstanceLogs(input: ReadInstanceLogsInput): Promise<LogsOutput> {
  const record = jobRecorder(input.jobId);
  return asJob(input.jobId, async () => {
    await record({ state: 'running', step: 'read logs' });
    const output = await runOnNode({
      ...jobNode(input),
      action: 'openclaw.logs',
      mode: 'at-most-once',
      runSeconds: 30,
      params: { containerId: input.containerId, tail: input.tail, ...(input.since ? { since: input.since } : {}) },
    });
    await record({ state: 'completed', step: null, result: { lines: output.lines.length, truncated: output.truncated } });
    return output;
  });
}
