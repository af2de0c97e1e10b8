// Where to go after signing in: only a path of this site, so a crafted link cannot send people elsewhere.
// Browsers read `/\evil.example` as `//evil.example`, so backslashes and control characters are refused.
const PROBE_ORIGIN = 'http://console.invalid';

export function safeRedirect(to: string | null | undefined): string {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (!to || !to.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(to)) return '/';
  const url = new URL(to, PROBE_ORIGIN);
  return url.origin === PROBE_ORIGIN ? `${url.pathname}${url.search}${url.hash}` : '/';
}
