// Structured logs (pino, JSON on stdout). Secrets are removed by the same rules as audit events.
import pino from 'pino';
import { redact } from './redact.ts';

export type Logger = pino.Logger;

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { proc: name },
    formatters: { log: (obj) => redact(obj) },
    hooks: {
      logMethod(args, method) {
        // The message string itself may carry a credential (a URL with a password, a bearer token).
        const redacted = args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>;
        return method.apply(this, redacted);
      },
    },
  });
}
