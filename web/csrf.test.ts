// csrfProtection on a real Express 5 server: state-changing requests from other sites are refused with
// problem+json before any handler runs; same-site browsers, API clients and safe methods pass.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { csrfProtection } from './csrf.ts';

const PUBLIC_URL = 'https://ops.example.com';
let server: Server;
let base: string;
let handled: string[];

beforeAll(async () => {
  const app = express();
  app.use(csrfProtection([PUBLIC_URL]));
  app.get('/thing', (_req, res) => {
    handled.push('GET');
    res.json({ ok: true });
  });
  app.post('/thing', (_req, res) => {
    handled.push('POST');
    res.json({ ok: true });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function send(method: 'GET' | 'POST', headers: Record<string, string>) {
  handled = [];
  const res = await fetch(`${base}/thing`, { method, headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown>, handled };
}

async function expectRefused(headers: Record<string, string>) {
  const res = await send('POST', headers);
  expect(res.status).toBe(403);
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 403, title: 'Forbidden' });
  expect(res.body.detail).toMatch(/Cross-site request refused/);
  expect(res.handled).toEqual([]); // the route never ran
}

async function expectPassed(method: 'GET' | 'POST', headers: Record<string, string>) {
  const res = await send(method, headers);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ ok: true });
  expect(res.handled).toEqual([method]);
}

const cookie = 'aw_session=abc.def';

describe('csrfProtection', () => {
  it('lets a POST from the same origin through', async () => {
    await expectPassed('POST', { Origin: base, Cookie: cookie });
  });

  it('refuses a POST from a foreign origin with 403 problem+json', async () => {
    await expectRefused({ Origin: 'https://evil.example', Cookie: cookie });
    await expectRefused({ Origin: 'https://evil.example' });
    // Same host, other scheme or port: still another origin.
    await expectRefused({ Origin: base.replace('http:', 'https:'), Cookie: cookie });
    await expectRefused({ Origin: 'null', Cookie: cookie });
  });

  it('lets an origin from the allowed list (PUBLIC_URL) through', async () => {
    await expectPassed('POST', { Origin: PUBLIC_URL, Cookie: cookie });
    await expectRefused({ Origin: 'https://ops.example.com.evil.example', Cookie: cookie });
  });

  it('falls back to Sec-Fetch-Site without an Origin: same-origin passes, cross-site is refused', async () => {
    await expectPassed('POST', { 'Sec-Fetch-Site': 'same-origin', Cookie: cookie });
    await expectRefused({ 'Sec-Fetch-Site': 'cross-site', Cookie: cookie });
    await expectRefused({ 'Sec-Fetch-Site': 'same-site', Cookie: cookie });
  });

  it('refuses a POST with a cookie but no browser signal at all', async () => {
    await expectRefused({ Cookie: cookie });
  });

  it('lets a POST without a cookie and without browser headers (an API client) through', async () => {
    await expectPassed('POST', { Authorization: 'Bearer token' });
  });

  it('never blocks a GET, whatever its origin', async () => {
    await expectPassed('GET', { Origin: 'https://evil.example', Cookie: cookie });
    await expectPassed('GET', { 'Sec-Fetch-Site': 'cross-site', Cookie: cookie });
    await expectPassed('GET', { Cookie: cookie });
  });
});
