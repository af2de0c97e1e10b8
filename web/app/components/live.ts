// Keeps a page's data fresh: revalidates its loaders every few seconds while the tab is visible, so
// statuses change on screen without a reload.
import { useEffect } from 'react';
import { useRevalidator } from 'react-router';

export function useLiveData(intervalMs = 3000): void {
  const revalidator = useRevalidator();
  useEffect(() => {
    const timer = setInterval(() => {
      // Not awaited: a failed loader shows in the route's error boundary, and the next tick tries again.
      if (document.visibilityState === 'visible' && revalidator.state === 'idle') void revalidator.revalidate();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [revalidator, intervalMs]);
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
