// Errors a service throws on purpose. The REST API turns them into problem+json, the console into
// form errors or an error page; both name the field when there is one.
import type { z } from 'zod';

export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  readonly fieldErrors: FieldErrors;
  /** Members the problem document carries besides its standard ones (e.g. a policy rule's name). */
  readonly extra: Record<string, unknown>;
  constructor(status: number, title: string, message: string, fieldErrors: FieldErrors = {}, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.title = title;
    this.fieldErrors = fieldErrors;
    this.extra = extra;
  }
}

/** The record does not exist, or belongs to an organization the caller may not see (never say which). */
export class NotFoundError extends AppError {
  constructor(what = 'record') {
    super(404, 'Not Found', `No such ${what}.`);
  }
}

/** The caller's credential is not (or no longer) good: the message says why and what to do. */
export class UnauthorizedError extends AppError {
  constructor(message: string) {
    super(401, 'Unauthorized', message);
  }
}

/** The caller may see the record but may not do this to it. */
export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this.') {
    super(403, 'Forbidden', message);
  }
}

/** The policy engine blocked the request: `rule` names the rule (api/policy/rules.ts), the message says why. */
export class PolicyBlockedError extends AppError {
  readonly rule: string;
  /** The rule's sentence alone. */
  readonly sentence: string;
  constructor(rule: string, sentence: string) {
    super(403, 'Blocked by policy', `${sentence} (rule ${rule})`, {}, { rule });
    this.rule = rule;
    this.sentence = sentence;
  }
}

/** Bad input: the message and the field errors say what to fix. Nothing was changed. */
export class InvalidInputError extends AppError {
  constructor(
    fieldErrors: FieldErrors,
    message = Object.entries(fieldErrors)
      .map(([f, m]) => `${f}: ${m}`)
      .join('; '),
  ) {
    super(400, 'Bad Request', message, fieldErrors);
  }
}

/** The input clashes with an existing record (a duplicate name, an archived organization, …). */
export class ConflictError extends AppError {
  constructor(field: string, message: string) {
    super(409, 'Conflict', message, { [field]: message });
  }
}

export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.length ? issue.path.join('.') : '(body)';
    out[field] ??= issue.message;
  }
  return out;
}

/** How deep input may nest; nothing we accept comes close, and deeper input only costs stack and time. */
export const MAX_INPUT_DEPTH = 64;

/**
 * Refuses input that no schema should ever see, naming the field: a NUL character (PostgreSQL cannot
 * store it in text), an ill-formed string (a lone UTF-16 surrogate, which no text column or JSON value
 * can hold), or nesting deeper than MAX_INPUT_DEPTH. The walk is iterative, so hostile nesting cannot
 * overflow the stack.
 */
export function assertStorableInput(input: unknown, prefix = ''): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: input, path: prefix, depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    const field = path || '(body)';
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw new InvalidInputError({ [field]: `${field} contains a NUL character` });
      if (!value.isWellFormed()) throw new InvalidInputError({ [field]: `${field} contains invalid characters` });
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) throw new InvalidInputError({ [prefix || '(body)']: `the input is nested more than ${MAX_INPUT_DEPTH} levels deep` });
    // Pushed last to first, so the first bad field in the input's own order is the one named.
    for (const [k, v] of Object.entries(value).reverse()) {
      if (k.includes('\u0000') || !k.isWellFormed()) throw new InvalidInputError({ [field]: `${field} has a key with invalid characters` });
      stack.push({ value: v, path: path ? `${path}.${k}` : k, depth: depth + 1 });
    }
  }
}

/** Parses input with a zod schema, or throws InvalidInputError naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  assertStorableInput(input);
  const result = schema.safeParse(input);
  if (!result.success) throw new InvalidInputError(fieldErrorsOf(result.error));
  return result.data;
}

/** Something the request needs is down (e.g. Temporal): nothing was changed; trying again later may work. */
export class UnavailableError extends AppError {
  /** Sent as Retry-After: when trying again is worth it. */
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds = 10) {
    super(503, 'Service Unavailable', message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
