// The compose deployment's private PKI (infra/tls/certs.ts, run by infra/tls-certs.ts): what it writes
// and where, that Node's own TLS accepts each chain both ways (server and client certificates, checked
// against the CA each consumer is given), that the door's CA cannot vouch for anyone at the Temporal
// frontend, and that a second run keeps everything while a changed door address renews the door's leaf.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { REPO_ROOT } from '../config.ts';
import { ensureCertificates, type CertificateNames } from './certs.ts';

let root: string;
const names: CertificateNames = { temporal: ['temporal', 'localhost', '127.0.0.1'], agentDoor: ['door.example.com', 'agent-door', 'localhost', '127.0.0.1'] };
const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
const modeOf = (rel: string) => fs.statSync(path.join(root, rel)).mode & 0o777;

interface Handshake {
  ok: boolean;
  /** The client certificate's common name as the server saw it. */
  clientName?: string;
  error?: string;
}

/** One real TLS handshake on loopback: with `clientCa`, the server requires a client certificate signed by it. */
async function handshake(server: { cert: string; key: string; clientCa?: string }, client: { ca: string; servername: string; cert?: string; key?: string }): Promise<Handshake> {
  let clientName: string | undefined;
  const mutual = server.clientCa ? { ca: server.clientCa, requestCert: true, rejectUnauthorized: true } : {};
  const srv = tls.createServer({ cert: server.cert, key: server.key, ...mutual }, (socket) => {
    clientName = (socket.getPeerCertificate().subject as { CN?: string } | undefined)?.CN;
    socket.end('ok');
  });
  srv.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  try {
    return await new Promise<Handshake>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: client.servername, ca: client.ca, cert: client.cert, key: client.key });
      socket.on('data', () => {
        resolve({ ok: true, clientName });
        socket.destroy();
      });
      socket.on('error', (err) => resolve({ ok: false, error: err.message }));
      socket.on('end', () => resolve({ ok: false, error: 'closed by the server' }));
    });
  } finally {
    srv.close();
  }
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-certs-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('the private PKI', () => {
  it('writes two CAs and each consumer folder, with the CA keys in ca/ only (0600)', () => {
    const events = ensureCertificates(root, names);
    expect(events.every((e) => e.action === 'issued')).toBe(true);
    expect(fs.readdirSync(path.join(root, 'ca')).sort()).toEqual(['agent-door-ca.key', 'agent-door-ca.pem', 'temporal-ca.key', 'temporal-ca.pem']);
    expect(fs.readdirSync(path.join(root, 'temporal')).sort()).toEqual(['ca.pem', 'server.key', 'server.pem']);
    expect(fs.readdirSync(path.join(root, 'temporal-ui')).sort()).toEqual(['ca.pem', 'client.key', 'client.pem']);
    expect(fs.readdirSync(path.join(root, 'app')).sort()).toEqual([
      'agent-door-ca.pem',
      'agent-door.key',
      'agent-door.pem',
      'temporal-ca.pem',
      'temporal-client.key',
      'temporal-client.pem',
    ]);
    expect(modeOf('ca')).toBe(0o700);
    expect(modeOf('ca/temporal-ca.key')).toBe(0o600);
    expect(modeOf('ca/agent-door-ca.key')).toBe(0o600);
    expect(read('temporal/ca.pem')).toBe(read('ca/temporal-ca.pem'));
    expect(read('app/agent-door-ca.pem')).toBe(read('ca/agent-door-ca.pem'));
    const server = new crypto.X509Certificate(read('temporal/server.pem'));
    expect(server.subjectAltName).toBe('DNS:temporal, DNS:localhost, IP Address:127.0.0.1');
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // it serves, and calls its own services
    expect(new crypto.X509Certificate(read('app/temporal-client.pem')).keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(new crypto.X509Certificate(read('app/agent-door.pem')).keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it("passes Node's TLS both ways: the app and Temporal Web at the frontend, an agent at the door", async () => {
    const frontend = { cert: read('temporal/server.pem'), key: read('temporal/server.key'), clientCa: read('temporal/ca.pem') };
    expect(
      await handshake(frontend, { ca: read('app/temporal-ca.pem'), servername: 'temporal', cert: read('app/temporal-client.pem'), key: read('app/temporal-client.key') }),
    ).toEqual({
      ok: true,
      clientName: 'anthropy-works',
    });
    expect(
      await handshake(frontend, { ca: read('temporal-ui/ca.pem'), servername: 'temporal', cert: read('temporal-ui/client.pem'), key: read('temporal-ui/client.key') }),
    ).toEqual({
      ok: true,
      clientName: 'temporal-ui',
    });
    // The frontend's own services call each other with the server certificate.
    expect((await handshake(frontend, { ca: read('temporal/ca.pem'), servername: 'temporal', cert: read('temporal/server.pem'), key: read('temporal/server.key') })).ok).toBe(true);
    // An agent that was handed the door's CA checks the door's certificate against it (agents hold no certificate).
    const door = { cert: read('app/agent-door.pem'), key: read('app/agent-door.key') };
    expect((await handshake(door, { ca: read('app/agent-door-ca.pem'), servername: 'door.example.com' })).ok).toBe(true);
    expect((await handshake(door, { ca: read('app/temporal-ca.pem'), servername: 'door.example.com' })).ok).toBe(false);
  });

  it('keeps the two CAs apart: the door CA vouches for no one at the frontend, and the frontend fails a client that trusts only the door CA', async () => {
    const frontend = { cert: read('temporal/server.pem'), key: read('temporal/server.key'), clientCa: read('temporal/ca.pem') };
    // A client certificate from the door's CA (any agent holds that CA's certificate, not its key; this is the worst case).
    const withDoorLeaf = await handshake(frontend, { ca: read('app/temporal-ca.pem'), servername: 'temporal', cert: read('app/agent-door.pem'), key: read('app/agent-door.key') });
    expect(withDoorLeaf.ok).toBe(false);
    const noClientCertificate = await handshake(frontend, { ca: read('app/temporal-ca.pem'), servername: 'temporal' });
    expect(noClientCertificate.ok).toBe(false);
    const trustsDoorCa = await handshake(frontend, {
      ca: read('app/agent-door-ca.pem'),
      servername: 'temporal',
      cert: read('app/temporal-client.pem'),
      key: read('app/temporal-client.key'),
    });
    expect(trustsDoorCa).toMatchObject({ ok: false, error: expect.stringMatching(/certificate/i) });
  });

  it('passes OpenSSL in strict X.509 mode too, for the purposes each certificate serves (when the openssl CLI is here)', () => {
    if (spawnSync('openssl', ['version']).status !== 0) return;
    const verify = (ca: string, purpose: string, cert: string) =>
      execFileSync('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', path.join(root, ca), path.join(root, cert)], { encoding: 'utf8' });
    expect(verify('temporal/ca.pem', 'sslserver', 'temporal/server.pem')).toMatch(/OK/);
    expect(verify('temporal/ca.pem', 'sslclient', 'temporal/server.pem')).toMatch(/OK/);
    expect(verify('app/temporal-ca.pem', 'sslclient', 'app/temporal-client.pem')).toMatch(/OK/);
    expect(verify('temporal-ui/ca.pem', 'sslclient', 'temporal-ui/client.pem')).toMatch(/OK/);
    expect(verify('app/agent-door-ca.pem', 'sslserver', 'app/agent-door.pem')).toMatch(/OK/);
  });

  it('keeps everything on a second run, and renews only the door certificate when the door gets another name', () => {
    const before = { ca: read('ca/temporal-ca.pem'), server: read('temporal/server.pem'), door: read('app/agent-door.pem'), doorKey: read('app/agent-door.key') };
    expect(ensureCertificates(root, names).every((e) => e.action === 'kept')).toBe(true);
    expect(read('temporal/server.pem')).toBe(before.server);
    const events = ensureCertificates(root, { ...names, agentDoor: ['door2.example.com', ...names.agentDoor] });
    expect(events.filter((e) => e.action === 'issued').map((e) => path.relative(root, e.file))).toEqual(['app/agent-door.pem']);
    expect(read('app/agent-door.pem')).not.toBe(before.door);
    expect(read('app/agent-door.key')).not.toBe(before.doorKey);
    expect(new crypto.X509Certificate(read('app/agent-door.pem')).checkHost('door2.example.com')).toBe('door2.example.com');
    expect(read('ca/temporal-ca.pem')).toBe(before.ca);
  });

  it('makes a removed CA anew, and everything it signed with it', () => {
    fs.rmSync(path.join(root, 'ca', 'temporal-ca.pem'));
    const issued = ensureCertificates(root, names)
      .filter((e) => e.action === 'issued')
      .map((e) => path.relative(root, e.file))
      .sort();
    expect(issued).toEqual(['app/temporal-client.pem', 'ca/temporal-ca.pem', 'temporal-ui/client.pem', 'temporal/server.pem']);
    expect(read('temporal/ca.pem')).toBe(read('ca/temporal-ca.pem'));
  });

  it('runs as the compose service runs it, logging files and names, never a key', () => {
    const out = path.join(root, 'cli');
    const res = spawnSync(process.execPath, ['infra/tls-certs.ts', '--out', out, '--agent-door-address', 'door.example.com:7230'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: os.homedir() },
    });
    expect(res.status).toBe(0);
    expect(res.stdout).not.toMatch(/PRIVATE KEY|BEGIN/);
    const ready = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; agentDoorNames?: string[]; issued?: number })
      .find((l) => l.msg === 'TLS certificates ready');
    expect(ready).toMatchObject({ issued: 6, agentDoorNames: ['door.example.com', 'agent-door', 'localhost', '127.0.0.1'] });
    expect(new crypto.X509Certificate(fs.readFileSync(path.join(out, 'app', 'agent-door.pem'))).checkHost('door.example.com')).toBe('door.example.com');
  });
});
