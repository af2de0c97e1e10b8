// What a schedule's Temporal Schedule starts (issue 15): its input is the schedule's id and nothing else is
// taken from it. The launcher activity decides in Postgres whether this run may start anything (that the
// Temporal Schedule of that very row started it, at one of the row's times or for a trigger or backfill a
// person asked for, that the row is not paused, deleted or ended, that its owner may still run the
// workflow) and starts the workflow run as a normal job; this workflow then waits for that job to end, so
// that Temporal's overlap policy and pause-on-failure apply to the run itself, not to its launch. A run
// that fails, is blocked, expires or is rejected fails this workflow; a launch refused for its caller (a
// raw Temporal client's own start, a forged trigger) ends it quietly, audited, so it cannot pause the
// schedule on anyone's behalf.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ScheduleActivities } from '../activities/schedules.ts';

const launches = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 10 },
});
// The run may wait hours for its approvals: a heartbeating wait that a restarted worker picks up again.
const waits = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: '31 days',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute' },
});

export interface ScheduledRunInput {
  scheduleId: string;
}

export type ScheduledRunResult = { outcome: 'completed'; jobId: string } | { outcome: 'not_started'; reason: string };

export async function scheduledRun(input: ScheduledRunInput): Promise<ScheduledRunResult> {
  const launched = await launches.launchScheduledRun({ scheduleId: String(input?.scheduleId ?? '') });
  if (launched.outcome === 'not_started') return launched;
  const ended = await waits.awaitScheduledRunEnd({ jobId: launched.jobId });
  if (ended.state !== 'completed') throw ApplicationFailure.nonRetryable(`run ${launched.jobId} ${ended.state}: ${ended.reason}`, 'ScheduledRunFailed');
  return { outcome: 'completed', jobId: launched.jobId };
}
