// The console's Temporal client (its payloads encrypted by the codec) and the links into Temporal Web.
// Settings are read on each call (infra/config.ts), not at import: test files set theirs before use.
import { Client } from '@temporalio/client';
import { getDb } from '../db/client.ts';
import { loadConfig } from '../infra/config.ts';
import { temporalDataConverter } from '../infra/temporal-codec.ts';
import { connectTemporal } from '../infra/temporal-connection.ts';
import { CONTROL_PLANE_TASK_QUEUE } from '../workflows/task-queues.ts';

/**
 * The control-plane worker's queue: `control-plane`, unless CONTROL_PLANE_TASK_QUEUE names another (test
 * files that run their own worker against their own database each use their own queue).
 */
export const controlPlaneTaskQueue = () => loadConfig().CONTROL_PLANE_TASK_QUEUE ?? CONTROL_PLANE_TASK_QUEUE;
export const temporalNamespace = () => loadConfig().TEMPORAL_NAMESPACE;
export const temporalWebUrl = () => loadConfig().temporalUiUrl;

let client: Promise<Client> | undefined;

export function getTemporalClient(): Promise<Client> {
  client ??= connectTemporal(loadConfig())
    // Payloads are encrypted per organization before they leave this process (ADR 0016).
    .then((connection) => new Client({ connection, namespace: temporalNamespace(), dataConverter: temporalDataConverter({ db: getDb }) }))
    .catch((err) => {
      client = undefined;
      throw err;
    });
  return client;
}

export function workflowRunUrl(workflowId: string, runId?: string | null): string {
  return workflowRunLinks()(workflowId, runId);
}

/**
 * Links to many runs with the settings read once: reading them parses the environment (about 0.07 ms), and a
 * list of 50 jobs read them twice a row (docs/benchmarks/big-lists.md).
 */
export function workflowRunLinks(): (workflowId: string, runId?: string | null) => string {
  const prefix = `${temporalWebUrl()}/namespaces/${encodeURIComponent(temporalNamespace())}/workflows/`;
  return (workflowId, runId) => {
    const base = prefix + encodeURIComponent(workflowId);
    return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
  };
}
