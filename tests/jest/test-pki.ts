// Certificates for TLS tests, made by the product's own builder (infra/tls/x509.ts) and written where a
// setting can name them: a private CA, and server or client certificates it signs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { issueCertificate, type Issued } from '../../infra/tls/x509.ts';

export interface TestPki {
  dir: string;
  ca(name: string): Issued;
  server(ca: Issued, commonName: string, hosts: string[]): Issued;
  client(ca: Issued, commonName: string): Issued;
  /** Writes a certificate and its key as <name>.pem and <name>.key; returns their paths. */
  files(name: string, issued: Issued): { cert: string; key: string };
  remove(): void;
}

export function testPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aw-pki-'));
  return {
    dir,
    ca: (name) => issueCertificate({ commonName: name, days: 1, kind: 'ca' }),
    server: (ca, commonName, hosts) => issueCertificate({ commonName, days: 1, kind: { server: hosts }, issuer: ca }),
    client: (ca, commonName) => issueCertificate({ commonName, days: 1, kind: { client: true }, issuer: ca }),
    files: (name, issued) => {
      const cert = path.join(dir, `${name}.pem`);
      const key = path.join(dir, `${name}.key`);
      fs.writeFileSync(cert, issued.cert);
      fs.writeFileSync(key, issued.key, { mode: 0o600 });
      return { cert, key };
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
