// The Temporal SDK's own log lines (worker state, poller errors) as structured pino entries of the
// process's logger, instead of the SDK's console format. Called once per process, before any Worker.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function installTemporalLogging(log: Logger): void {
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => log[PINO_LEVEL[entry.level]]({ ...entry.meta, sdk: true }, entry.message)),
  });
}
