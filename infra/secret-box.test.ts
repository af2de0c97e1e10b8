import { beforeAll, describe, expect, it } from '@jest/globals';
import { generateSecretsKey, open, seal } from './secret-box.ts';

beforeAll(() => {
  process.env.SECRETS_KEY = generateSecretsKey();
});

describe('secret box', () => {
  it('round-trips, and the sealed text does not contain the secret', () => {
    const secret = new TextEncoder().encode('JBSWY3DPEHPK3PXP-totp-key');
    const sealed = seal(secret, 'totp:user-1');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(new TextDecoder().decode(open(sealed, 'totp:user-1'))).toBe('JBSWY3DPEHPK3PXP-totp-key');
  });

  it('refuses a value moved to another record, a tampered value, and another key', () => {
    const sealed = seal(new Uint8Array([1, 2, 3]), 'totp:user-1');
    expect(() => open(sealed, 'totp:user-2')).toThrow();
    const [v, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => open(`${v}.${iv}.${flipped.toString('base64url')}`, 'totp:user-1')).toThrow();
    process.env.SECRETS_KEY = generateSecretsKey();
    expect(() => open(sealed, 'totp:user-1')).toThrow();
  });
});
