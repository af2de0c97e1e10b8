// A running job's current step and how far it has come (ADR 0022), read from Temporal: the last
// heartbeat details of the run's pending activities, where a long step (the bundle image build, a
// gateway's wait for health, a Drive listing's pages) reports its progress (protocol/step-progress.ts).
// Nothing is written anywhere: heartbeats change no record, so the job's page asks again while it runs.
// The details come from an agent's machine or a provider's answers: decoded with the console's codec
// (an agent's are encrypted under the key it shares with the control plane, ADR 0016), then kept only as
// far as readStepProgress allows (lengths capped, hidden characters dropped, numbers clamped). It is
// shown, never believed: no decision reads it.
import type { Client } from '@temporalio/client';
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { and, desc, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client.ts';
import { jobs, type JobState } from '../../db/schema.ts';
import { getTemporalClient } from '../temporal-client.ts';
import type { JobRow } from './job-output.ts';
import { progressFraction, readStepProgress, StepProgress } from '../../protocol/step-progress.ts';

export const JobProgress = StepProgress.extend({
  fraction: z.number().min(0).max(1).nullable().describe('The share done (0 to 1) when the total is known; null when it is not (an indeterminate bar)'),
  where: z.enum(['node', 'control plane']).describe('Who reports it: the node’s agent, or the control plane’s own activity'),
  reportedAt: z.string().nullable().describe('When it was last reported (the activity’s last heartbeat)'),
}).describe("The current step's progress, as its activity last reported it; shown, never believed");
export type JobProgress = z.infer<typeof JobProgress>;

/** States in which a step may be reporting progress (waiting for an approval reports none). */
const RUNNING_STATES: JobState[] = ['preflight', 'running'];

/** How long the page waits for Temporal's answer before it shows the job without a bar. */
const DESCRIBE_TIMEOUT_MS = 2000;

type Pending = temporal.api.workflow.v1.IPendingActivityInfo;

const timeOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | null =>
  t?.seconds === undefined || t.seconds === null ? null : Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);

/** The first payload of `details` decoded as a client's converter does (the console's codec opens an agent's key too), or undefined. */
async function decodeDetails(converter: LoadedDataConverter, details: Pending['heartbeatDetails']): Promise<unknown> {
  let payload = details?.payloads?.[0] as Payload | undefined;
  if (!payload) return undefined;
  const { payloadCodecs, payloadConverter } = converter;
  try {
    for (const codec of [...payloadCodecs].reverse()) [payload] = await codec.decode([payload!]);
    return payloadConverter.fromPayload(payload!);
  } catch {
    // Sealed under a key this process does not hold (a replaced control-plane key), or not JSON: no bar.
    return undefined;
  }
}

/** The progress among the pending activities: the one heartbeat most recently with progress in it. */
export async function progressOfPending(converter: LoadedDataConverter, pending: Pending[]): Promise<JobProgress | null> {
  const newestFirst = [...pending].sort((a, b) => (timeOf(b.lastHeartbeatTime) ?? 0) - (timeOf(a.lastHeartbeatTime) ?? 0));
  for (const p of newestFirst) {
    const progress = readStepProgress(await decodeDetails(converter, p.heartbeatDetails));
    if (!progress) continue;
    const at = timeOf(p.lastHeartbeatTime);
    return {
      ...progress,
      fraction: progressFraction(progress),
      where: p.activityType?.name === 'runNodeJob' ? 'node' : 'control plane',
      reportedAt: at === null ? null : new Date(at).toISOString(),
    };
  }
  return null;
}

/** The run's current progress, or null when it reports none, or Temporal does not answer in time (the page shows the job without it). */
export async function runProgress(client: () => Promise<Client>, workflowId: string, runId: string | null): Promise<JobProgress | null> {
  const timeout = new Promise<null>((resolve) => setTimeout(resolve, DESCRIBE_TIMEOUT_MS, null).unref());
  const read = client()
    .then(async (c) => progressOfPending(c.options.loadedDataConverter, (await c.workflow.getHandle(workflowId, runId ?? undefined).describe()).raw.pendingActivities ?? []))
    .catch(() => null);
  return Promise.race([read, timeout]);
}

/**
 * A job's progress while it runs: its own run's, else (a workflow run waiting on an instance step) that
 * of the step's own job, which the run's page then shows as its current step's. Undefined when the job
 * does not run (nothing to ask Temporal).
 */
export async function jobProgress(db: Executor, job: Pick<JobRow['job'], 'id' | 'type' | 'state' | 'workflowId' | 'runId'>): Promise<JobProgress | null | undefined> {
  if (!RUNNING_STATES.includes(job.state)) return undefined;
  const own = await runProgress(getTemporalClient, job.workflowId, job.runId);
  if (own || job.type !== 'workflow_run') return own;
  const [step] = await db
    .select({ workflowId: jobs.workflowId, runId: jobs.runId })
    .from(jobs)
    .where(and(sql`${jobs.params}->>'workflowRunJobId' = ${job.id}`, inArray(jobs.state, RUNNING_STATES)))
    .orderBy(desc(jobs.createdAt))
    .limit(1);
  return step ? runProgress(getTemporalClient, step.workflowId, step.runId) : null;
}
