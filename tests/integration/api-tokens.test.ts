// Personal API tokens at the API's door, over real HTTP against the real web server: an expired token,
// a token without the scope a request needs, and a token of MSP staff who owe a second factor are each
// refused with a message that says why (ADR 0010, item 6); a token with the scope gets through to the
// service, which answers as it would a console session.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { count, eq } from 'drizzle-orm';
import { REQUIRE_MFA_FOR_MSP_STAFF } from '../../api/auth/two-factor-state.ts';
import { createToken, TOKEN_OWES_SECOND_FACTOR } from '../../api/tokens/service.ts';
import { apiTokens, organizations, settings, type TokenScope } from '../../db/schema.ts';
import { freshEndedJob } from '../authz/matrix.ts';
import type { Seed } from '../authz/seed.ts';
import type { TestDatabase } from '../jest/db.ts';
import { startSeededWeb, type SeededWeb } from '../jest/seeded-web.ts';

let world: SeededWeb;
let t: TestDatabase;
let base: string;
let seed: Seed;

/** A new token of the seed's MSP admin (who may do everything), limited to `scopes`. */
const adminToken = async (scopes: TokenScope[]) => (await createToken({ db: t.db, actor: seed.people.msp_admin.actor }, { name: seed.unique('http'), scopes })).token;

async function api(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: JSON.parse(text) as { detail?: string } };
}

const organizationCount = async () => (await t.db.select({ n: count() }).from(organizations))[0]!.n;

beforeAll(async () => {
  world = await startSeededWeb();
  ({ t, base, seed } = world);
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

describe('personal API tokens over HTTP', () => {
  it('refuses an expired token with 401 and says when it expired and where to make a new one', async () => {
    const token = await adminToken(['read', 'operate', 'approve']);
    expect((await api(token, 'GET', '/organizations')).status).toBe(200);
    await t.db
      .update(apiTokens)
      .set({ expiresAt: new Date('2026-01-15T08:00:00Z') })
      .where(eq(apiTokens.prefix, token.slice(0, 12)));
    const res = await api(token, 'GET', '/organizations');
    expect(res).toMatchObject({ status: 401, type: expect.stringContaining('application/problem+json') });
    expect(res.body.detail).toBe('This API token expired on 15 Jan 2026; create a new one under Account → API tokens.');
  });

  it('refuses a read token on a POST with 403 naming the operate scope, changing nothing', async () => {
    const token = await adminToken(['read']);
    expect((await api(token, 'GET', '/jobs')).status).toBe(200);
    const before = await organizationCount();
    const res = await api(token, 'POST', '/organizations', { name: seed.unique('Refused') });
    expect(res.status).toBe(403);
    expect(res.body.detail).toBe('This API token lacks the operate scope.');
    expect(await organizationCount()).toBe(before);
  });

  it('refuses an operate token on approve, reject and cancel with 403 naming the approve scope', async () => {
    const token = await adminToken(['read', 'operate']);
    const job = await freshEndedJob(seed, seed.orgA);
    for (const [decision, body] of [
      ['approve', { phrase: 'deploy openclaw to matrix' }],
      ['reject', {}],
      ['cancel', {}],
    ] as const) {
      const res = await api(token, 'POST', `/jobs/${job}/${decision}`, body);
      expect([decision, res.status, res.body.detail]).toEqual([decision, 403, 'This API token lacks the approve scope.']);
    }
  });

  it('lets an approve token reach the decision (a job no longer waiting answers 409)', async () => {
    const token = await adminToken(['approve']);
    const job = await freshEndedJob(seed, seed.orgA);
    expect((await api(token, 'POST', `/jobs/${job}/approve`, { phrase: 'deploy openclaw to matrix' })).status).toBe(409);
    expect((await api(token, 'POST', `/jobs/${job}/cancel`, {})).status).toBe(409);
    // approve is only that: reading needs read.
    expect((await api(token, 'GET', `/jobs/${job}`)).body.detail).toBe('This API token lacks the read scope.');
  });

  it('refuses the token of MSP staff who must turn on two-factor sign-in first, with 403 and the reason', async () => {
    const token = await adminToken(['read']);
    await t.db.insert(settings).values({ key: REQUIRE_MFA_FOR_MSP_STAFF, value: true });
    try {
      const res = await api(token, 'GET', '/organizations');
      expect([res.status, res.body.detail]).toEqual([403, TOKEN_OWES_SECOND_FACTOR]);
      // A company admin is not bound by the MSP staff rule.
      expect((await api(seed.people.company_admin.token, 'GET', '/organizations')).status).toBe(200);
    } finally {
      await t.db.delete(settings).where(eq(settings.key, REQUIRE_MFA_FOR_MSP_STAFF));
    }
    expect((await api(token, 'GET', '/organizations')).status).toBe(200);
  });
});
