// A node's monitor in Temporal's time-skipping test server with the status write mocked: minutes of
// missed heartbeats pass in moments, and each status the monitor writes is checked with its reason.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { NodeActivities } from '../activities/nodes.ts';
import { callLog, useTimeSkipping } from '../tests/jest/time-skipping.ts';
import { heartbeatSignal, nodeMonitor, nodeMonitorStateQuery, type Heartbeat, type MonitoredStatus, type NodeMonitorInput } from './node-monitor.ts';

const ts = useTimeSkipping<NodeActivities>(fileURLToPath(new URL('./node-monitor.ts', import.meta.url)), ['setNodeStatus']);

type StatusWrite = Parameters<NodeActivities['setNodeStatus']>[0];

// Every 15 s; stale after 2 missed beats and offline after 5, each plus a grace of half an interval:
// stale 37.5 s and offline 82.5 s after the last beat.
const settings = { intervalSeconds: 15, staleAfterMissed: 2, offlineAfterMissed: 5 };
const beat = (n: number): Heartbeat => ({ at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), agentVersion: '0.3.1' });

/** The mocked status write; `revoked` answers as the database would for a revoked node. */
function statusWrites(revoked = false) {
  const log = callLog<StatusWrite>();
  return {
    writes: log.calls,
    when: log.when,
    activities: {
      async setNodeStatus(input: StatusWrite) {
        log.add(input);
        return { changed: true, revoked };
      },
    },
  };
}

/** Starts the node's monitor with its first heartbeat, as the API does when an agent reports. */
async function monitor(over: Partial<NodeMonitorInput> = {}) {
  const nodeId = `node-${Math.random().toString(36).slice(2)}`;
  await ts.env.client.workflow.signalWithStart(nodeMonitor, {
    workflowId: `node-monitor.${nodeId}`,
    taskQueue: ts.taskQueue,
    args: [{ nodeId, ...settings, ...over }],
    signal: heartbeatSignal,
    signalArgs: [beat(0)],
  });
  return { nodeId, handle: ts.env.client.workflow.getHandle(`node-monitor.${nodeId}`) };
}

const status = async (handle: ReturnType<typeof ts.env.client.workflow.getHandle>) => (await handle.query(nodeMonitorStateQuery)).status;

/** The monitor's status once its write has landed (the query answers after the run's step). */
async function settled(handle: ReturnType<typeof ts.env.client.workflow.getHandle>, expected: MonitoredStatus): Promise<void> {
  for (let i = 0; i < 250 && (await status(handle)) !== expected; i += 1) await new Promise((r) => setTimeout(r, 20));
  expect(await status(handle)).toBe(expected);
}

describe('the node monitor (time-skipping)', () => {
  it('turns a node online on its first beat, stale after the missed beats, offline after more, and online again on a beat', () => {
    const record = statusWrites();
    return ts.run(record.activities, async () => {
      const { nodeId, handle } = await monitor();
      expect(await record.when((w) => w.status === 'online')).toEqual({ nodeId, status: 'online', reason: 'heartbeat from agent 0.3.1' });
      await settled(handle, 'online');

      await ts.env.sleep('30 seconds');
      expect(await status(handle)).toBe('online');
      await ts.env.sleep('10 seconds');
      expect(await record.when((w) => w.status === 'stale')).toEqual({ nodeId, status: 'stale', reason: 'no heartbeat for 38 s' });
      await settled(handle, 'stale');

      await ts.env.sleep('35 seconds'); // 75 s after the last beat
      expect(await status(handle)).toBe('stale');
      await ts.env.sleep('10 seconds');
      expect(await record.when((w) => w.status === 'offline')).toEqual({ nodeId, status: 'offline', reason: 'no heartbeat for 83 s' });
      await settled(handle, 'offline');

      // Offline waits for the next beat however long it takes.
      await ts.env.sleep('7 days');
      expect(record.writes.map((w) => w.status)).toEqual(['online', 'stale', 'offline']);
      await handle.signal(heartbeatSignal, beat(1));
      await settled(handle, 'online');
      expect(record.writes.map((w) => w.status)).toEqual(['online', 'stale', 'offline', 'online']);
    });
  });

  it('stays online while beats keep coming, writing nothing more', () => {
    const record = statusWrites();
    return ts.run(record.activities, async () => {
      const { handle } = await monitor();
      await settled(handle, 'online');
      for (let n = 1; n <= 4; n += 1) {
        await ts.env.sleep('15 seconds');
        await handle.signal(heartbeatSignal, beat(n));
      }
      await ts.env.sleep('30 seconds');
      expect(await status(handle)).toBe('online');
      expect((await handle.query(nodeMonitorStateQuery)).lastBeat).toEqual(beat(4));
      expect(record.writes.map((w) => w.status)).toEqual(['online']);
    });
  });

  it('continues as new after its beats per run, keeping the status and the last beat', () => {
    const record = statusWrites();
    return ts.run(record.activities, async () => {
      const { handle } = await monitor({ beatsPerRun: 3 });
      await settled(handle, 'online');
      const firstRun = (await handle.describe()).runId;
      await handle.signal(heartbeatSignal, beat(1));
      await handle.signal(heartbeatSignal, beat(2));

      for (let i = 0; i < 250 && (await handle.describe()).runId === firstRun; i += 1) await new Promise((r) => setTimeout(r, 20));
      expect((await handle.describe()).runId).not.toBe(firstRun);
      expect(await handle.query(nodeMonitorStateQuery)).toEqual({ status: 'online', lastBeat: beat(2), beatsThisRun: 0 });
      expect(record.writes.map((w) => w.status)).toEqual(['online']); // the new run writes nothing to stay online

      // The new run still counts the missed beats from its start.
      await ts.env.sleep('40 seconds');
      expect(await record.when((w) => w.status === 'stale')).toMatchObject({ status: 'stale' });
    });
  });

  it('stops monitoring a node that was revoked', () => {
    const record = statusWrites(true);
    return ts.run(record.activities, async () => {
      const { handle } = await monitor();
      await expect(handle.result()).resolves.toBeUndefined();
      expect(record.writes.map((w) => w.status)).toEqual(['online']);
    });
  });
});
