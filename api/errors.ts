// Errors a service throws on purpose. The REST API turns them into problem+json, the console into
// form errors or an error page; both name the field when there is one.
import type { z } from 'zod';

export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  readonly fieldErrors: FieldErrors;
  constructor(status: number, title: string, message: string, fieldErrors: FieldErrors = {}) {
    super(message);
    this.status = status;
    this.title = title;
    this.fieldErrors = fieldErrors;
  }
}

/** The record does not exist, or belongs to an organization the caller may not see (never say which). */
export class NotFoundError extends AppError {
  constructor(what = 'record') { super(404, 'Not Found', `No such ${what}.`); }
}

/** The caller's credential is not (or no longer) good: the message says why and what to do. */
export class UnauthorizedError extends AppError {
  constructor(message: string) { super(401, 'Unauthorized', message); }
}

/** The caller may see the record but may not do this to it. */
export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this.') { super(403, 'Forbidden', message); }
}

/** Bad input: the message and the field errors say what to fix. Nothing was changed. */
export class InvalidInputError extends AppError {
  constructor(fieldErrors: FieldErrors, message = Object.entries(fieldErrors).map(([f, m]) => `${f}: ${m}`).join('; ')) {
    super(400, 'Bad Request', message, fieldErrors);
  }
}

/** The input clashes with an existing record (a duplicate name, an archived organization, …). */
export class ConflictError extends AppError {
  constructor(field: string, message: string) { super(409, 'Conflict', message, { [field]: message }); }
}

export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.length ? issue.path.join('.') : '(body)';
    out[field] ??= issue.message;
  }
  return out;
}

/**
 * PostgreSQL cannot store a NUL character in text: refuse it up front, naming the field, instead of
 * letting the query fail with a 500.
 */
export function assertNoNulCharacters(input: unknown, prefix = ''): void {
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string' && value.includes('\u0000')) {
      const field = path || '(body)';
      throw new InvalidInputError({ [field]: `${field} contains a NUL character` });
    }
    if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, path ? `${path}.${k}` : k);
    }
  };
  visit(input, prefix);
}

/** Parses input with a zod schema, or throws InvalidInputError naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  assertNoNulCharacters(input);
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(fieldErrorsOf(result.error));
  return result.data;
}

/** Something the request needs is down (e.g. Temporal): nothing was changed; trying again later may work. */
export class UnavailableError extends AppError {
  constructor(message: string) { super(503, 'Service Unavailable', message); }
}
