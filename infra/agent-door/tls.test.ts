// The door's certificate files are checked together at start: a key that is not the certificate's, or a
// CA that did not sign it, stops the door naming the variables (agents would otherwise fail every handshake).
import { afterAll, describe, expect, it } from '@jest/globals';
import { testPki } from '../../tests/jest/test-pki.ts';
import { doorServerCa, doorTls } from './tls.ts';

const pki = testPki();
afterAll(() => pki.remove());

const ca = pki.ca('door CA');
const door = pki.files('door', pki.server(ca, 'agent-door', ['localhost']));
const caFile = pki.files('ca', ca).cert;

describe("the agent door's TLS files", () => {
  it('are none without a certificate (a door on loopback)', () => {
    expect(doorTls({})).toBeUndefined();
    expect(doorServerCa({})).toBeUndefined();
  });

  it('give the certificate and key, and the CA enrollment hands to agents', () => {
    const tls = doorTls({ AGENT_DOOR_TLS_CERT_FILE: door.cert, AGENT_DOOR_TLS_KEY_FILE: door.key, AGENT_DOOR_TLS_CA_FILE: caFile });
    expect(tls?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(doorServerCa({ AGENT_DOOR_TLS_CA_FILE: caFile })).toBe(ca.cert);
  });

  it('refuse a key that is not the certificate’s', () => {
    const other = pki.files('other', pki.server(ca, 'other', ['localhost']));
    expect(() => doorTls({ AGENT_DOOR_TLS_CERT_FILE: door.cert, AGENT_DOOR_TLS_KEY_FILE: other.key })).toThrow(
      'AGENT_DOOR_TLS_KEY_FILE is not the key of the certificate in AGENT_DOOR_TLS_CERT_FILE',
    );
  });

  it('refuse a CA that did not sign the certificate, or a file that holds no CA', () => {
    const stranger = pki.files('stranger', pki.ca('another CA')).cert;
    expect(() => doorTls({ AGENT_DOOR_TLS_CERT_FILE: door.cert, AGENT_DOOR_TLS_KEY_FILE: door.key, AGENT_DOOR_TLS_CA_FILE: stranger })).toThrow(
      'AGENT_DOOR_TLS_CA_FILE did not sign the certificate in AGENT_DOOR_TLS_CERT_FILE',
    );
    expect(() => doorTls({ AGENT_DOOR_TLS_CERT_FILE: door.cert, AGENT_DOOR_TLS_KEY_FILE: door.key, AGENT_DOOR_TLS_CA_FILE: door.cert })).toThrow(
      /AGENT_DOOR_TLS_CA_FILE .* must hold CA certificates/,
    );
    expect(() => doorTls({ AGENT_DOOR_TLS_CERT_FILE: door.key, AGENT_DOOR_TLS_KEY_FILE: door.key })).toThrow(/AGENT_DOOR_TLS_CERT_FILE .* holds no PEM certificate/);
  });
});
