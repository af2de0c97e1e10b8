// How the tests run a Temporal dev server of their own: headless, on free ports, its history and its log
// in a folder of the test run's. The run's shared server and a file's own (to restart it) alike.
import path from 'node:path';
import { freePort } from '../../infra/ports.ts';
import type { startTemporalDevServer } from '../../infra/services/temporal-server.ts';

export type TemporalOptions = Parameters<typeof startTemporalDevServer>[0];

export async function testTemporalOptions(dir: string, cli: string): Promise<TemporalOptions> {
  return {
    cli,
    dbFile: path.join(dir, 'temporal.sqlite'),
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    logFile: path.join(dir, 'temporal.log'),
    headless: true,
  };
}
