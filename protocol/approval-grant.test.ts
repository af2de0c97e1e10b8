// Approval grants: what the workflow's validator accepts, and every way a grant can fail to prove a decision.
import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { canonicalJson } from './canonical-json.ts';
import { grantProblem, grantPublicKey, signGrant, type GrantClaims } from './approval-grant.ts';
import { verifyGrantSignature } from '../infra/approval-grant-key.ts';

const seed = crypto.randomBytes(32).toString('hex');
const publicKey = grantPublicKey(seed);
const now = Date.parse('2026-11-30T12:00:00Z');

const claims = (over: Partial<GrantClaims> = {}): GrantClaims => ({
  v: 1,
  decision: 'approve',
  workflowId: 'deploy-openclaw-1',
  jobId: 'job-1',
  phrase: 'deploy openclaw to edge',
  userId: 'u-1',
  email: 'a@msp.test',
  role: 'msp_admin',
  organizationId: 'org-msp',
  reason: null,
  issuedAt: new Date(now - 1000).toISOString(),
  notAfter: new Date(now + 60_000).toISOString(),
  nonce: crypto.randomUUID(),
  ...over,
});
const expectation = { publicKey, workflowId: 'deploy-openclaw-1', decision: 'approve' as const, now };

describe('approval grants', () => {
  it('proves a decision signed by the console for this run', () => {
    expect(grantProblem(signGrant(seed, claims()), expectation)).toBeUndefined();
  });

  it('is an ordinary Ed25519 signature: node:crypto verifies what the sandbox-safe code signed', () => {
    const grant = signGrant(seed, claims());
    const { signature, ...signed } = grant;
    const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey, 'hex').toString('base64url') }, format: 'jwk' });
    expect(crypto.verify(null, Buffer.from(canonicalJson(signed)), key, Buffer.from(signature, 'hex'))).toBe(true);
  });

  // The workflow's validator checks in JavaScript, the confirming activity with node:crypto: both must refuse alike.
  it.each([
    ['JavaScript (the workflow sandbox)', undefined],
    ['node:crypto (activities)', verifyGrantSignature],
  ])('refuses a forged, altered, misdirected, expired or malformed grant, each with its reason, checked in %s', (_, verify) => {
    const expect_ = { ...expectation, verify };
    expect(grantProblem(signGrant(seed, claims()), expect_)).toBeUndefined();
    expect(grantProblem({ ...signGrant(seed, claims()), signature: '00'.repeat(64) }, expect_)).toMatch(/forged or altered/);
    const other = crypto.randomBytes(32).toString('hex');
    expect(grantProblem(signGrant(other, claims()), expect_)).toBe("The approval grant is not signed by this product's console (forged or altered).");
    expect(grantProblem({ ...signGrant(seed, claims()), role: 'msp_admin ', userId: 'someone-else' }, expect_)).toMatch(/forged or altered/);
    expect(grantProblem({ ...signGrant(seed, claims()), phrase: 'deploy openclaw to elsewhere' }, expect_)).toMatch(/forged or altered/);
    expect(grantProblem(signGrant(seed, claims({ workflowId: 'deploy-openclaw-2' })), expect_)).toBe('The approval grant is for another run.');
    expect(grantProblem(signGrant(seed, claims({ decision: 'reject' })), expect_)).toBe('The approval grant is for reject, not approve.');
    expect(grantProblem(signGrant(seed, claims({ notAfter: new Date(now - 1).toISOString() })), expect_)).toBe('The approval grant has expired: ask the console for a new one.');
    expect(grantProblem(signGrant(seed, claims({ issuedAt: new Date(now + 120_000).toISOString() })), expect_)).toBe('The approval grant was issued in the future.');
    expect(grantProblem(undefined, expect_)).toBe('No approval grant was given (ask the console for one).');
    expect(grantProblem({ ...signGrant(seed, claims()), admin: true }, expect_)).toBe('The approval grant has fields it should not have.');
    expect(grantProblem({ ...signGrant(seed, claims()), signature: 'ab' }, expect_)).toBe('The approval grant is not signed.');
    expect(grantProblem(signGrant(seed, claims()), { ...expect_, publicKey: 'not-a-key' })).toMatch(/forged or altered/);
  });
});
