// The node status sweep in Temporal's time-skipping test server, its pass mocked (the pass itself, the
// SQL, is tested on real PostgreSQL in activities/nodes.test.ts): it passes again when the last pass said
// the next is due, keeps passing after a pass fails, and continues as new to keep its history bounded.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { NodeActivities, SweepResult } from '../activities/nodes.ts';
import { useTimeSkipping } from '../tests/jest/time-skipping.ts';
import { nodeStatusSweep } from './node-status-sweep.ts';

const ts = useTimeSkipping<NodeActivities>(fileURLToPath(new URL('./node-status-sweep.ts', import.meta.url)), ['sweepNodeStatuses']);

/** A pass that answers `next(n)` ms for its n-th call and notes the server's time of each. */
function passes(next: (n: number) => number | Error) {
  const at: number[] = [];
  return {
    at,
    activities: {
      async sweepNodeStatuses(): Promise<SweepResult> {
        at.push((await ts.env.currentTimeMs()) as number);
        const answer = next(at.length);
        if (answer instanceof Error) throw answer;
        return { stale: 0, offline: 0, nextInMs: answer };
      },
    },
  };
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i += 1) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
};

describe('the node status sweep (time-skipping)', () => {
  it('passes again when the previous pass said the next is due', () => {
    const gaps = [37_500, 4_000, 200, 22_000];
    const pass = passes((n) => gaps[n - 1] ?? 60_000);
    return ts.run(pass.activities, async () => {
      await ts.env.client.workflow.start(nodeStatusSweep, { workflowId: `sweep-${Math.random()}`, taskQueue: ts.taskQueue, args: [{}] });
      await waitFor(() => pass.at.length === 1);
      for (let n = 1; n <= gaps.length; n += 1) {
        await ts.env.sleep(gaps[n - 1]! + 100);
        await waitFor(() => pass.at.length === n + 1);
      }
      // Not before it is due, by the server's clock: the test's own real-time waits (slow on a loaded
      // machine) move that clock too, so a check of the count just before the due time would race.
      const spacing = pass.at.slice(1).map((t, i) => t - pass.at[i]!);
      spacing.forEach((s, i) => expect(s).toBeGreaterThanOrEqual(gaps[i]!));
      // And not much after: the long gap was slept through, not a fixed period.
      spacing.forEach((s, i) => expect(s).toBeLessThan(gaps[i]! + 15_000));
    });
  });

  it('keeps sweeping after a pass fails (Postgres away): the pass is retried until it lands', () => {
    const pass = passes((n) => (n === 2 || n === 3 ? new Error('connection refused') : 1_000));
    return ts.run(pass.activities, async () => {
      await ts.env.client.workflow.start(nodeStatusSweep, { workflowId: `sweep-${Math.random()}`, taskQueue: ts.taskQueue, args: [{}] });
      await waitFor(() => pass.at.length === 1);
      await ts.env.sleep('10 seconds');
      await waitFor(() => pass.at.length >= 5);
    });
  });

  it('continues as new after its passes per run, and goes on sweeping', () => {
    const pass = passes(() => 1_000);
    return ts.run(pass.activities, async () => {
      const handle = await ts.env.client.workflow.start(nodeStatusSweep, { workflowId: `sweep-${Math.random()}`, taskQueue: ts.taskQueue, args: [{ passesPerRun: 3 }] });
      const firstRun = handle.firstExecutionRunId;
      await waitFor(() => pass.at.length === 1);
      await ts.env.sleep('3 seconds');
      await waitFor(() => pass.at.length >= 4);
      const now = await handle.describe();
      expect(now.runId).not.toBe(firstRun);
      expect((await ts.env.client.workflow.getHandle(handle.workflowId, firstRun).describe()).status.name).toBe('CONTINUED_AS_NEW');
    });
  });
});
