// Structured logs (pino, JSON on stdout). Secrets are removed by the same rules as audit events.
import pino from 'pino';
import { loadConfig } from './config.ts';
import { redact, redactString } from './redact.ts';

export type Logger = pino.Logger;

// Errors are logged as type, code, message and stack, without the extra fields some libraries attach:
// a failed query's message and fields carry its bound values (which may be a password hash or a token).
function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return typeof err === 'string' ? redactString(err) : err;
  const scrub = (text: string | undefined) => text && redactString(text.replace(/\nparams: [\s\S]*?(?=\n\s+at |$)/, '\nparams: [REDACTED]'));
  const { code } = err as { code?: unknown };
  return {
    type: err.name,
    message: scrub(err.message),
    ...(typeof code === 'string' ? { code } : {}),
    stack: scrub(err.stack),
    ...(err.cause && depth < 5 ? { cause: serializeError(err.cause, depth + 1) } : {}),
  };
}

export function createLogger(name: string, level: string = loadConfig().LOG_LEVEL, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      base: { proc: name },
      serializers: { err: (e: unknown) => serializeError(e) },
      formatters: { log: (obj) => redact(obj) },
      hooks: {
        logMethod(args, method) {
          // The message string itself may carry a credential (a URL with a password, a bearer token).
          const redacted = args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>;
          return method.apply(this, redacted);
        },
      },
    },
    destination as pino.DestinationStream,
  );
}
