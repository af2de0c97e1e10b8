// The one error page: the same words whether the error happened inside the console (its navigation
// stays) or before it (sign-in, a shared report, a broken root).
import { isRouteErrorResponse } from 'react-router';

const ERROR_PAGES: Record<number, [string, string]> = {
  404: ['Not found', 'There is nothing here, or you may not see it.'],
  403: ['Not allowed', 'Your role may not use this page. Ask an admin of your organization if you need it.'],
  410: ['Gone', 'This was here once and no longer is.'],
};

/** The title and the sentence for an error a loader or action threw (a Response with a status, or anything else). */
export function describeError(error: unknown): [title: string, text: string] {
  if (isRouteErrorResponse(error)) {
    const known = ERROR_PAGES[error.status];
    // A page that threw a 4xx with its own message (data({ message }, 404)) knows better what went wrong.
    const message = typeof error.data === 'object' && error.data && 'message' in error.data && typeof error.data.message === 'string' ? error.data.message : null;
    if (known) return [known[0], message ?? known[1]];
    if (error.status < 500) return ['Not possible', message ?? 'The request could not be served.'];
  }
  return ['Something went wrong', 'The error was logged. Try again, or go back.'];
}

/** The page itself: a title for the tab, a heading, the sentence and a way back. */
export function ErrorPage({ error, className }: { error: unknown; className?: string }) {
  const [title, text] = describeError(error);
  return (
    <div className={className} data-testid="error-page">
      {/* No route's meta runs for an error page: React places this title in the head. */}
      <title>{`${title} · Anthropy Works`}</title>
      <h1>{title}</h1>
      <p>{text}</p>
      <a href="/">Back to the console</a>
    </div>
  );
}
