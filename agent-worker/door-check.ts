// Whether this agent can poll its queue, as `agent-worker status` asks it: through the agent door with the
// agent's own credential (as `run` connects), a description of its own task queue, the one read the door
// allows an agent besides its work (infra/agent-door/allowed-calls.ts). The answer also lists the queue's
// pollers: the running agent is among them.
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { AgentConfig } from './config.ts';
import { doorConnectionOptions } from './door-connection.ts';

const { TaskQueueType } = proto.temporal.api.enums.v1;
const TIMEOUT_MS = 5_000;

export type DoorCheck =
  | { ok: true; pollers: { identity: string; lastAccessTime: Date | undefined }[] }
  /** `refused`: the door answered and said no (the credential, the queue); else it did not answer. */
  | { ok: false; refused: boolean; reason: string };

const GRPC = { UNAVAILABLE: 14, DEADLINE_EXCEEDED: 4, PERMISSION_DENIED: 7, UNAUTHENTICATED: 16 } as const;

function failure(err: unknown): DoorCheck {
  const e = err as { code?: number; details?: string; message?: string; cause?: { code?: number; details?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const details = e.details ?? e.cause?.details ?? e.cause?.message ?? e.message ?? String(err);
  const refused = code === GRPC.PERMISSION_DENIED || code === GRPC.UNAUTHENTICATED;
  return { ok: false, refused, reason: details.split('\n')[0]! };
}

const dateOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)) : undefined);

export async function checkDoor(
  config: Pick<AgentConfig, 'temporalAddress' | 'temporalTls' | 'temporalTlsServerCa' | 'temporalNamespace' | 'taskQueue'>,
  credential: string,
): Promise<DoorCheck> {
  let connection: Connection | undefined;
  try {
    const { address, apiKey, tls } = doorConnectionOptions(config, credential);
    connection = await Connection.connect({ address, apiKey, tls, connectTimeout: TIMEOUT_MS });
    const { pollers } = await connection.withDeadline(Date.now() + TIMEOUT_MS, () =>
      connection!.workflowService.describeTaskQueue({
        namespace: config.temporalNamespace,
        taskQueue: { name: config.taskQueue },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      }),
    );
    return { ok: true, pollers: (pollers ?? []).map((p) => ({ identity: p.identity ?? '', lastAccessTime: dateOf(p.lastAccessTime) })) };
  } catch (err) {
    return failure(err);
  } finally {
    await connection?.close().catch(() => {});
  }
}
