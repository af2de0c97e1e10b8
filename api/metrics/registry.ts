// The web process's Prometheus registry: Node's process metrics (prom-client's defaults) and the counters
// the process itself increments (heartbeats). Kept on globalThis, as the database pool is (db/client.ts): the
// web process may load this module twice (web/server.ts and the console's server bundle), and a metric
// registered twice under one name is an error.
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

export interface ProcessMetrics {
  registry: Registry;
  /** Heartbeats the API accepted from agents. */
  heartbeatsReceived: Counter;
  /** Of those, the ones that came after the node had turned stale (api/agents/heartbeat.ts says when). */
  heartbeatsLate: Counter;
}

const holder = globalThis as { __anthropyMetrics?: ProcessMetrics };

export function processMetrics(): ProcessMetrics {
  if (holder.__anthropyMetrics) return holder.__anthropyMetrics;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  holder.__anthropyMetrics = {
    registry,
    heartbeatsReceived: new Counter({ name: 'anthropy_node_heartbeats_received_total', help: 'Node heartbeats this web process accepted', registers }),
    heartbeatsLate: new Counter({
      name: 'anthropy_node_heartbeats_late_total',
      help: 'Node heartbeats this web process accepted after the node had turned stale (its previous one older than NODE_STALE_AFTER_MISSED intervals, or its status stale or offline)',
      registers,
    }),
  };
  return holder.__anthropyMetrics;
}
