// Retired (ADR 0029): node status is decided by the control plane's sweep (workflows/node-status-sweep.ts)
// over Postgres, and heartbeats no longer signal anyone. What follows is kept so that runs from before
// replay: one per node (id `node-monitor.<nodeId>`) that was fed by the agent's heartbeats through
// signal-with-start and owned the node's status (online while beats arrived, stale after a few missed
// intervals, offline after more). A run on the current code ends at its first step, and a run from before
// ends the next time it wakes (a beat, a timer, a status write), writing nothing more: `patched()`
// records that in its history. Control-plane workers also terminate the ones still running at start.
import { condition, continueAsNew, defineQuery, defineSignal, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
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

/** What a retired monitor answers: that the sweep decides now, and the last beat it had seen. */
export interface RetiredNodeMonitor {
  retired: 'node status is decided by the node status sweep (ADR 0029)';
  status: MonitoredStatus;
  lastBeat: Heartbeat | null;
}

/** The patch that retires monitors; its marker in a run's history says where that run ended. */
export const SWEEP_REPLACES_MONITORS = 'node-status-by-sweep';

export const heartbeatSignal = defineSignal<[Heartbeat]>('heartbeat');
export const nodeMonitorStateQuery = defineQuery<NodeMonitorState>('state');

// Writing a status is idempotent (a conditional UPDATE), so it may retry for a long while.
const { setNodeStatus } = proxyActivities<NodeActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' }, // no maximumAttempts: until it lands
});

export async function nodeMonitor(input: NodeMonitorInput): Promise<RetiredNodeMonitor | undefined> {
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

  const retired = (): RetiredNodeMonitor | undefined =>
    patched(SWEEP_REPLACES_MONITORS) ? { retired: 'node status is decided by the node status sweep (ADR 0029)', status, lastBeat } : undefined;

  for (;;) {
    const before = retired();
    if (before) return before;
    // How long to wait for the next beat before the status changes, from the current status.
    const waitMs = status === 'online' ? staleAfter : status === 'stale' ? offlineAfter - staleAfter : undefined;
    const beat = waitMs === undefined ? (await condition(() => unhandled > 0), true) : await condition(() => unhandled > 0, waitMs);
    const woken = retired();
    if (woken) return woken;
    let revoked = false;
    if (beat) {
      unhandled = 0;
      if (status !== 'online') revoked = await moveTo('online', `heartbeat from agent ${lastBeat?.agentVersion ?? ''}`.trim());
    } else if (status === 'online') {
      revoked = await moveTo('stale', `no heartbeat for ${Math.round(staleAfter / 1000)} s`);
    } else if (status === 'stale') {
      revoked = await moveTo('offline', `no heartbeat for ${Math.round(offlineAfter / 1000)} s`);
    }
    if (revoked) return undefined; // a revoked node is not monitored; re-enrolling starts a new monitor
    if (unhandled === 0 && (beatsThisRun >= beatsPerRun || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof nodeMonitor>({ ...input, carried: { status, lastBeat } });
    }
  }
}
