// Keeps a page's data fresh. `useLiveData` reloads the page's loaders (the layout's too, so the
// navigation's counts follow) when the live update stream says a record it shows changed, a moment
// after the last such change; when the stream is unavailable it polls every few seconds, as before
// (ADR 0018). Nothing reloads while the tab is hidden: it reloads once when it is shown again.
import { useEffect, useRef } from 'react';
import { useRevalidator } from 'react-router';
import { listen, type LiveChange, type LiveKind, type LiveMode } from './live-source.ts';

export type { LiveChange, LiveKind } from './live-source.ts';
/** Which changes concern a page: kinds of record, or a test of each change. */
export type LiveFilter = readonly LiveKind[] | ((change: LiveChange) => boolean);

/** Changes that follow closely (a job's steps) make one reload. */
const DEBOUNCE_MS = 250;

type Revalidator = ReturnType<typeof useRevalidator>;

// One reload for the whole tab however many components asked: the layout and the page reload together.
let pending: ReturnType<typeof setTimeout> | undefined;
let staleWhileHidden = false;
function reloadSoon(revalidator: { current: Revalidator }, wait = DEBOUNCE_MS) {
  clearTimeout(pending);
  pending = setTimeout(() => {
    pending = undefined;
    if (document.visibilityState !== 'visible') return void (staleWhileHidden = true);
    // A reload in progress may have read the records before this change: ask again once it ends.
    if (revalidator.current.state !== 'idle') return reloadSoon(revalidator, DEBOUNCE_MS * 2);
    void revalidator.current.revalidate();
  }, wait);
}

/**
 * A page's own list of jobs (a workflow's or a schedule's runs): a change of one of its rows, or of a job
 * that may be a new row (one created, whose change names no state it left), not every job's transition.
 */
export const jobsListed =
  (ids: readonly string[]): LiveFilter =>
  (c) =>
    c.kind === 'job' && (ids.includes(c.id) || c.previous === undefined);

const matches = (filter: LiveFilter, change: LiveChange) => (typeof filter === 'function' ? filter(change) : filter.includes(change.kind));

/**
 * Reloads the page's loaders when a change `filter` accepts arrives (any record the person may see by
 * default), or every `intervalMs` while live updates are unavailable.
 */
export function useLiveData(intervalMs = 3000, filter: LiveFilter = () => true): void {
  const revalidator = useRef<Revalidator>(null!);
  revalidator.current = useRevalidator();
  const accepts = useRef(filter);
  accepts.current = filter;
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const poll = (mode: LiveMode) => {
      clearInterval(timer);
      timer = undefined;
      if (mode === 'polling') timer = setInterval(() => document.visibilityState === 'visible' && reloadSoon(revalidator, 0), intervalMs);
    };
    const live = listen({
      change: (c) => {
        if (matches(accepts.current, c)) reloadSoon(revalidator);
      },
      resync: () => reloadSoon(revalidator),
      mode: poll,
    });
    poll(live.mode);
    const onVisible = () => {
      if (document.visibilityState !== 'visible' || !staleWhileHidden) return;
      staleWhileHidden = false;
      reloadSoon(revalidator);
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      live.stop();
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [intervalMs]);
}

/**
 * Reloads the page's loaders every `intervalMs` while the tab is visible (and `enabled`): for what no
 * record announces (a container's logs, a running job's attempts in Temporal's history).
 */
export function usePolling(intervalMs = 3000, enabled = true): void {
  const revalidator = useRef<Revalidator>(null!);
  revalidator.current = useRevalidator();
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => {
      // Not awaited: a failed loader shows in the route's error boundary, and the next tick tries again.
      if (document.visibilityState === 'visible' && revalidator.current.state === 'idle') void revalidator.current.revalidate();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, enabled]);
}

/** "12 s ago", "3 min ago", "2 h ago", "5 d ago". */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
