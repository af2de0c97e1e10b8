// The compose deployment's private PKI (infra/tls-certs.ts runs it as the one-shot `certs` service): two
// CAs and the certificates they sign, written into one folder per consumer so that each container mounts
// only its own (docker-compose.yml):
//   ca/            temporal-ca.{pem,key}, agent-door-ca.{pem,key}: the CAs' keys; the certs service only
//   temporal/      ca.pem, server.{pem,key}: the Temporal server's certificate (frontend and internode;
//                  server and client use, since its services call each other with it)
//   temporal-ui/   ca.pem, client.{pem,key}: Temporal Web's client certificate
//   app/           temporal-ca.pem, temporal-client.{pem,key}: the client certificate of web, worker and
//                  door; agent-door-ca.pem, agent-door.{pem,key}: the door's server certificate and the CA
//                  enrollment hands to agents (ADR 0011)
// Two CAs, because every agent is given the door's CA: an agent trusts it for the door, and nothing it
// signs can reach the Temporal frontend. What exists and is still good is kept, so every later run is a
// no-op; a leaf is issued again when it is missing, expires within 30 days, no longer names its hosts, or
// was signed by another CA (a CA whose files were removed is made anew, and so is everything it signed).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { issueCertificate, type Issued } from './x509.ts';

const CA_DAYS = 3650;
const LEAF_DAYS = 825;
const RENEW_WITHIN_MS = 30 * 24 * 60 * 60 * 1000;

export interface CertificateNames {
  /** DNS names and IP addresses the Temporal frontend is reached at (its compose service name first). */
  temporal: string[];
  /** DNS names and IP addresses agents reach the door at. */
  agentDoor: string[];
}

export type CertificateEvent = { file: string; action: 'issued' | 'kept' };

/** Writes atomically; keys 0644 too: a folder is the unit of access (each consumer mounts only its own), and the Temporal images run as users of their own. */
function write(file: string, content: string, mode: number) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

function read(dir: string, base: string): Issued | undefined {
  try {
    return { cert: fs.readFileSync(path.join(dir, `${base}.pem`), 'utf8'), key: fs.readFileSync(path.join(dir, `${base}.key`), 'utf8') };
  } catch {
    return undefined;
  }
}

const covers = (cert: crypto.X509Certificate, name: string) => (/^[\d.]+$|:/.test(name) ? cert.checkIP(name) : cert.checkHost(name)) !== undefined;

/** The leaf at dir/base is kept when it is sound, signed by `ca`, far from expiry and names every host. */
function stillGood(leaf: Issued | undefined, ca: Issued, names: string[]): boolean {
  if (!leaf) return false;
  try {
    const cert = new crypto.X509Certificate(leaf.cert);
    const issuer = new crypto.X509Certificate(ca.cert);
    return (
      cert.checkIssued(issuer) &&
      cert.verify(issuer.publicKey) &&
      cert.checkPrivateKey(crypto.createPrivateKey(leaf.key)) &&
      Date.parse(cert.validTo) - Date.now() > RENEW_WITHIN_MS &&
      names.every((n) => covers(cert, n))
    );
  } catch {
    return false;
  }
}

export function ensureCertificates(root: string, names: CertificateNames): CertificateEvent[] {
  const events: CertificateEvent[] = [];
  const folder = (name: string, mode: number) => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true, mode });
    fs.chmodSync(dir, mode); // a folder made beforehand (the image's mount point) keeps its own mode otherwise
    return dir;
  };
  const caDir = folder('ca', 0o700);

  const ensureCa = (base: string, commonName: string): Issued => {
    const existing = read(caDir, base);
    if (existing && new crypto.X509Certificate(existing.cert).ca) {
      events.push({ file: path.join(caDir, `${base}.pem`), action: 'kept' });
      return existing;
    }
    const ca = issueCertificate({ commonName, days: CA_DAYS, kind: 'ca' });
    write(path.join(caDir, `${base}.key`), ca.key, 0o600);
    write(path.join(caDir, `${base}.pem`), ca.cert, 0o644);
    events.push({ file: path.join(caDir, `${base}.pem`), action: 'issued' });
    return ca;
  };
  const ensureLeaf = (dir: string, base: string, ca: Issued, commonName: string, kind: { server?: string[]; client?: boolean }) => {
    const hosts = kind.server ?? [];
    if (stillGood(read(dir, base), ca, hosts)) return events.push({ file: path.join(dir, `${base}.pem`), action: 'kept' });
    const leaf = issueCertificate({ commonName, days: LEAF_DAYS, kind, issuer: ca });
    write(path.join(dir, `${base}.key`), leaf.key, 0o644);
    write(path.join(dir, `${base}.pem`), leaf.cert, 0o644);
    return events.push({ file: path.join(dir, `${base}.pem`), action: 'issued' });
  };
  const copyCa = (dir: string, base: string, ca: Issued) => {
    const file = path.join(dir, `${base}.pem`);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === ca.cert) return;
    write(file, ca.cert, 0o644);
  };

  const temporalCa = ensureCa('temporal-ca', 'Anthropy Works Temporal CA');
  const doorCa = ensureCa('agent-door-ca', 'Anthropy Works agent door CA');

  const temporal = folder('temporal', 0o755);
  copyCa(temporal, 'ca', temporalCa);
  ensureLeaf(temporal, 'server', temporalCa, names.temporal[0] ?? 'temporal', { server: names.temporal, client: true });

  const ui = folder('temporal-ui', 0o755);
  copyCa(ui, 'ca', temporalCa);
  ensureLeaf(ui, 'client', temporalCa, 'temporal-ui', { client: true });

  const app = folder('app', 0o755);
  copyCa(app, 'temporal-ca', temporalCa);
  ensureLeaf(app, 'temporal-client', temporalCa, 'anthropy-works', { client: true });
  copyCa(app, 'agent-door-ca', doorCa);
  ensureLeaf(app, 'agent-door', doorCa, names.agentDoor[0] ?? 'agent-door', { server: names.agentDoor });
  return events;
}
