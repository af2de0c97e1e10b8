// Log redaction on the machine: the container's own secrets wherever they appear, and anything that
// looks like a credential, before a line leaves the node.
import { describe, expect, it } from '@jest/globals';
import { redactLine } from './logs.ts';

describe('redactLine', () => {
  const token = 'x7Gq2mP9vL4kR8sT1wZ6yB3nC5dF0hJ2';
  it("removes the container's own token wherever it appears", () => {
    expect(redactLine(`connected with ${token} to ws://127.0.0.1`, [token])).toBe('connected with [REDACTED] to ws://127.0.0.1');
  });
  it('removes values of secret-looking assignments, keeping the key', () => {
    expect(redactLine('OPENCLAW_GATEWAY_TOKEN=abc123def456 port=18789', [])).toBe('OPENCLAW_GATEWAY_TOKEN=[REDACTED] port=18789');
    expect(redactLine('{"apiKey": "sk-live-123456789"}', [])).toBe('{"apiKey": "[REDACTED]"}');
    expect(redactLine('Authorization: Bearer abcdefghijklmnop', [])).toBe('Authorization: [REDACTED]');
  });
  it('leaves ordinary lines alone', () => {
    expect(redactLine('[gateway] http server listening (14 plugins; 3.5s)', [token])).toBe('[gateway] http server listening (14 plugins; 3.5s)');
  });
});
