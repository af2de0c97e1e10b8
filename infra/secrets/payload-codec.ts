// The Temporal payload codec: every payload our clients and the control-plane worker send (workflow and
// activity inputs and results, signals, updates, queries, memo, failure details) is stored by Temporal as
// AES-256-GCM ciphertext under its organization's Temporal-data key (ADR 0016). The whole Payload
// (metadata and data) is sealed, so not even its encoding shows; the wrapper names only the key:
//   metadata { encoding: "binary/encrypted", encryption-key-id: <id>, encryption-cipher: "AES256GCM" }
//   data     iv (12 bytes) | ciphertext | tag (16 bytes)
// Decoding reads the key id from the metadata alone (no workflow needed), so Temporal Web's codec server
// and a rotated-away key id both work. A payload that is not ours (plain JSON: a run started before the
// codec, a node agent's result) is passed through as it is.
import crypto from 'node:crypto';
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import proto from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'AES256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Why a payload cannot be decrypted, in one sentence (never the payload, never a key). */
export class PayloadDecryptionError extends Error {}

export interface PayloadKey {
  id: string;
  key: Uint8Array;
}

/** Where the codec gets its keys: one to encrypt with for a context, and any by the id a payload names. */
export interface PayloadKeySource {
  forContext(context: SerializationContext | undefined): Promise<PayloadKey>;
  /** Throws PayloadDecryptionError naming the id when there is no such key (or it does not open). */
  byId(id: string): Promise<Uint8Array>;
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);
/** Authenticated with the ciphertext: a payload whose key id was swapped in the metadata does not open. */
const aad = (keyId: string) => Buffer.from(`aw-temporal-payload1|${keyId}`);

export const isEncrypted = (p: Payload) => str(p.metadata?.encoding) === ENCRYPTED_ENCODING;

export function encryptPayload(payload: Payload, key: PayloadKey): Payload {
  const plain = proto.temporal.api.common.v1.Payload.encode(payload).finish();
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(aad(key.id));
  const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return {
    metadata: { encoding: text(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text(key.id), 'encryption-cipher': text(CIPHER) },
    data: new Uint8Array(data),
  };
}

export async function decryptPayload(payload: Payload, keys: Pick<PayloadKeySource, 'byId'>): Promise<Payload> {
  const keyId = str(payload.metadata?.[KEY_ID_METADATA]);
  if (!keyId) throw new PayloadDecryptionError(`an encrypted Temporal payload names no ${KEY_ID_METADATA}`);
  const data = Buffer.from(payload.data ?? []);
  if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`an encrypted Temporal payload (key ${keyId}) is too short to be one`);
  const key = await keys.byId(keyId);
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(aad(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    const { metadata, data: inner } = proto.temporal.api.common.v1.Payload.decode(plain);
    return { metadata, data: inner };
  } catch {
    throw new PayloadDecryptionError(`an encrypted Temporal payload does not open with key ${keyId} (it was altered, or its key id was changed)`);
  }
}

/**
 * The codec. `plain(context)` names the payloads left unencrypted on purpose: node agents' activity
 * inputs (the agent holds no Temporal key; ADR 0016 says what that input carries).
 */
export function encryptionCodec(keys: PayloadKeySource, plain: (context: SerializationContext | undefined) => boolean = () => false): PayloadCodec {
  return {
    async encode(payloads, context) {
      if (!payloads.length || plain(context)) return payloads;
      const key = await keys.forContext(context);
      return payloads.map((p) => (isEncrypted(p) ? p : encryptPayload(p, key)));
    },
    async decode(payloads) {
      return Promise.all(payloads.map((p) => (isEncrypted(p) ? decryptPayload(p, keys) : p)));
    },
  };
}
