// The retired node monitor (ADR 0029) in Temporal's time-skipping test server: a run on the current code,
// however it is started (the API no longer starts any; a raw client may), ends at its first step with
// what it was given and writes no status, whatever time passes. Runs from before are replayed by
// tests/replay/replay.test.ts against this code.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { NodeActivities } from '../activities/nodes.ts';
import { callLog, useTimeSkipping } from '../tests/jest/time-skipping.ts';
import { heartbeatSignal, nodeMonitor, SWEEP_REPLACES_MONITORS, type Heartbeat } from './node-monitor.ts';

const ts = useTimeSkipping<NodeActivities>(fileURLToPath(new URL('./node-monitor.ts', import.meta.url)), ['setNodeStatus']);

type StatusWrite = Parameters<NodeActivities['setNodeStatus']>[0];
const settings = { intervalSeconds: 15, staleAfterMissed: 2, offlineAfterMissed: 5 };
const beat = (n: number): Heartbeat => ({ at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), agentVersion: '0.3.1' });

function statusWrites() {
  const log = callLog<StatusWrite>();
  return {
    writes: log.calls,
    activities: {
      async setNodeStatus(input: StatusWrite) {
        log.add(input);
        return { changed: true, revoked: false };
      },
    },
  };
}

describe('the retired node monitor (time-skipping)', () => {
  it('ends at its first step when a heartbeat starts it, writing no status, and says why in its result', () => {
    const record = statusWrites();
    return ts.run(record.activities, async () => {
      const nodeId = `node-${Math.random().toString(36).slice(2)}`;
      const handle = await ts.env.client.workflow.signalWithStart(nodeMonitor, {
        workflowId: `node-monitor.${nodeId}`,
        taskQueue: ts.taskQueue,
        args: [{ nodeId, ...settings }],
        signal: heartbeatSignal,
        signalArgs: [beat(0)],
      });
      expect(await handle.result()).toEqual({ retired: 'node status is decided by the node status sweep (ADR 0029)', status: 'pending', lastBeat: beat(0) }); // the signal is handled before the run's first step
      await ts.env.sleep('5 minutes');
      expect(record.writes).toEqual([]);
      // Its history records the patch, which is where a run from before would have ended too.
      const markers = (await handle.fetchHistory()).events?.filter((e) => e.markerRecordedEventAttributes) ?? [];
      expect(markers.map((m) => m.markerRecordedEventAttributes?.markerName)).toEqual(['core_patch']);
      const patch = markers[0]?.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      expect(JSON.parse(Buffer.from(patch ?? []).toString('utf8'))).toMatchObject({ id: SWEEP_REPLACES_MONITORS });
    });
  });

  it('answers what it carried from a run before it continued as new', () => {
    const record = statusWrites();
    return ts.run(record.activities, async () => {
      const nodeId = `node-${Math.random().toString(36).slice(2)}`;
      const handle = await ts.env.client.workflow.start(nodeMonitor, {
        workflowId: `node-monitor.${nodeId}`,
        taskQueue: ts.taskQueue,
        args: [{ nodeId, ...settings, carried: { status: 'stale', lastBeat: beat(7) } }],
      });
      expect(await handle.result()).toMatchObject({ status: 'stale', lastBeat: beat(7) });
      expect(record.writes).toEqual([]);
    });
  });
});
