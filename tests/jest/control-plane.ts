// The control-plane side of an integration test file: the real worker process on the file's own queue
// (other files run their own workers against their own databases, on the same Temporal server) and a
// Temporal client to start and inspect runs.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startProcess, type TestProcess } from './processes.ts';

/**
 * Gives the test file `fileUrl` (its import.meta.url) a control-plane queue of its own and makes it the
 * one this process's services use (CONTROL_PLANE_TASK_QUEUE). Call it at the top of the file.
 */
export function ownControlPlaneQueue(fileUrl: string): string {
  const queue = `control-plane-${path.basename(fileUrl, '.test.ts')}-${process.pid}`;
  process.env.CONTROL_PLANE_TASK_QUEUE = queue;
  return queue;
}

export interface TestControlPlane {
  worker: TestProcess;
  client: Client;
  stop(): Promise<void>;
}

/** Starts the control-plane worker with `env` (DATABASE_URL at least) and connects a client. */
export async function startControlPlane(env: NodeJS.ProcessEnv): Promise<TestControlPlane> {
  const worker = await startProcess('infra/control-plane-worker.ts', env, /control-plane worker polling/);
  const client = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }) });
  return {
    worker,
    client,
    async stop() {
      await worker.stop();
      await client.connection.close();
    },
  };
}
