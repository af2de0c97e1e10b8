// The control-plane worker's readiness, for an orchestrator or an operator (WORKER_HEALTH_PORT, loopback):
// `/healthz` answers while the process runs; `/readyz` answers 200 only while the worker is RUNNING and
// Temporal lists this worker's identity among the pollers of its queue, for workflow and activity tasks
// both: the proof that the work it is there for reaches it. Else 503, naming what is missing.
import http from 'node:http';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from 'pino';

const { TaskQueueType } = proto.temporal.api.enums.v1;
const DEADLINE_MS = 2_000;

export interface PollingWorker {
  getState(): string;
  readonly options: { identity: string; taskQueue: string; namespace: string };
}

export async function workerReadiness(worker: PollingWorker, client: Client): Promise<{ ready: boolean; state: string; missing: string[] }> {
  const state = worker.getState();
  if (state !== 'RUNNING') return { ready: false, state, missing: [`the worker is ${state}, not RUNNING`] };
  const { identity, taskQueue, namespace } = worker.options;
  const missing: string[] = [];
  for (const [kind, taskQueueType] of [
    ['workflow', TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
    ['activity', TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
  ] as const) {
    try {
      const { pollers } = await client.connection.withDeadline(Date.now() + DEADLINE_MS, () =>
        client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType }),
      );
      if (!pollers?.some((p) => p.identity === identity)) missing.push(`${identity} is not among the ${kind} pollers of ${taskQueue}`);
    } catch (err) {
      missing.push(`Temporal did not describe ${taskQueue} (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return { ready: missing.length === 0, state, missing };
}

/** Listens on 127.0.0.1:`port`; resolves once listening. */
export async function startWorkerHealthServer(opts: { port: number; worker: PollingWorker; client: Client; log: Logger }): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { error: 'GET only' });
    if (req.url === '/healthz') return send(200, { status: 'alive' });
    if (req.url !== '/readyz') return send(404, { error: 'GET /healthz or /readyz' });
    workerReadiness(opts.worker, opts.client).then(
      (r) =>
        send(r.ready ? 200 : 503, {
          status: r.ready ? 'ready' : 'not ready',
          state: r.state,
          identity: opts.worker.options.identity,
          taskQueue: opts.worker.options.taskQueue,
          missing: r.missing,
        }),
      (err: unknown) => send(503, { status: 'not ready', missing: [(err as Error).message] }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  opts.log.info({ url: `http://127.0.0.1:${opts.port}/readyz` }, 'worker health listening');
  return server;
}
