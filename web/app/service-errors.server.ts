// Turns the errors services throw into what a console route returns: a 404/403 page, or field errors
// for the form (or a list's filters) to show next to the fields.
import { data } from 'react-router';
import { AppError, ForbiddenError, InvalidInputError, NotFoundError, type FieldErrors } from '../../api/errors.ts';

export type FormResult<T> = { ok: true; value: T } | { ok: false; fieldErrors: FieldErrors; formError: string };

function rethrowAsPage(err: unknown): void {
  if (err instanceof NotFoundError) throw data({ message: err.message }, { status: 404 });
  if (err instanceof ForbiddenError) throw data({ message: err.message }, { status: 403 });
}

/** For loaders: runs the service call; a missing or hidden record becomes the 404 page. */
export async function load<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    rethrowAsPage(err);
    throw err;
  }
}

/** For actions: runs the service call and returns the outcome for the form (400/409 carry field errors). */
export async function attempt<T>(fn: () => Promise<T>): Promise<FormResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    rethrowAsPage(err);
    if (err instanceof AppError) return { ok: false, fieldErrors: err.fieldErrors, formError: err.message };
    throw err;
  }
}

/**
 * For list loaders: reads the filters named `names` (trimmed; empty ones left out) and the cursor from
 * the URL and fetches that page. A bad filter is shown next to the filters over an empty list, not as an
 * error page. `firstUrl` and `nextUrl` keep the filters.
 */
export async function loadFilteredPage<F extends string, T>(
  request: Request,
  names: readonly F[],
  fetchPage: (query: Partial<Record<F, string>> & { cursor?: string }) => Promise<{ items: T[]; nextCursor: string | null }>,
) {
  const params = new URL(request.url).searchParams;
  const filters = Object.fromEntries(names.flatMap((n) => (params.get(n)?.trim() ? [[n, params.get(n)!.trim()]] : []))) as Partial<Record<F, string>>;
  const cursor = params.get('cursor') || undefined;
  let page: { items: T[]; nextCursor: string | null } = { items: [], nextCursor: null };
  let filterErrors: FieldErrors = {};
  try {
    page = await load(() => fetchPage({ ...filters, cursor }));
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    filterErrors = err.fieldErrors;
  }
  const firstUrl = `?${new URLSearchParams(filters as Record<string, string>).toString()}`;
  const next = new URLSearchParams(filters as Record<string, string>);
  if (page.nextCursor) next.set('cursor', page.nextCursor);
  return { items: page.items, filters, filterErrors, paged: Boolean(cursor), firstUrl, nextUrl: page.nextCursor ? `?${next.toString()}` : null };
}
