// Where a job's time went, read from its run's history (event types, activity types and timestamps only:
// the payloads are encrypted and not needed): for each activity, the wait on its queue (scheduled →
// started) and its run (started → completed), and the workflow tasks between them.
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

const EventType = proto.temporal.api.enums.v1.EventType;

export interface Breakdown {
  /** Each stretch of the run in order: an activity's queue wait and run, or a workflow task. */
  steps: { what: string; ms: number }[];
  totalMs: number;
}

const at = (e: temporal.api.history.v1.IHistoryEvent) => Number(e.eventTime!.seconds) * 1000 + Math.round((e.eventTime!.nanos ?? 0) / 1e6);

export async function historyBreakdown(address: string, namespace: string, workflowId: string): Promise<Breakdown> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    const steps: Breakdown['steps'] = [];
    let wftScheduled: number | undefined;
    for (const e of events) {
      switch (e.eventType) {
        case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
          wftScheduled = at(e);
          break;
        case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
          if (wftScheduled !== undefined) steps.push({ what: 'workflow task', ms: at(e) - wftScheduled });
          break;
        case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
          const scheduled = byId.get(Number(e.activityTaskStartedEventAttributes!.scheduledEventId));
          const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity';
          const queue = scheduled?.activityTaskScheduledEventAttributes?.taskQueue?.name?.startsWith('node.') ? 'node queue' : 'control-plane queue';
          if (scheduled) steps.push({ what: `${name}: wait on the ${queue}`, ms: at(e) - at(scheduled) });
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
          const attrs = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes!;
          const started = byId.get(Number(attrs.startedEventId));
          const scheduled = byId.get(Number(attrs.scheduledEventId));
          const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity';
          if (started) steps.push({ what: `${name}: run`, ms: at(e) - at(started) });
          break;
        }
      }
    }
    return { steps, totalMs: events.length ? at(events.at(-1)!) - at(events[0]!) : 0 };
  } finally {
    await connection.close();
  }
}
