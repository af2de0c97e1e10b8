// Dates as the console shows them. A fixed locale and UTC, so the server's HTML and the browser's render
// say the same thing (a hydration mismatch otherwise) and everyone reads the same time.
const moment = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'medium' });
const day = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'medium' });

/** "24 Nov 2026, 10:30:15 UTC"; `none` ("—") when there is no date. */
export const formatDateTime = (iso: string | null | undefined, none = '—'): string => (iso ? `${moment.format(new Date(iso))} UTC` : none);

/** "24 Nov 2026"; `none` ("—") when there is no date. */
export const formatDate = (iso: string | null | undefined, none = '—'): string => (iso ? day.format(new Date(iso)) : none);
