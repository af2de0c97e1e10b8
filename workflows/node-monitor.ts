// One long-running workflow per node (id `node-monitor.<nodeId>`), fed by the agent's heartbeats through
// signal-with-start. It owns the node's status: online while beats arrive, stale after a few missed
// intervals, offline after more; a grace period keeps one late beat from flapping the status. The
// report itself is stored by the API that received it, so each beat adds only a signal to the history,
// and the workflow continues as new every few hundred beats to keep its history bounded.
import { condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { NodeActivities } from '../activities/nodes.ts';

export interface Heartbeat {
  at: string;
  agentVersion: string;
}
export type MonitoredStatus = 'pending' | 'online' | 'stale' | 'offline';

export interface NodeMonitorInput {
  nodeId: string;
  intervalSeconds: number;
  staleAfterMissed: number;
  offlineAfterMissed: number;
  /** Beats handled before continuing as new (a few hundred in production; small in tests). */
  beatsPerRun?: number;
  /** Carried across continue-as-new. */
  carried?: { status: MonitoredStatus; lastBeat: Heartbeat | null };
}

export interface NodeMonitorState {
  status: MonitoredStatus;
  lastBeat: Heartbeat | null;
  beatsThisRun: number;
}

export const heartbeatSignal = defineSignal<[Heartbeat]>('heartbeat');
export const nodeMonitorStateQuery = defineQuery<NodeMonitorState>('state');

// Writing a status is idempotent (a conditional UPDATE), so it may retry for a long while.
const { setNodeStatus } = proxyActivities<NodeActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' }, // no maximumAttempts: until it lands
});

export async function nodeMonitor(input: NodeMonitorInput): Promise<void> {
  const interval = input.intervalSeconds * 1000;
  const grace = Math.min(interval / 2, 10_000);
  const staleAfter = interval * input.staleAfterMissed + grace;
  const offlineAfter = interval * input.offlineAfterMissed + grace;
  const beatsPerRun = input.beatsPerRun ?? 500;

  let status: MonitoredStatus = input.carried?.status ?? 'pending';
  let lastBeat: Heartbeat | null = input.carried?.lastBeat ?? null;
  let beatsThisRun = 0;
  let unhandled = 0;
  setHandler(heartbeatSignal, (beat) => {
    lastBeat = beat;
    beatsThisRun += 1;
    unhandled += 1;
  });
  setHandler(nodeMonitorStateQuery, () => ({ status, lastBeat, beatsThisRun }));

  const moveTo = async (next: MonitoredStatus, reason: string): Promise<boolean> => {
    const { revoked, refused } = await setNodeStatus({ nodeId: input.nodeId, status: next, reason });
    // Refused: Postgres holds no verified report that agrees (a forged signal, say); the status stays.
    if (!refused) status = next;
    return revoked;
  };

  for (;;) {
    // How long to wait for the next beat before the status changes, from the current status.
    const waitMs = status === 'online' ? staleAfter : status === 'stale' ? offlineAfter - staleAfter : undefined;
    const beat = waitMs === undefined ? (await condition(() => unhandled > 0), true) : await condition(() => unhandled > 0, waitMs);
    let revoked = false;
    if (beat) {
      unhandled = 0;
      if (status !== 'online') revoked = await moveTo('online', `heartbeat from agent ${lastBeat?.agentVersion ?? ''}`.trim());
    } else if (status === 'online') {
      revoked = await moveTo('stale', `no heartbeat for ${Math.round(staleAfter / 1000)} s`);
    } else if (status === 'stale') {
      revoked = await moveTo('offline', `no heartbeat for ${Math.round(offlineAfter / 1000)} s`);
    }
    if (revoked) return; // a revoked node is not monitored; re-enrolling starts a new monitor
    if (unhandled === 0 && (beatsThisRun >= beatsPerRun || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof nodeMonitor>({ ...input, carried: { status, lastBeat } });
    }
  }
}
