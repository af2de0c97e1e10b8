// A small X.509 certificate builder on node:crypto, for the private CAs of infra/tls/certs.ts. Node can
// make and sign keys and read certificates, but has no certificate builder; the few fields a CA and its
// TLS server and client certificates need are written here in DER (RFC 5280), and Node's own
// X509Certificate and tls check the result (infra/tls/certs.test.ts). Keys are ECDSA P-256 with SHA-256,
// which Go (the Temporal server and Temporal Web), rustls (the SDK's core) and OpenSSL (Node) all accept.
import crypto from 'node:crypto';
import net from 'node:net';

const der = (tag: number, content: Buffer): Buffer => {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  if (n > 0xffff) throw new Error('DER value too long for this builder');
  return Buffer.concat([Buffer.from([tag]), length, content]);
};
const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const octets = (b: Buffer) => der(0x04, b);
const bits = (b: Buffer, unused = 0) => der(0x03, Buffer.concat([Buffer.from([unused]), b]));
const bool = (v: boolean) => der(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return der(0x06, Buffer.from(out));
}

/** X.509 times: UTCTime up to 2049, GeneralizedTime after (RFC 5280, 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${iso.slice(2)}Z`)) : der(0x18, Buffer.from(`${iso}Z`));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

const name = (commonName: string) => seq(set(seq(oid(OID.organization), utf8('Anthropy Works'))), set(seq(oid(OID.commonName), utf8(commonName))));
const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
/** The key identifier: SHA-1 of the public key's bits, as RFC 5280 4.2.1.2 suggests. */
const keyId = (key: crypto.KeyObject) => {
  const spki = key.export({ type: 'spki', format: 'der' });
  // The BIT STRING is the SPKI's last element; for P-256 it is the last 65 bytes (an uncompressed point).
  return crypto
    .createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
};

function altName(host: string): Buffer {
  if (net.isIPv4(host)) return der(0x87, Buffer.from(host.split('.').map(Number)));
  if (net.isIPv6(host)) {
    const [head = '', tail = ''] = host.split('::');
    const groups = (part: string) => (part ? part.split(':') : []);
    const zeros = Array<string>(8 - groups(head).length - groups(tail).length).fill('0');
    return der(0x87, Buffer.from([...groups(head), ...zeros, ...groups(tail)].flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff])));
  }
  return der(0x82, Buffer.from(host, 'ascii'));
}

export interface Issued {
  /** PEM. */
  cert: string;
  /** PEM, PKCS#8. */
  key: string;
}

export interface CertificateRequest {
  commonName: string;
  days: number;
  /** A CA (signs certificates), or a leaf for TLS servers and/or clients. */
  kind: 'ca' | { server?: string[]; client?: boolean };
  /** The CA that signs it; none: self-signed (a root CA). */
  issuer?: Issued;
}

export function issueCertificate(req: CertificateRequest): Issued {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuerKey = req.issuer ? crypto.createPrivateKey(req.issuer.key) : privateKey;
  const issuerCert = req.issuer ? new crypto.X509Certificate(req.issuer.cert) : undefined;
  const issuerName = issuerCert ? subjectOf(issuerCert) : name(req.commonName);
  const serial = crypto.randomBytes(16);
  serial[0] = 0x40 | (serial[0]! & 0x3f); // positive, and no leading zero byte
  const notBefore = new Date(Date.now() - 60 * 60 * 1000); // an hour of clock skew
  const notAfter = new Date(Date.now() + req.days * 24 * 60 * 60 * 1000);

  const extensions: Buffer[] = [];
  if (req.kind === 'ca') {
    extensions.push(extension(OID.basicConstraints, true, seq(bool(true), der(0x02, Buffer.from([0])))));
    extensions.push(extension(OID.keyUsage, true, bits(Buffer.from([0x86]), 1))); // digitalSignature, keyCertSign, cRLSign
  } else {
    extensions.push(extension(OID.basicConstraints, true, seq()));
    extensions.push(extension(OID.keyUsage, true, bits(Buffer.from([0x80]), 7))); // digitalSignature
    const usages = [...(req.kind.server ? [OID.serverAuth] : []), ...(req.kind.client ? [OID.clientAuth] : [])];
    extensions.push(extension(OID.extKeyUsage, false, seq(...usages.map(oid))));
    if (req.kind.server?.length) extensions.push(extension(OID.subjectAltName, false, seq(...req.kind.server.map(altName))));
  }
  extensions.push(extension(OID.subjectKeyId, false, octets(keyId(publicKey))));
  if (issuerCert) extensions.push(extension(OID.authorityKeyId, false, seq(der(0x80, keyId(issuerCert.publicKey)))));

  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // version 3
    der(0x02, serial),
    algorithm,
    issuerName,
    seq(time(notBefore), time(notAfter)),
    name(req.commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, seq(...extensions)),
  );
  const signature = crypto.sign('sha256', tbs, { key: issuerKey, dsaEncoding: 'der' });
  const cert = seq(tbs, algorithm, bits(signature));
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${cert.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The issuer's subject, byte for byte as in its certificate (chain building compares names as bytes). */
function subjectOf(cert: crypto.X509Certificate): Buffer {
  // Certificate → TBSCertificate → [version, serial, signature, issuer, validity, subject, …]
  const tbs = children(cert.raw)[0]!;
  return children(tbs)[5]!;
}

/** The DER elements inside a constructed element (each returned whole, header included). */
function children(element: Buffer): Buffer[] {
  const headerLength = (b: Buffer, at: number) => (b[at + 1]! < 0x80 ? 2 : 2 + (b[at + 1]! & 0x7f));
  const contentLength = (b: Buffer, at: number) => {
    const first = b[at + 1]!;
    if (first < 0x80) return first;
    let n = 0;
    for (let i = 0; i < (first & 0x7f); i++) n = n * 256 + b[at + 2 + i]!;
    return n;
  };
  const out: Buffer[] = [];
  let at = headerLength(element, 0);
  while (at < element.length) {
    const end = at + headerLength(element, at) + contentLength(element, at);
    out.push(element.subarray(at, end));
    at = end;
  }
  return out;
}
