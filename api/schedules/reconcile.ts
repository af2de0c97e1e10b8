// Postgres is the record of schedules; Temporal holds a copy that runs them. At start-up the control-plane
// worker makes the copy match (issue 15: the two never disagree for long, and the worker says what it
// fixed): a row without a Temporal Schedule gets one; a Temporal Schedule of ours (our prefix, our task
// queue: other deployments' and test files' queues share a Temporal namespace) without a live row is
// deleted; a spec, policy, action or paused state that differs is written back from the row.
import type { Client } from '@temporalio/client';
import { isNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.ts';
import { schedules } from '../../db/schema.ts';
import { controlPlaneTaskQueue } from '../temporal-client.ts';
import { applyToTemporal, TEMPORAL_SCHEDULE_PREFIX } from './temporal-schedule.ts';

export interface ReconcileReport {
  created: string[];
  updated: { scheduleId: string; changed: string[] }[];
  deleted: string[];
  failed: { scheduleId: string; error: string }[];
}

export async function reconcileSchedules(db: Db, client: Client, log: Logger): Promise<ReconcileReport> {
  const report: ReconcileReport = { created: [], updated: [], deleted: [], failed: [] };
  const rows = await db.select().from(schedules).where(isNull(schedules.deletedAt));
  const live = new Set(rows.map((r) => `${TEMPORAL_SCHEDULE_PREFIX}${r.id}`));
  for (const row of rows) {
    try {
      const { created, changed } = await applyToTemporal(client, row);
      if (created) {
        report.created.push(row.id);
        log.info({ scheduleId: row.id, fix: 'created' }, 'schedule reconciled: Temporal had no schedule for it');
      } else if (changed.length) {
        report.updated.push({ scheduleId: row.id, changed });
        log.info({ scheduleId: row.id, fix: 'updated', changed }, 'schedule reconciled: Temporal’s copy differed from Postgres');
      }
    } catch (err) {
      report.failed.push({ scheduleId: row.id, error: (err as Error).message });
      log.error({ scheduleId: row.id, err }, 'schedule could not be reconciled');
    }
  }
  for await (const summary of client.schedule.list()) {
    const id = summary.scheduleId;
    if (!id.startsWith(TEMPORAL_SCHEDULE_PREFIX) || live.has(id)) continue;
    try {
      // The raw description: its task queue says whose it is, and another installation's payloads (encrypted
      // under keys not stored here) need not, and cannot, be decoded to know that.
      const raw = await client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId: id });
      if (raw.schedule?.action?.startWorkflow?.taskQueue?.name !== controlPlaneTaskQueue()) continue;
      await client.schedule.getHandle(id).delete();
      report.deleted.push(id);
      log.info({ temporalScheduleId: id, fix: 'deleted' }, 'schedule reconciled: no live schedule in Postgres has this Temporal Schedule');
    } catch (err) {
      report.failed.push({ scheduleId: id, error: (err as Error).message });
      log.error({ temporalScheduleId: id, err }, 'Temporal Schedule could not be reconciled');
    }
  }
  log.info(
    { created: report.created.length, updated: report.updated.length, deleted: report.deleted.length, failed: report.failed.length, checked: rows.length },
    'schedules reconciled',
  );
  return report;
}
