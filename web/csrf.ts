// CSRF protection for every state-changing request, as the Lucia guidance recommends: the browser's
// Origin (or Sec-Fetch-Site) must name this site. SameSite=Lax cookies are the second layer.
import type { NextFunction, Request, Response } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfProtection(allowedOrigins: string[]) {
  const allowed = new Set(allowedOrigins.map((o) => new URL(o).origin));
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const origin = req.get('origin');
    const ownOrigin = `${req.protocol}://${req.get('host')}`;
    const fetchSite = req.get('sec-fetch-site');
    const carriesCookie = (req.get('cookie') ?? '').length > 0;
    let ok: boolean;
    if (origin) ok = origin === ownOrigin || allowed.has(origin);
    else if (fetchSite) ok = fetchSite === 'same-origin' || fetchSite === 'none';
    // No browser signal at all: only acceptable for clients that do not use the session cookie (API tokens).
    else ok = !carriesCookie;
    if (ok) return next();
    res.status(403).type('application/problem+json').json({
      type: 'about:blank',
      title: 'Forbidden',
      status: 403,
      detail: 'Cross-site request refused: the Origin header does not match this site.',
    });
  };
}
