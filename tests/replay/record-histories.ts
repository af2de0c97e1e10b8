// Keeps the histories that test runs produce, so that tests/replay/replay.test.ts can replay them against
// the current workflow code: a change that would break a workflow already running in production (an
// activity added before another, a timer removed) then fails CI instead of failing that run.
//
// Only with RECORD_HISTORIES=1 (`RECORD_HISTORIES=1 npm test`); otherwise every call here does nothing.
// Payloads are stored decoded (the product's codec encrypts them under keys that live in the test's
// database): replaying needs the plain values, and test data holds no secret worth keeping.
import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

export const HISTORIES_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'histories');
/** Enough to cover a type's paths without bloating the repository. */
const PER_TYPE_AND_SOURCE = 2;

export const recording = () => process.env.RECORD_HISTORIES === '1';

const isPayload = (v: unknown): v is Payload => Boolean(v && typeof v === 'object' && 'metadata' in v && 'data' in v && !Array.isArray(v));

/** Every payload of the history, wherever it sits (inputs, results, updates, memo, failure details), decoded in place. */
async function decodeAll(value: unknown, codec: PayloadCodec): Promise<void> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (isPayload(value[i])) value[i] = (await codec.decode([value[i] as Payload]))[0];
      else await decodeAll(value[i], codec);
    }
  } else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const record = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(record)) {
      if (isPayload(v)) record[k] = (await codec.decode([v]))[0];
      else await decodeAll(v, codec);
    }
  }
}

const WORKFLOWS_INDEX = path.join(path.dirname(new URL(import.meta.url).pathname), '../../workflows/index.ts');

/** The workflow types the control-plane worker runs: the names workflows/index.ts exports. */
export function workflowTypes(): string[] {
  const index = fs.readFileSync(WORKFLOWS_INDEX, 'utf8');
  return [...index.matchAll(/^export \{([^}]+)\} from/gm)].flatMap((m) => m[1]!.split(',').map((n) => n.trim()));
}

const typeOf = (history: History) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
const slug = (s: string) => s.replace(/[^\w.-]+/g, '-').slice(0, 80);

async function write(history: History, source: string, codec: PayloadCodec | undefined, taken: Map<string, number>): Promise<void> {
  const type = typeOf(history);
  const n = taken.get(type) ?? 0;
  if (n >= PER_TYPE_AND_SOURCE || !workflowTypes().includes(type)) return; // a test's own workflow is no product's
  taken.set(type, n + 1);
  if (codec) await decodeAll(history, codec);
  const dir = path.join(HISTORIES_DIR, type);
  fs.mkdirSync(dir, { recursive: true });
  // Protobuf, as the server keeps it: what a Temporal release can read back whatever JSON form it prefers.
  fs.writeFileSync(path.join(dir, `${slug(source)}-${n + 1}.binpb`), proto.temporal.api.history.v1.History.encode(history).finish());
}

/** The histories of the runs `workflowIds` (a time-skipping test's), before the test ends them. */
export async function recordRuns(client: Client, workflowIds: Iterable<string>, source: string, taken: Map<string, number>): Promise<void> {
  if (!recording()) return;
  for (const id of workflowIds) await write(await client.workflow.getHandle(id).fetchHistory(), source, undefined, taken);
}

/** The histories of every run on `taskQueue` (an integration test file's worker), closed ones first. */
export async function recordQueue(client: Client, taskQueue: string, source: string, codec: PayloadCodec): Promise<void> {
  if (!recording()) return;
  const taken = new Map<string, number>();
  for (const status of ['Completed', 'Failed', 'Terminated', 'Canceled', 'TimedOut', 'Running']) {
    for await (const run of client.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "${status}"` })) {
      if ((taken.get(run.type) ?? 0) >= PER_TYPE_AND_SOURCE) continue;
      await write(await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory(), `${source}-${status.toLowerCase()}`, codec, taken);
    }
  }
}
