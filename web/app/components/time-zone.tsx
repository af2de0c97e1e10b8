// The viewer's time zone for every date the console shows (components/dates.ts). The browser tells its
// zone once through the `tz` cookie and the page reloads its data; the server then renders in it.
import { createContext, useContext, useEffect } from 'react';
import { useRevalidator } from 'react-router';
import { formatDate, formatDateTime, isKnownTimeZone } from './dates.ts';

const TimeZone = createContext('UTC');
export const TimeZoneProvider = TimeZone.Provider;
export const useTimeZone = () => useContext(TimeZone);

/** The zone a request's `tz` cookie names, or UTC. */
export function timeZoneOf(request: Request): string {
  const value = /(?:^|;\s*)tz=([^;]*)/.exec(request.headers.get('cookie') ?? '')?.[1];
  const zone = value ? decodeURIComponent(value) : '';
  return zone && isKnownTimeZone(zone) ? zone : 'UTC';
}

/** Sets the `tz` cookie to the browser's zone when it says another, then reloads the page's data in it. */
export function useBrowserTimeZone(current: string): void {
  const revalidator = useRevalidator();
  useEffect(() => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || zone === current || !isKnownTimeZone(zone)) return;
    document.cookie = `tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; SameSite=Lax`;
    void revalidator.revalidate();
    // Once per zone: revalidating renders again with the new zone.
  }, [current, revalidator]);
}

/** Formats a moment in the viewer's zone as plain text: for a title or a label, where no <time> fits. */
export function useDateTimeText(): (iso: string | null | undefined) => string {
  const zone = useTimeZone();
  return (iso) => formatDateTime(iso, '—', zone);
}

/** A moment in the viewer's zone, as a <time> element. */
export function DateTime({ iso, none }: { iso: string | null | undefined; none?: string }) {
  const zone = useTimeZone();
  return iso ? <time dateTime={iso}>{formatDateTime(iso, none, zone)}</time> : <>{none ?? '—'}</>;
}

/** A day in the viewer's zone, as a <time> element. */
export function DateOnly({ iso, none }: { iso: string | null | undefined; none?: string }) {
  const zone = useTimeZone();
  return iso ? <time dateTime={iso}>{formatDate(iso, none, zone)}</time> : <>{none ?? '—'}</>;
}
