// The key a node's agent encrypts its Temporal payloads with (its results, progress and refusals; ADR
// 0016), shared by exactly two parties without being sent: X25519 between the agent's Ed25519 key and the
// control plane's (each converted to its Montgomery form, as libsodium's ed25519-to-curve25519 does), then
// HKDF-SHA256 with a label naming both keys. The agent computes it from its private key and the control
// plane's public key (given at enrollment); the control plane from its private key and the agent's public
// key, which the payload's key id carries. An agent so holds no organization's key, only one it shares
// with the control plane, and another agent (holding another private key) opens nothing of it.
import crypto from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { keyFingerprint, parsePrivateKey, parsePublicKey, publicKeyOf, type Key } from './envelope.ts';

export const NODE_PAYLOAD_KEY_PREFIX = 'agent.';

const rawPublic = (key: Key) => parsePublicKey(key).export({ format: 'jwk' }).x ?? '';
const spkiOfRaw = (x: string) => crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });

/**
 * The key id an agent's payloads name: `agent.<the agent's raw public key, base64url>.<fingerprint of the
 * control plane's key>`. The agent's public key itself, so that the control plane opens a payload of an
 * agent replaced since (its key no longer on the node's row) as long as its own key is the same: opening
 * proves nothing about who wrote it (results are believed only by their signature, checked against the
 * node's registered key), just as a plain payload proves nothing.
 */
export const nodePayloadKeyId = (agentPublicKey: Key, controlPlanePublicKey: Key) =>
  `${NODE_PAYLOAD_KEY_PREFIX}${rawPublic(agentPublicKey)}.${keyFingerprint(controlPlanePublicKey)}`;

/** The agent's public key and the control plane key's fingerprint a key id names, or undefined when it is not an agent's. */
export function parseNodePayloadKeyId(id: string): { agentPublicKey: crypto.KeyObject; controlPlaneKey: string } | undefined {
  const [, x, controlPlaneKey] = /^agent\.([A-Za-z0-9_-]{43})\.([0-9a-f]{16})$/.exec(id) ?? [];
  if (!x || !controlPlaneKey) return undefined;
  try {
    return { agentPublicKey: spkiOfRaw(x), controlPlaneKey };
  } catch {
    return undefined;
  }
}

const bytes = (base64url: string | undefined) => new Uint8Array(Buffer.from(base64url ?? '', 'base64url'));

/**
 * The shared key, from one side's private key and the other side's public key (the same either way).
 * `agentPublicKey` and `controlPlanePublicKey` name the parties in the derivation.
 */
export function nodePayloadKey(ownPrivateKey: Key, otherPublicKey: Key, parties: { agentPublicKey: Key; controlPlanePublicKey: Key }): { id: string; key: Uint8Array } {
  const seed = bytes(parsePrivateKey(ownPrivateKey).export({ format: 'jwk' }).d);
  const shared = x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(seed), ed25519.utils.toMontgomery(bytes(rawPublic(otherPublicKey))));
  const id = nodePayloadKeyId(parties.agentPublicKey, parties.controlPlanePublicKey);
  const key = new Uint8Array(crypto.hkdfSync('sha256', shared, new Uint8Array(0), `aw-node-payloads|${id}`, 32));
  return { id, key };
}

/** The agent's side: its private key and the control plane's public key. */
export const agentPayloadKey = (agentPrivateKey: Key, controlPlanePublicKey: Key) =>
  nodePayloadKey(agentPrivateKey, controlPlanePublicKey, { agentPublicKey: publicKeyOf(agentPrivateKey), controlPlanePublicKey });

/** The control plane's side, for a key id an agent's payload names (parseNodePayloadKeyId), with its own private key. */
export function controlPlanePayloadKey(controlPlanePrivateKey: Key, agentPublicKey: Key) {
  return nodePayloadKey(controlPlanePrivateKey, agentPublicKey, { agentPublicKey, controlPlanePublicKey: publicKeyOf(controlPlanePrivateKey) });
}
