import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import type pino from 'pino';
import { createLogger } from './logger.ts';

/** What the product's logger writes for one call, captured from its stream. */
function capture(log: (logger: pino.Logger) => void): string {
  const lines: string[] = [];
  log(
    createLogger(
      'test',
      'info',
      new Writable({
        write(chunk, _e, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    ),
  );
  return lines.join('');
}

describe('logger', () => {
  it('logs a failed query without its bound values, and redacts secrets in messages and fields', () => {
    const queryError = Object.assign(new Error('Failed query: insert into "users" ("password_hash") values ($1)\nparams: $argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'), {
      params: ['$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'],
      cause: Object.assign(new Error('duplicate key value'), { code: '23505' }),
    });
    const out = capture((l) => {
      l.error({ err: queryError, path: '/invite/Qm9ndXMtdG9rZW4tZm9yLXRlc3Rz' }, 'request failed with Bearer abcdefghijklmnop');
    });
    expect(out).not.toContain('argon2id');
    expect(out).not.toContain('Qm9ndXMtdG9rZW4tZm9yLXRlc3Rz');
    expect(out).not.toContain('abcdefghijklmnop');
    const entry = JSON.parse(out) as { err: { type: string; message: string; cause: { code: string } }; path: string };
    expect(entry.err.message).toBe('Failed query: insert into "users" ("password_hash") values ($1)\nparams: [REDACTED]');
    expect(entry.err.cause.code).toBe('23505');
    expect(entry.path).toBe('/invite/[REDACTED]');
  });
});
