// After an outage a schedule starts at most one catch-up run (issue 15: the AWX lesson, a year of missed
// runs must not flood the approvers). Temporal's time-skipping test server has no Schedules, so this file
// runs its own Temporal dev server and stops it for 20 s under a schedule of every 2 s with a 10-second
// catch-up window and overlap "skip": the times more than 10 s late are dropped by Temporal (counted as
// missed), the first one within the window starts one run (checked and launched like any other), and the
// later ones are skipped while it waits for a person. What this proves for a 3-day outage: Temporal drops
// every time older than the window whatever the outage's length, and "skip" lets at most one of the rest run.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { cancelJob } from '../../api/jobs/service.ts';
import { createSchedule, deleteSchedule, getSchedule } from '../../api/schedules/service.ts';
import { createDefinition } from '../../api/workflow-definitions/service.ts';
import { jobs } from '../../db/schema.ts';
import { startAgentStack, type AgentStack } from '../jest/agent-stack.ts';
import { ownControlPlaneQueue } from '../jest/control-plane.ts';
import { startOwnTemporal, type OwnTemporal } from '../jest/own-temporal.ts';
import { waitFor } from '../jest/wait-for.ts';

ownControlPlaneQueue(import.meta.url);

let temporal: OwnTemporal;
let stack: AgentStack;

beforeAll(async () => {
  temporal = await startOwnTemporal('schedule-catch-up');
  stack = await startAgentStack('schedule-catch-up', {}, { web: false });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await temporal?.stop();
});

it('runs once after a long outage: the times older than the catch-up window are missed, the rest skipped while that run waits', async () => {
  const { t, w } = stack;
  const acme = w.ctx(w.actors.acmeAdmin);
  const waits = await createDefinition(acme, { organizationId: w.acme.id, name: 'Waits', steps: [{ id: 'look', name: 'Look', kind: 'wait_for_person', message: 'look' }] });
  const startAt = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
  const s = await createSchedule(acme, {
    definitionId: waits.id,
    name: 'Every 2 s',
    spec: { kind: 'interval', everySeconds: 2 },
    catchupWindowSeconds: 10,
    startAt: startAt.toISOString(),
  });
  const runsOf = () =>
    t.db
      .select()
      .from(jobs)
      .where(sql`${jobs.params}->>'scheduleId' = ${s.id}`);
  await temporal.restart(20_000);
  const back = Date.now();
  const [run] = await waitFor(
    'the catch-up run',
    async () => {
      const rows = await runsOf();
      return rows.length ? rows : undefined;
    },
    30_000,
  );
  const scheduledAt = Date.parse(String(run!.params.scheduledAt));
  // A time within the window before Temporal came back (never one of the outage's first, older times).
  expect(scheduledAt).toBeGreaterThanOrEqual(back - 12_000);
  expect(scheduledAt - startAt.getTime()).toBeGreaterThanOrEqual(8_000);
  await new Promise((r) => setTimeout(r, 5000));
  expect(await runsOf()).toHaveLength(1);
  const described = await getSchedule(acme, s.id);
  expect(described.temporal!.missedCatchupWindow).toBeGreaterThanOrEqual(3);
  expect(described.temporal!.skippedOverlap).toBeGreaterThanOrEqual(2);
  await cancelJob(w.ctx(w.actors.admin), run!.id, {});
  await deleteSchedule(acme, s.id);
});
