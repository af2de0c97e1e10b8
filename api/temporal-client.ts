// The console's Temporal client and the links into Temporal Web.
import { Client, Connection } from '@temporalio/client';
import { CONTROL_PLANE_TASK_QUEUE } from '../workflows/task-queues.ts';

const address = () => process.env.TEMPORAL_ADDRESS ?? `127.0.0.1:${process.env.TEMPORAL_PORT ?? 7233}`;
/**
 * The control-plane worker's queue: `control-plane`, unless CONTROL_PLANE_TASK_QUEUE names another (test
 * files that run their own worker against their own database each use their own queue).
 */
export const controlPlaneTaskQueue = () => process.env.CONTROL_PLANE_TASK_QUEUE || CONTROL_PLANE_TASK_QUEUE;
export const temporalNamespace = () => process.env.TEMPORAL_NAMESPACE ?? 'default';
export const temporalWebUrl = () => process.env.TEMPORAL_UI_URL ?? `http://localhost:${process.env.TEMPORAL_UI_PORT ?? 8233}`;

let client: Promise<Client> | undefined;

export function getTemporalClient(): Promise<Client> {
  client ??= Connection.connect({ address: address() })
    .then((connection) => new Client({ connection, namespace: temporalNamespace() }))
    .catch((err) => { client = undefined; throw err; });
  return client;
}

export function workflowRunUrl(workflowId: string, runId?: string | null): string {
  const base = `${temporalWebUrl()}/namespaces/${encodeURIComponent(temporalNamespace())}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}
