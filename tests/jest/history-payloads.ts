// What a Temporal history holds, for tests that look for a string in it: every payload (input, result,
// signal, update, failure details), and the history's bytes as the server stores them.
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';

/** Every payload of a history: each `payloads` list of every event, wherever it sits. */
export function payloadsOf(value: unknown, found: Payload[] = []): Payload[] {
  if (Array.isArray(value)) for (const v of value) payloadsOf(v, found);
  else if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'payloads' && Array.isArray(v)) found.push(...(v as Payload[]));
      else payloadsOf(v, found);
    }
  }
  return found;
}

/** The history encoded as the server keeps it. */
export const historyBytes = (history: proto.temporal.api.history.v1.IHistory) => Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
