// The control-plane side of an integration test file: the real worker process on the file's own queue
// (other files run their own workers against their own databases, on the same Temporal server) and a
// Temporal client to start and inspect runs, with the product's payload codec on the file's database (a
// `rawClient` without it sees what Temporal stores, as a rogue client with Temporal access would).
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { createDb } from '../../db/client.ts';
import { temporalPayloadCodec } from '../../infra/temporal-codec.ts';
import { recordQueue } from '../replay/record-histories.ts';
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
  rawClient: Client;
  /** The product's codec on the file's database, to read payloads of a raw history. */
  codec: PayloadCodec;
  /** Closes the clients and their database pool (the worker left as it is: a test may have killed it). */
  closeClients(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the control-plane worker with `env` (DATABASE_URL at least) and connects a client. */
export async function startControlPlane(env: NodeJS.ProcessEnv): Promise<TestControlPlane> {
  const worker = await startProcess('infra/control-plane-worker.ts', env, /control-plane worker polling/);
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const db = createDb(env.DATABASE_URL!, { max: 2 });
  const codec = temporalPayloadCodec({ db: () => db });
  const client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
  const closeClients = async () => {
    // With RECORD_HISTORIES=1, this file's runs are kept for the replay test (tests/replay/).
    const queue = env.CONTROL_PLANE_TASK_QUEUE ?? process.env.CONTROL_PLANE_TASK_QUEUE;
    if (queue) await recordQueue(client, queue, path.basename(queue.replace(/-\d+$/, '')), codec);
    await connection.close();
    await db.$client.end({ timeout: 5 });
  };
  return {
    worker,
    client,
    rawClient: new Client({ connection }),
    codec,
    closeClients,
    async stop() {
      await worker.stop();
      await closeClients();
    },
  };
}
