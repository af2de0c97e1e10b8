// Dates as the console shows them: a fixed locale, in the viewer's time zone. The zone comes from the
// `tz` cookie the browser sets for itself (web/app/components/time-zone.tsx), so the server's HTML and the
// browser's render say the same thing (no hydration mismatch); until the cookie exists, UTC. Texts that
// leave the page (labels inside sentences built as strings) say UTC.
const formatters = new Map<string, { moment: Intl.DateTimeFormat; day: Intl.DateTimeFormat }>();

function formattersOf(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = {
      moment: new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'medium' }),
      day: new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium' }),
    };
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether the text names a time zone this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return /^[A-Za-z0-9_+\-/]{1,64}$/.test(timeZone);
  } catch {
    return false;
  }
}

/** "24 Nov 2026, 10:30:15 UTC" (or "…, 11:30:15 Europe/Berlin"); `none` ("—") when there is no date. */
export const formatDateTime = (iso: string | null | undefined, none = '—', timeZone = 'UTC'): string =>
  iso ? `${formattersOf(timeZone).moment.format(new Date(iso))} ${timeZone}` : none;

/** "24 Nov 2026"; `none` ("—") when there is no date. */
export const formatDate = (iso: string | null | undefined, none = '—', timeZone = 'UTC'): string => (iso ? formattersOf(timeZone).day.format(new Date(iso)) : none);

/** Time left until a deadline, in whole minutes rounded up: "2 h 5 min", "4 min", "expired"; "—" without one. */
export function timeLeft(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds <= 0) return 'expired';
  const minutes = Math.ceil(seconds / 60);
  const h = Math.floor(minutes / 60);
  return h ? `${h} h ${minutes % 60} min` : `${minutes} min`;
}

/** A duration in seconds as people read it: "45 s", "2 min 5 s", "3 h 10 min". */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}
