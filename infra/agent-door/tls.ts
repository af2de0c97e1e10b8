// The agent door's certificate, key and (for a private CA) the CA that enrollment hands to agents, read
// from the files infra/config.ts names. Checked together when the door starts, so that a key that is not
// the certificate's, or a CA that did not sign it, stops the door with the variables named instead of
// leaving every agent to fail its handshake.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { ConfigError, type Config } from '../config.ts';

export interface DoorTls {
  cert: Buffer;
  key: Buffer;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM file, in order (a server's own first, then its chain). */
export function certificatesIn(pem: string): crypto.X509Certificate[] {
  return (pem.match(PEM_CERT) ?? []).map((block) => new crypto.X509Certificate(block));
}

/** The CA certificate (PEM) agents are to trust for the door, or undefined: they trust their machine's roots. */
export function doorServerCa(config: Pick<Config, 'AGENT_DOOR_TLS_CA_FILE'>): string | undefined {
  return config.AGENT_DOOR_TLS_CA_FILE ? fs.readFileSync(config.AGENT_DOOR_TLS_CA_FILE, 'utf8') : undefined;
}

export function doorTls(config: Pick<Config, 'AGENT_DOOR_TLS_CERT_FILE' | 'AGENT_DOOR_TLS_KEY_FILE' | 'AGENT_DOOR_TLS_CA_FILE'>): DoorTls | undefined {
  if (!config.AGENT_DOOR_TLS_CERT_FILE || !config.AGENT_DOOR_TLS_KEY_FILE) return undefined;
  const cert = fs.readFileSync(config.AGENT_DOOR_TLS_CERT_FILE);
  const key = fs.readFileSync(config.AGENT_DOOR_TLS_KEY_FILE);
  let chain: crypto.X509Certificate[];
  let privateKey: crypto.KeyObject;
  try {
    chain = certificatesIn(cert.toString('utf8'));
  } catch {
    chain = [];
  }
  if (!chain.length) throw new ConfigError(`AGENT_DOOR_TLS_CERT_FILE (${config.AGENT_DOOR_TLS_CERT_FILE}) holds no PEM certificate`);
  try {
    privateKey = crypto.createPrivateKey(key);
  } catch {
    throw new ConfigError(`AGENT_DOOR_TLS_KEY_FILE (${config.AGENT_DOOR_TLS_KEY_FILE}) holds no private key (PEM)`);
  }
  if (!chain[0]!.checkPrivateKey(privateKey)) {
    throw new ConfigError('AGENT_DOOR_TLS_KEY_FILE is not the key of the certificate in AGENT_DOOR_TLS_CERT_FILE');
  }
  const caPem = doorServerCa(config);
  if (caPem !== undefined) {
    const cas = (() => {
      try {
        return certificatesIn(caPem);
      } catch {
        return [];
      }
    })();
    if (!cas.length || !cas.every((ca) => ca.ca)) throw new ConfigError(`AGENT_DOOR_TLS_CA_FILE (${config.AGENT_DOOR_TLS_CA_FILE}) must hold CA certificates (PEM)`);
    // The chain's top certificate must be signed by one of them (for a private CA's leaf: the leaf itself).
    const top = chain[chain.length - 1]!;
    if (!cas.some((ca) => top.checkIssued(ca) && top.verify(ca.publicKey))) {
      throw new ConfigError('AGENT_DOOR_TLS_CA_FILE did not sign the certificate in AGENT_DOOR_TLS_CERT_FILE: agents given that CA would refuse the door');
    }
  }
  return { cert, key };
}
