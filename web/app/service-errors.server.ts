// Turns the errors services throw into what a console route returns: a 404/403 page, or field errors
// for the form to show next to the fields.
import { data } from 'react-router';
import { AppError, ForbiddenError, NotFoundError, type FieldErrors } from '../../api/errors.ts';

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
