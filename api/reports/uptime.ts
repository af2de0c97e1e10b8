// How long something was in each state during a period, from the changes the audit trail recorded: between
// two records it is in the state the earlier one said (its last known state), and before the first record
// anyone has, its state is unknown. An instance's uptime is the share of the period its last known health
// was healthy; a node's, the share it was online. Pure, so the method the report states is the one tested.

export interface StateRecord<S extends string> {
  at: Date;
  state: S;
}

export interface Shares<S extends string> {
  /** Milliseconds of the span in each state, and `unknown` before the first record. */
  ms: Record<S | 'unknown', number>;
  /** The same as shares of the span (0..1), summing to 1; all 0 for an empty span. */
  share: Record<S | 'unknown', number>;
  /** How long the span was (the part of the period the record existed, up to now). */
  spanMs: number;
}

/**
 * The time in each state between `start` and `end`. `before` is the last record before `start` (null when
 * none: unknown until the first record in the span); `records` are those in [start, end), in any order.
 */
export function stateShares<S extends string>(states: readonly S[], before: S | null, records: readonly StateRecord<S>[], start: Date, end: Date): Shares<S> {
  const ms = Object.fromEntries([...states, 'unknown'].map((s) => [s, 0])) as Record<S | 'unknown', number>;
  const spanMs = Math.max(0, end.getTime() - start.getTime());
  const inSpan = records.filter((r) => r.at >= start && r.at < end).sort((a, b) => a.at.getTime() - b.at.getTime());
  let state: S | 'unknown' = before ?? 'unknown';
  let since = start.getTime();
  for (const r of inSpan) {
    ms[state] += r.at.getTime() - since;
    state = r.state;
    since = r.at.getTime();
  }
  if (spanMs > 0) ms[state] += end.getTime() - since;
  const share = Object.fromEntries(Object.entries(ms).map(([s, v]) => [s, spanMs > 0 ? (v as number) / spanMs : 0])) as Record<S | 'unknown', number>;
  return { ms, share, spanMs };
}

/** The part of [start, end) a record existed in and that has happened: from its creation, up to now. */
export function coveredSpan(start: Date, end: Date, createdAt: Date, now: Date): { start: Date; end: Date } {
  const s = createdAt > start ? createdAt : start;
  const e = now < end ? now : end;
  return { start: s, end: e < s ? s : e };
}
