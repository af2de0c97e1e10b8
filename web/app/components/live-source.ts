// The browser's one live update stream (GET /events, ADR 0018), shared by every component of the tab
// that wants to hear of changes. It tells them of each change, of a `resync` (changes may have been
// missed: reload), and of its mode: `events` while the stream works, `polling` when EventSource is
// missing, was refused (signed out, too many tabs) or keeps failing; then the pages poll as they did
// before, and the stream is tried again a minute later. The mode is also written on <html data-live>,
// for people debugging a page and for the end-to-end tests.

export type LiveKind = 'job' | 'node' | 'instance' | 'approver_group';
/** What GET /events says changed: a record's kind and id (and a job's state and the state it left). */
export interface LiveChange {
  kind: LiveKind;
  id: string;
  state?: string;
  previous?: string;
}
export type LiveMode = 'events' | 'polling';
export interface LiveListener {
  change(change: LiveChange): void;
  resync(): void;
  mode(mode: LiveMode): void;
}

const PATH = '/events';
/** Consecutive errors of a stream that was working before the page falls back to polling meanwhile. */
const FAILURES_BEFORE_POLLING = 3;
const RETRY_AFTER_REFUSAL_MS = 60_000;
/** A page change unmounts one listener before the next mounts: keep the stream over that gap. */
const CLOSE_AFTER_IDLE_MS = 5_000;

const listeners = new Set<LiveListener>();
let source: EventSource | null = null;
let mode: LiveMode = 'polling';
let failures = 0;
let everReady = false;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function setMode(next: LiveMode) {
  if (typeof document !== 'undefined') document.documentElement.dataset.live = next;
  if (next === mode) return;
  mode = next;
  for (const l of listeners) l.mode(next);
}

function parse(data: string): LiveChange | null {
  try {
    const c = JSON.parse(data) as Partial<LiveChange>;
    return typeof c.kind === 'string' && typeof c.id === 'string' ? (c as LiveChange) : null;
  } catch {
    return null;
  }
}

function open() {
  if (source || retryTimer || typeof window === 'undefined') return;
  if (typeof window.EventSource !== 'function') return setMode('polling');
  let es: EventSource;
  try {
    es = new window.EventSource(PATH);
  } catch {
    return setMode('polling');
  }
  source = es;
  es.addEventListener('ready', () => {
    failures = 0;
    setMode('events');
    // After a reconnection, what changed while the stream was down was not heard: reload.
    if (everReady) for (const l of listeners) l.resync();
    everReady = true;
  });
  es.addEventListener('resync', () => {
    for (const l of listeners) l.resync();
  });
  es.addEventListener('change', (e) => {
    const change = parse((e as MessageEvent<string>).data);
    if (change) for (const l of listeners) l.change(change);
  });
  es.addEventListener('error', () => {
    if (es.readyState === es.CLOSED) {
      // Refused (not signed in, too many streams, unavailable): EventSource does not retry by itself.
      es.close();
      source = null;
      setMode('polling');
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        if (listeners.size) open();
      }, RETRY_AFTER_REFUSAL_MS);
      return;
    }
    // Dropped: EventSource reconnects by itself; poll meanwhile once it keeps failing.
    if (++failures >= FAILURES_BEFORE_POLLING) setMode('polling');
  });
}

function close() {
  source?.close();
  source = null;
  everReady = false;
  clearTimeout(retryTimer);
  retryTimer = undefined;
  setMode('polling');
}

/** Listens to the tab's stream (opening it on first use); returns the mode now and how to stop listening. */
export function listen(listener: LiveListener): { mode: LiveMode; stop(): void } {
  clearTimeout(idleTimer);
  listeners.add(listener);
  open();
  return {
    mode,
    stop() {
      listeners.delete(listener);
      if (listeners.size === 0) idleTimer = setTimeout(() => listeners.size === 0 && close(), CLOSE_AFTER_IDLE_MS);
    },
  };
}
