// The Temporal SDK's own log lines (worker state, poller errors) as structured pino entries of the
// process's logger, instead of the SDK's console format, and, when asked, the SDK's worker metrics on a
// Prometheus endpoint of its own. Called once per process, before any Worker: the runtime is installed once.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** `metricsAddress`: where the SDK's Prometheus exporter listens (host:port; the control-plane worker's WORKER_METRICS_PORT on loopback). */
export function installTemporalLogging(log: Logger, opts: { metricsAddress?: string } = {}): void {
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => log[PINO_LEVEL[entry.level]]({ ...entry.meta, sdk: true }, entry.message)),
    // Series named temporal_… with a _total suffix on counters and seconds for durations, as Prometheus names them.
    ...(opts.metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: opts.metricsAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } }
      : {}),
  });
}
