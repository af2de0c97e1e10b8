// The control-plane worker process: polls the `control-plane` task queue and runs the workflows in
// workflows/ with the activities in activities/ (database, policy, audit, signing node jobs).
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { reconcileSchedules } from '../api/schedules/reconcile.ts';
import { controlPlaneTaskQueue } from '../api/temporal-client.ts';
import { closeDb, getDb } from '../db/client.ts';
import { PROGRESS_HEARTBEAT_THROTTLE } from '../protocol/step-progress.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { retireNodeMonitors, startNodeStatusSweep } from './node-status-sweep.ts';
import { assertConfiguredKekMatches } from './secrets/startup-check.ts';
import { temporalDataConverter } from './temporal-codec.ts';
import { connectTemporal, connectTemporalWorker, temporalTlsSummary } from './temporal-connection.ts';
import { installTemporalLogging } from './temporal-logging.ts';
import { startWorkerHealthServer } from './worker-health.ts';

const log = createLogger('control-plane-worker');
const config = loadConfig();

// The SDK's worker metrics (temporal_…) on loopback only: its exporter has no authentication (ADR 0025).
installTemporalLogging(log, config.WORKER_METRICS_PORT ? { metricsAddress: `127.0.0.1:${config.WORKER_METRICS_PORT}` } : {});

async function main() {
  // Activities open connection credentials: a SECRETS_KEY that did not wrap the data keys is refused at start.
  await assertConfiguredKekMatches(getDb());
  // Bundle first with a quiet logger: the bundler reports the whole webpack build at INFO.
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    logger: new DefaultLogger('WARN', (entry) => log.warn(entry.meta ?? {}, entry.message)),
  });
  const connection = await connectTemporalWorker(config);
  const client = await connectTemporal(config);
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: controlPlaneTaskQueue(),
    workflowBundle,
    // Every payload it sends is encrypted under its run's organization's key, and decrypted on the way in (ADR 0016).
    dataConverter: temporalDataConverter({ db: getDb }),
    activities: createActivities({ db: getDb(), temporal: client, namespace: config.TEMPORAL_NAMESPACE }),
    // A long step's progress (a Drive listing's pages) reaches the console within seconds (ADR 0022).
    ...PROGRESS_HEARTBEAT_THROTTLE,
  });
  // Temporal's schedules are made to match Postgres's before any scheduled run is taken (a failure is logged, not fatal).
  const scheduleClient = new Client({ connection: client, namespace: config.TEMPORAL_NAMESPACE, dataConverter: temporalDataConverter({ db: getDb }) });
  await reconcileSchedules(getDb(), scheduleClient, log).catch((err: unknown) => log.error({ err }, 'schedules could not be reconciled'));
  // Node status: the one sweep of this control plane running (a failure to start it is fatal: no node
  // would turn stale), and the per-node monitors it replaced ended (ADR 0029).
  const sweepRun = await startNodeStatusSweep(scheduleClient, controlPlaneTaskQueue());
  await retireNodeMonitors(scheduleClient, controlPlaneTaskQueue(), log).catch((err: unknown) => log.error({ err }, 'node monitors could not be retired'));
  const health = config.WORKER_HEALTH_PORT ? await startWorkerHealthServer({ port: config.WORKER_HEALTH_PORT, worker, client: scheduleClient, log }) : undefined;
  log.info(
    {
      taskQueue: controlPlaneTaskQueue(),
      identity: worker.options.identity,
      nodeStatusSweep: sweepRun,
      address: config.temporalAddress,
      tls: temporalTlsSummary(config),
      ...(config.WORKER_METRICS_PORT ? { metrics: `http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics` } : {}),
    },
    'control-plane worker polling',
  );
  await worker.run(); // returns after SIGINT/SIGTERM, once in-flight tasks are done
  health?.close();
  await client.close();
  await connection.close();
  await closeDb();
  log.info('control-plane worker stopped');
}

main().catch((err) => {
  log.fatal({ err }, 'control-plane worker failed');
  process.exit(1);
});
