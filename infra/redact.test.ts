import { describe, expect, it } from '@jest/globals';
import { redact, REDACTED, redactString } from './redact.ts';

describe('redact', () => {
  it('hides values under secret-looking keys at any depth, keeping the rest', () => {
    const payload = {
      email: 'ops@example.com',
      password: 'hunter2-but-longer',
      headers: { Authorization: 'Bearer abc.def.ghi', 'content-type': 'application/json', Cookie: 'aw_session=abc.def' },
      connection: { provider: 'google_drive', refresh_token: '1//0gLx', clientSecret: 'GOCSPX-123', api_key: 'k' },
      list: [{ gatewayToken: 'tok-123' }, 'plain'],
      mfaEnabled: true,
    };
    const out = redact(payload);
    expect(out.email).toBe('ops@example.com');
    expect(out.password).toBe(REDACTED);
    expect(out.headers).toEqual({ Authorization: REDACTED, 'content-type': 'application/json', Cookie: REDACTED });
    expect(out.connection).toEqual({ provider: 'google_drive', refresh_token: REDACTED, clientSecret: REDACTED, api_key: REDACTED });
    expect(out.list).toEqual([{ gatewayToken: REDACTED }, 'plain']);
    expect(JSON.stringify(out)).not.toMatch(/hunter2|abc\.def|GOCSPX|tok-123|1\/\/0gLx/);
  });

  it('hides credentials inside free text: bearer strings, private keys, passwords in URLs', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    const text = `call failed: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig; key ${key}; db postgres://anthropy:s3cr3t@127.0.0.1:5432/x`;
    const out = redactString(text);
    expect(out).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(out).not.toContain('b3BlbnNzaC1rZXktdjEAAAAA');
    expect(out).not.toContain('s3cr3t');
    expect(out).toContain('postgres://anthropy:[REDACTED]@127.0.0.1:5432/x');
    expect(out).toContain('call failed');
  });

  it('hides invitation tokens in paths and links', () => {
    const token = 'Qm9ndXMtdG9rZW4tZm9yLXRlc3RzLW9ubHktMDEyMzQ1';
    expect(redact({ path: `/invite/${token}`, link: `https://ops.example.com/invite/${token}.data` })).toEqual({
      path: '/invite/[REDACTED]',
      link: 'https://ops.example.com/invite/[REDACTED].data',
    });
  });
});
