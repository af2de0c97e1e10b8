// What enroll believes: https or loopback only, and the control plane's key only when it matches the
// fingerprint of the enroll command.
import { describe, expect, it } from '@jest/globals';
import { generateKeyPair, keyFingerprint } from '../protocol/envelope.ts';
import { controlPlaneKeyMismatch, enrollServerUrl, expectedFingerprint, isLoopbackHost } from './enroll-checks.ts';

describe('the console address', () => {
  it('takes https anywhere and plain http on loopback only, as an origin', () => {
    expect(enrollServerUrl('https://console.example.com/nodes/1')).toEqual({ url: 'https://console.example.com', loopback: false });
    expect(enrollServerUrl('https://localhost:8443')).toEqual({ url: 'https://localhost:8443', loopback: true });
    for (const local of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://127.1.2.3', 'http://[::1]:3000']) {
      expect(enrollServerUrl(local)).toEqual({ url: new URL(local).origin, loopback: true });
    }
  });

  it('refuses plain http to another machine, and anything that is not a URL, in one sentence', () => {
    for (const remote of ['http://console.example.com', 'http://10.0.0.5:3000', 'http://localhost.example.com', 'http://127.0.0.1.nip.io', 'http://[::2]']) {
      expect(enrollServerUrl(remote)).toEqual({
        refused: `--server "${remote}" uses plain http, which is allowed only on this machine (localhost, 127.0.0.1, [::1]); give the console's https:// address`,
      });
    }
    expect(enrollServerUrl('ftp://console.example.com')).toEqual({ refused: '--server "ftp://console.example.com" must start with https://' });
    expect(enrollServerUrl('console.example.com')).toEqual({ refused: expect.stringMatching(/^--server "console.example.com" is not a URL; /) });
    expect(enrollServerUrl(undefined)).toEqual({ refused: expect.stringMatching(/^--server is required/) });
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
  });
});

describe('the control plane key fingerprint', () => {
  const key = generateKeyPair();
  const fingerprint = keyFingerprint(key.publicKey);

  it('is required away from loopback, optional on it, and must be 16 hex digits', () => {
    expect(expectedFingerprint(fingerprint.toUpperCase(), false)).toEqual({ fingerprint });
    expect(expectedFingerprint(undefined, true)).toEqual({});
    expect(expectedFingerprint(undefined, false)).toEqual({
      refused: '--control-plane-key is required for a console on another machine: copy the whole enroll command the console shows',
    });
    expect(expectedFingerprint('abc', true)).toEqual({
      refused: '--control-plane-key "abc" is not a key fingerprint (16 hex digits); copy the whole enroll command the console shows',
    });
  });

  it('accepts the matching key, refuses another with both fingerprints, and refuses no key at all', () => {
    expect(controlPlaneKeyMismatch(key.publicKey, fingerprint)).toBeUndefined();
    expect(controlPlaneKeyMismatch(key.publicKey, undefined)).toBeUndefined();
    const other = generateKeyPair().publicKey;
    expect(controlPlaneKeyMismatch(other, fingerprint)).toBe(
      `the control plane's key does not match the fingerprint in the enroll command: ${keyFingerprint(other)} ≠ ${fingerprint}; check you are enrolling against the right console`,
    );
    expect(controlPlaneKeyMismatch(undefined, undefined)).toMatch(/^the server answered without a valid control plane key/);
  });
});
