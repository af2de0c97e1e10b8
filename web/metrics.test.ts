// Who may read /metrics (ADR 0025): the bearer token when one is configured; without one, only a caller on
// this machine that came through no proxy.
import { describe, expect, it } from '@jest/globals';
import { metricsRefusal } from './metrics.ts';

const request = (remoteAddress: string, headers: Record<string, string> = {}) => ({ headers, socket: { remoteAddress } }) as unknown as Parameters<typeof metricsRefusal>[0];
const TOKEN = 'a-metrics-token-of-some-length';

describe('who may read /metrics', () => {
  it('wants the token, from anywhere, when METRICS_TOKEN is set', () => {
    expect(metricsRefusal(request('203.0.113.9', { authorization: `Bearer ${TOKEN}` }), TOKEN)).toBeUndefined();
    expect(metricsRefusal(request('127.0.0.1', { authorization: `bearer ${TOKEN}` }), TOKEN)).toBeUndefined();
    expect(metricsRefusal(request('127.0.0.1'), TOKEN)?.status).toBe(401);
    expect(metricsRefusal(request('127.0.0.1', { authorization: `Bearer ${TOKEN}x` }), TOKEN)?.status).toBe(401);
    expect(metricsRefusal(request('127.0.0.1', { authorization: TOKEN }), TOKEN)?.status).toBe(401);
  });

  it('answers only this machine without a token, and nothing that came through a proxy', () => {
    for (const local of ['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1']) expect(metricsRefusal(request(local), undefined)).toBeUndefined();
    for (const remote of ['10.0.0.4', '203.0.113.9', '::ffff:10.0.0.4', '2001:db8::1']) expect(metricsRefusal(request(remote), undefined)?.status).toBe(403);
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) expect(metricsRefusal(request('127.0.0.1', { [header]: '203.0.113.9' }), undefined)?.status).toBe(403);
    expect(metricsRefusal(request('10.0.0.4'), undefined)?.detail).toMatch(/set METRICS_TOKEN/);
  });
});
